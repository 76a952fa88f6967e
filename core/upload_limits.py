"""A cap on the whole multipart body, files included, enforced while it is read.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves file parts out, so without this a client could make the web
process spool hundreds of megabytes to disk before any view saw the file's size. This handler runs
first (FILE_UPLOAD_HANDLERS): a declared Content-Length over the cap is refused before a byte is read,
and a body that turns out longer (chunked, or lying) is stopped as soon as it passes the cap. The API
answers 413 and the pages say the limit; docs/deploy.md has the proxy cap to set in front.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class UploadTooLarge(RequestDataTooBig):
    """The multipart body is over UPLOAD_MAX_REQUEST_BYTES; the message names the limit."""


def _refusal() -> UploadTooLarge:
    megabytes = settings.UPLOAD_MAX_REQUEST_BYTES / 1024 / 1024
    return UploadTooLarge(f"The request body is over {megabytes:.0f} MB; attachments are at most 20 MB each.")


class RequestBodyCap(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > settings.UPLOAD_MAX_REQUEST_BYTES:
            raise _refusal()
        self.received = 0
        return None  # the other handlers go on to read it

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_REQUEST_BYTES:
            raise _refusal()
        return raw_data

    def file_complete(self, file_size):
        return None
