"""Credit lines that an empty form filled with the artist's email address (before 0013, "Ask to publish"
fell back to it) become their display name, or a neutral credit when they had none."""

import re

from django.db import migrations

EMAIL_SHAPED = re.compile(r"[^\s@]+\s*@\s*[^\s@]+\.[^\s@]+")


def credit_lines_without_addresses(apps, schema_editor):
    PublicationRequest = apps.get_model("reviews", "PublicationRequest")
    for request in PublicationRequest.objects.filter(credit_line__contains="@").select_related("artist"):
        if not EMAIL_SHAPED.search(request.credit_line):
            continue
        name = request.artist.display_name.strip()
        request.credit_line = name if name and not EMAIL_SHAPED.search(name) else f"Member #{request.artist_id}"
        request.save(update_fields=["credit_line"])


class Migration(migrations.Migration):
    dependencies = [("reviews", "0012_decision_held_until")]

    operations = [migrations.RunPython(credit_lines_without_addresses, migrations.RunPython.noop)]
