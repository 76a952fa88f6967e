# The review settings moved to reviews.ReviewPolicy; reviews' 0007 copied every cohort's values first.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_outbound_email"),
        ("reviews", "0007_review_policy"),
    ]

    operations = [
        migrations.RemoveField(model_name="cohort", name="appeal_window_days"),
        migrations.RemoveField(model_name="cohort", name="publish_after_deadline"),
        migrations.RemoveField(model_name="cohort", name="review_deadline_hours"),
    ]
