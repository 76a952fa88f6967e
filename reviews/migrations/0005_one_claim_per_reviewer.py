from django.conf import settings
from django.db import migrations, models


def release_all_but_the_latest_claim(apps, schema_editor):
    """Before the constraint: a reviewer who holds several requests keeps the latest lease, the rest
    return to the queue."""
    PublicationRequest = apps.get_model("reviews", "PublicationRequest")
    kept: set[int] = set()
    for request in PublicationRequest.objects.filter(state="in_review").order_by("claimed_by_id", "-lease_expires_at"):
        if request.claimed_by_id in kept:
            PublicationRequest.objects.filter(pk=request.pk).update(
                state="pending", claimed_by=None, lease_expires_at=None
            )
        kept.add(request.claimed_by_id)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_apitoken_webhook_secret"),
        ("reviews", "0004_queue_open_by_deadline"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(release_all_but_the_latest_claim, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="publicationrequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "in_review")), fields=("claimed_by",), name="one_claim_per_reviewer"
            ),
        ),
    ]
