"""The embedded broker (CELERY_BROKER_URL=filesystem://): kombu's file-system transport, made safe for
several processes at once.

kombu writes each message straight into the folder consumers list, so a consumer may take a file that
another process has created but not yet written, read it empty and die on the JSON (kombu issue 1551;
seen here as a worker's JSONDecodeError under steady submit-and-cancel traffic, which took `make run`
down with it). Here a message is written under a name no consumer looks at, flushed to disk, then
renamed into place in the same folder: a rename is atomic, so a consumer sees the whole message or
nothing. Redis is the broker for anything beyond one machine.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put ``payload`` onto ``queue``, whole or not at all (kombu's own name, so the order is kept)."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # A leading dot and no ".msg" ending: kombu's consumers match "<stamp>_<id>.<queue>.msg" only.
        partial = os.path.join(self.data_folder_out, f".{uuid.uuid4().hex}.partial")
        try:
            with open(partial, "wb") as out:
                out.write(str_to_bytes(dumps(payload)))
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, final)
        except OSError as exc:
            with contextlib.suppress(OSError):  # nothing was written, or it is gone already
                os.unlink(partial)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class AtomicFilesystemTransport(filesystem.Transport):
    Channel = Channel
