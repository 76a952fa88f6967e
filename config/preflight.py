"""Checks `make run` does before starting the processes, with messages a person can act on.

python -m config.preflight             # exits 1 with a message when the port is taken
python -m config.preflight --announce  # the same, then prints the address to open
"""

import os
import socket
import sys


def main() -> int:
    bind = os.environ.get("BIND", "127.0.0.1")
    raw_port = os.environ.get("PORT", "8000")
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        print(f"PORT={raw_port!r} is not a port number (1-65535).", file=sys.stderr)
        return 1
    port = int(raw_port)
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
    if "--announce" not in sys.argv:
        return 0
    host = "localhost" if bind in ("127.0.0.1", "0.0.0.0", "::1", "::") else bind  # noqa: S104
    print(f"\n  Vernissage will serve at http://{host}:{port}/  (Ctrl-C stops the web server, worker and beat)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
