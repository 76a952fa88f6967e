"""Private media storage: never served by URL, only through permission-checked or signed views."""

from django.core.files.storage import storages


def private_storage():
    """The "private" storage of settings.STORAGES: local files, or an S3-compatible bucket."""
    return storages["private"]
