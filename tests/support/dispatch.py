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
