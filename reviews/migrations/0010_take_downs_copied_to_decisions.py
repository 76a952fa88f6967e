"""Each take-down becomes its decision (its own migration: on PostgreSQL, rows written here leave deferred
foreign-key checks that an ALTER TABLE in the same transaction refuses)."""

from django.db import migrations


def take_downs_to_decisions(apps, schema_editor):
    """Each existing take-down becomes the decision it always was, with its reason, facts and reviewer."""
    Publication = apps.get_model("reviews", "Publication")
    Decision = apps.get_model("reviews", "Decision")
    for publication in Publication.objects.filter(taken_down_at__isnull=False).select_related("decision"):
        reviewer_id = publication.taken_down_by_id or (
            publication.decision.reviewer_id if publication.decision else None
        )
        if reviewer_id is None:  # a take-down with nobody recorded: only an old, hand-made row could be one
            raise RuntimeError(f"publication {publication.pk} was taken down by nobody on record; set taken_down_by")
        publication.take_down = Decision.objects.create(
            request_id=publication.request_id,
            stage="take_down",
            outcome="take_down",
            reviewer_id=reviewer_id,
            reason_code_id=publication.take_down_reason_id,
            note=publication.take_down_note,
            decided_at=publication.taken_down_at,
        )
        publication.save(update_fields=["take_down"])


def decisions_to_take_downs(apps, schema_editor):
    """Back to the fields; appeals of take-downs and their decisions have nowhere to go and are dropped."""
    Publication = apps.get_model("reviews", "Publication")
    Decision = apps.get_model("reviews", "Decision")
    for publication in Publication.objects.filter(take_down__isnull=False).select_related("take_down"):
        decision = publication.take_down
        publication.taken_down_by_id, publication.take_down_reason_id = decision.reviewer_id, decision.reason_code_id
        publication.take_down_note, publication.take_down = decision.note, None
        publication.save(update_fields=["taken_down_by", "take_down_reason", "take_down_note", "take_down"])
    Appeal = apps.get_model("reviews", "Appeal")
    Appeal.objects.filter(appealed_decision__stage="take_down").delete()
    Decision.objects.filter(stage__in=["take_down", "take_down_appeal"]).delete()


class Migration(migrations.Migration):
    dependencies = [("reviews", "0009_take_downs_are_decisions")]

    operations = [migrations.RunPython(take_downs_to_decisions, decisions_to_take_downs)]
