"""LOG_FORMAT=json: one object per line with the request's id, which the response names too."""

import json
import logging

from django.test import Client

from config.logging import ContextIds, JsonLines, request_id


def test_a_request_gets_an_id_that_the_response_names_and_a_proxy_may_give(db):
    answered = Client().get("/healthz")
    assert answered.status_code == 200  # the probes are answered before ids are given
    response = Client().get("/accounts/login/")
    assert len(response["X-Request-ID"]) == 32
    given = Client().get("/accounts/login/", HTTP_X_REQUEST_ID="proxy-abc.123")
    assert given["X-Request-ID"] == "proxy-abc.123"
    hostile = Client().get("/accounts/login/", HTTP_X_REQUEST_ID="evil\nline")
    assert hostile["X-Request-ID"] != "evil\nline" and len(hostile["X-Request-ID"]) == 32


def test_json_lines_carry_the_request_id_and_the_exception():
    record = logging.LogRecord("vernissage.test", logging.ERROR, __file__, 1, "refused %s", ("x",), None)
    token = request_id.set("req-1")
    try:
        ContextIds().filter(record)
    finally:
        request_id.reset(token)
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    line = JsonLines().format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "refused x" and entry["level"] == "ERROR" and entry["request_id"] == "req-1"
    assert entry["time"].endswith("Z") and "ValueError: boom" in entry["exception"]
