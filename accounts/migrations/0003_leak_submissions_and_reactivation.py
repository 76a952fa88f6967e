from django.db import migrations, models


class Migration(migrations.Migration):
    """Leak containment counts submissions, not requests (a high request rate is answered with 429);
    reactivating a token starts its windows afresh."""

    dependencies = [("accounts", "0002_audit_append_only")]

    operations = [
        migrations.RenameField("cohort", "leak_max_requests_per_minute", "leak_max_submissions_per_minute"),
        migrations.AlterField(
            model_name="cohort",
            name="leak_max_submissions_per_minute",
            field=models.PositiveIntegerField(
                default=30, help_text="Most generation submissions per minute per token before it is suspended."
            ),
        ),
        migrations.AddField(
            model_name="apitoken", name="reactivated_at", field=models.DateTimeField(blank=True, null=True)
        ),
    ]
