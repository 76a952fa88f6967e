from django.db import migrations

# A publication's (decision, decision_outcome) must be a decision's (id, outcome), and the table's
# check constraint holds decision_outcome to "approve": so a publication stands on an approving
# decision, held by the database. PostgreSQL only (SQLite cannot add a foreign key to a table).
ADD = """
ALTER TABLE reviews_publication
  ADD CONSTRAINT publication_decision_outcome_matches
  FOREIGN KEY (decision_id, decision_outcome) REFERENCES reviews_decision (id, outcome)
"""
DROP = "ALTER TABLE reviews_publication DROP CONSTRAINT publication_decision_outcome_matches"


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]

    operations = [migrations.RunPython(add, drop)]
