"""Checks `make run` does before starting the processes, with messages a person can act on.

python -m config.preflight             # exits 1 with a message when the port is taken
python -m config.preflight --announce  # a Procfile process: once /readyz answers and a worker answers a ping,
                                       # prints the address to open, last, below every start-up banner
"""

import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.request


def main() -> int:
    bind = os.environ.get("BIND", "127.0.0.1")
    # Under honcho every process has its own PORT; WEB_PORT (set by the Makefile) is the web server's.
    raw_port = os.environ.get("WEB_PORT") or os.environ.get("PORT", "8000")
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        print(f"PORT={raw_port!r} is not a port number (1-65535).", file=sys.stderr)
        return 1
    port = int(raw_port)
    if "--announce" in sys.argv:
        return announce_when_ready(bind, port)
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # As gunicorn does: connections of a stopped server (TIME_WAIT) must not count as "in use".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((bind, port))
        except OSError as exc:
            print(
                f"Cannot serve on {bind}:{port}: {exc.strerror}. Another program (perhaps an earlier "
                f"`make run`) is using that port; stop it, or choose another: make run PORT={port + 1}",
                file=sys.stderr,
            )
            return 1
    return 0


def announce_when_ready(bind: str, port: int, *, patience_s: float = 180) -> int:
    """Wait for /readyz, print where to go, then stay (honcho stops everything when one process ends)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    local = "127.0.0.1" if bind in ("0.0.0.0", "127.0.0.1") else ("::1" if bind == "::" else bind)  # noqa: S104
    probe = f"http://{'[' + local + ']' if ':' in local else local}:{port}/readyz"
    deadline = time.monotonic() + patience_s
    ready = False
    while time.monotonic() < deadline and not ready:
        try:
            with urllib.request.urlopen(probe, timeout=5) as response:
                ready = response.status == 200
        except (OSError, urllib.error.URLError):
            pass
        if not ready:
            time.sleep(0.5)
    # /readyz is the web process's readiness only; the studio is usable once a worker answers too.
    while ready and time.monotonic() < deadline and not _a_worker_answers():
        time.sleep(0.5)
    host = "localhost" if bind in ("127.0.0.1", "0.0.0.0", "::1", "::") else bind  # noqa: S104
    if ready:
        print(
            f"\n  Vernissage is serving at http://{host}:{port}/  (Ctrl-C stops the web server, worker and beat)"
            f"\n  {_services_in_use()}\n"
        )
    else:
        print(
            f"\n  Vernissage should be at http://{host}:{port}/, but {probe} is not ready yet; see the lines above.\n"
        )
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0


def _services_in_use() -> str:
    """Which database and broker this run uses (what /readyz tells strangers only as "ok")."""
    from django.conf import settings
    from django.db import connection

    broker = settings.CELERY_BROKER_URL.split(":", 1)[0]
    return f"Database: {connection.vendor}; broker: {broker}; a worker answered."


def _a_worker_answers() -> bool:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from config.celery import app

    try:
        return bool(app.control.ping(timeout=1.0))
    except Exception:  # the broker not up yet: ask again
        return False


if __name__ == "__main__":
    sys.exit(main())
