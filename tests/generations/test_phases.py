"""Every succeeded job records its phase timings, measured inside the job; staff see them (API and the
queue page) and /metrics exports a histogram per phase."""

from django.urls import reverse

from generations import services, tasks
from generations.models import Generation
from tests.support.clients import api_client_for
from tests.support.clips import SMALL


def test_a_rendered_job_records_each_phase_and_staff_see_them(wake_ups, artist, admin):
    generation = services.generation_submit(artist=artist, cohort=artist.memberships.get().cohort,
                                            prompt="a boat", **SMALL)[0]  # fmt: skip
    tasks.render_next(generation.pk)
    generation.refresh_from_db()
    assert generation.status == "succeeded"
    assert set(generation.phase_ms) == set(Generation.PHASES)
    assert all(value >= 0 for value in generation.phase_ms.values())
    assert generation.phase_ms["denoise"] > 0 and generation.phase_ms["encode"] > 0 and generation.phase_ms["store"] > 0

    own = api_client_for(artist).get(reverse("api-generation", args=[generation.public_id])).json()
    assert own["phase_ms"] is None  # staff only
    staff = api_client_for(admin).get(reverse("api-generation", args=[generation.public_id])).json()
    assert staff["phase_ms"] == generation.phase_ms
    page = api_client_for(admin).get(reverse("staff_queue")).content.decode()
    assert "milliseconds per phase" in page and "queue_wait" in page

    metrics = api_client_for(admin).get(reverse("metrics")).content.decode()
    for phase in Generation.PHASES:
        assert f'vernissage_generation_phase_seconds_count{{phase="{phase}"}} 1.0' in metrics
        assert f'vernissage_generation_phase_seconds_bucket{{le="+Inf",phase="{phase}"}} 1.0' in metrics
