"""Counting SQL queries, with the statements printed when an assertion about them fails."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection
from django.test.utils import CaptureQueriesContext

# The test's own transaction control, not the code's work.
CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
# Without Redis the rate-limit counters live in the database cache (the embedded default): how many
# statements they take depends on whether a counter exists yet, not on the rows a page shows.
CACHE_TABLE = '"vernissage_cache"'


@dataclass
class Queries:
    sql: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sql)

    def without_control(self) -> Queries:
        return Queries([statement for statement in self.sql if not statement.startswith(CONTROL)])

    def of_the_code(self) -> Queries:
        """Without transaction control and the database cache's counters: the statements the code under test makes."""
        return Queries([sql for sql in self.without_control().sql if CACHE_TABLE not in sql])

    def touching(self, table: str) -> Queries:
        return Queries([statement for statement in self.sql if table in statement])

    def __str__(self) -> str:
        return "\n".join(f"{n}. {statement}" for n, statement in enumerate(self.sql, 1))


@contextmanager
def counted():
    """``with counted() as queries: ...``; afterwards ``len(queries)``, and ``str(queries)`` lists them."""
    queries = Queries()
    with CaptureQueriesContext(connection) as captured:
        yield queries
    queries.sql[:] = [query["sql"] for query in captured.captured_queries]


def queries_for(client, url: str, **extra) -> Queries:
    """The queries one GET of ``url`` makes (it must answer 200)."""
    with counted() as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    return queries


def assert_same_count(fewer_rows: Queries, more_rows: Queries, *, what: str = "") -> None:
    """The number of queries does not grow with the rows; on failure, the statements of the larger run."""
    fewer_rows, more_rows = fewer_rows.of_the_code(), more_rows.of_the_code()
    assert len(more_rows) == len(fewer_rows), f"{what}: {len(fewer_rows)} queries became {len(more_rows)}:\n{more_rows}"
