"""The one seam between submissions and the GPU workers: dispatch.wake_workers sends the wake-up
messages. Tests that drive their jobs themselves hold the messages back here instead."""

from contextlib import contextmanager

import pytest

from generations import dispatch


@contextmanager
def wake_ups_held():
    """Inside: no wake-up message goes out; each would-be message's count is appended to the list yielded."""
    sent: list[int] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dispatch, "wake_workers", lambda *, count=1: sent.append(count))
        yield sent


def rendering_in_background(generation, *, progress: int):
    """Start a worker rendering ``generation`` in a thread and return the thread once the clip is
    running with at least ``progress`` per cent done (or after a minute, for the caller to assert)."""
    import threading
    import time

    from django.db import connection

    from generations import tasks

    def work():
        try:
            tasks.render_next(generation.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        generation.refresh_from_db()
        if generation.status == "running" and generation.progress >= progress:
            break
        time.sleep(0.05)
    return worker
