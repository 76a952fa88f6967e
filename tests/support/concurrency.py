"""Calls released together from many threads, as concurrent requests reach the database."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection

from core.errors import ApplicationError


def at_once(count: int, call) -> list[str]:
    """Run ``call()`` from ``count`` threads released together: "accepted", or each refusal's code.
    Each thread closes its own database connection, as a request's end would."""
    barrier = threading.Barrier(count)

    def attempt(_):
        barrier.wait()
        try:
            call()
            return "accepted"
        except ApplicationError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(attempt, range(count)))
