#!/usr/bin/env python3
"""Single-threaded moto DynamoDB server for the store contract tests.

Usage: python3 tests/moto_server.py PORT

moto's threaded server does not make concurrent TransactWriteItems atomic (ARCHITECTURE §4),
so requests are served one at a time. Binds 127.0.0.1 only. Exits on SIGINT / SIGTERM.
Per-request logging is off; poll the port (or POST ListTables) to know it is up.
"""

import logging
import signal
import socket
import sys

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, run_simple


class NoDelayHandler(WSGIRequestHandler):
    """Sends each response without Nagle's delay. werkzeug writes the headers and the body in
    separate sends; with Nagle on, the body waited for the client's delayed ACK of the headers,
    and about one DynamoDB call in ten took 40 ms longer."""

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def main() -> None:
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.stderr.write("usage: moto_server.py PORT\n")
        sys.exit(2)
    port = int(sys.argv[1])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        "127.0.0.1",
        port,
        app,
        threaded=False,
        use_reloader=False,
        use_debugger=False,
        request_handler=NoDelayHandler,
    )


if __name__ == "__main__":
    main()
