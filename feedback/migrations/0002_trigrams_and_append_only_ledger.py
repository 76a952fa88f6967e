from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# The contribution ledger is append-only, held by the database (as the audit log is): a correction is
# a new entry. Likely duplicates are found by trigram similarity (pg_trgm) on PostgreSQL.
POSTGRES_UP = """
CREATE OR REPLACE FUNCTION feedback_contributionentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'feedback_contributionentry is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER feedback_contributionentry_append_only
    BEFORE UPDATE OR DELETE ON feedback_contributionentry
    FOR EACH ROW EXECUTE FUNCTION feedback_contributionentry_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS feedback_contributionentry_append_only ON feedback_contributionentry;
DROP FUNCTION IF EXISTS feedback_contributionentry_append_only();
"""
SQLITE_UP = (
    "CREATE TRIGGER feedback_contributionentry_no_update BEFORE UPDATE ON feedback_contributionentry "
    "BEGIN SELECT RAISE(ABORT, 'feedback_contributionentry is append-only: UPDATE refused'); END;"
)
SQLITE_DOWN = "DROP TRIGGER IF EXISTS feedback_contributionentry_no_update;"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_reports_ledger_payouts")]

    operations = [TrigramExtension(), migrations.RunPython(install, remove)]  # the extension: PostgreSQL only
