from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("reviews", "0010_take_downs_copied_to_decisions")]

    operations = [
        migrations.RemoveField(
            model_name="publication",
            name="take_down_note",
        ),
        migrations.RemoveField(
            model_name="publication",
            name="take_down_reason",
        ),
        migrations.RemoveField(
            model_name="publication",
            name="taken_down_by",
        ),
        migrations.AddConstraint(
            model_name="publication",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("take_down__isnull", True), ("taken_down_at__isnull", True)),
                    models.Q(("take_down__isnull", False), ("taken_down_at__isnull", False)),
                    _connector="OR",
                ),
                name="publication_take_down_is_a_decision",
            ),
        ),
    ]
