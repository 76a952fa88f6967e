# SQLite rebuilds a table to add a constraint (0004 added contribution_not_self_awarded), and the
# rebuild dropped the trigger that keeps the ledger append-only there (0002). Put it back. Any later
# migration that rebuilds feedback_contributionentry on SQLite must do the same.

from django.db import migrations

SQLITE_UP = (
    "CREATE TRIGGER IF NOT EXISTS feedback_contributionentry_no_update BEFORE UPDATE ON feedback_contributionentry "
    "BEGIN SELECT RAISE(ABORT, 'feedback_contributionentry is append-only: UPDATE refused'); END;"
)


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


class Migration(migrations.Migration):
    dependencies = [("feedback", "0004_separation_of_duties")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
