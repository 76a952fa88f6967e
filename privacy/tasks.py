from celery import shared_task

from privacy import services


@shared_task(name="privacy.build_export", ignore_result=True, soft_time_limit=1800, time_limit=1900)
def build_export(export_id: int) -> str:
    """Build one export (routed to the exports queue, never a GPU worker); a second message does nothing."""
    return services.export_build(export_id=export_id)


@shared_task(name="privacy.sweep_exports", ignore_result=True, soft_time_limit=120, time_limit=150)
def sweep_exports() -> dict:
    """Remove expired archives and queue again what a dead worker or a lost message left behind."""
    return services.exports_sweep()


@shared_task(name="privacy.erase_due", ignore_result=True, soft_time_limit=540, time_limit=600)
def erase_due() -> int:
    """Carry out the erasures whose grace period has passed."""
    return services.erasures_run_due()
