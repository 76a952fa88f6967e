"""A row and its file saved together: storage is not transactional, so the file goes again if the
row is refused."""

from django.core.files.base import ContentFile


def save_with_file(instance, field_name: str, name: str, content: bytes) -> None:
    """Store ``content`` as ``instance``'s file ``field_name`` (named ``name``), then save the row; a row the
    database refuses takes its file with it. Check everything before: only a database failure gets here."""
    field = getattr(instance, field_name)
    field.save(name, ContentFile(content), save=False)
    try:
        instance.save()
    except Exception:
        field.delete(save=False)
        raise
