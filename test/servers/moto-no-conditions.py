"""moto's S3 server (moto 5.2.x) on 127.0.0.1, for tests of servers that ignore conditional writes.

Usage: python3 moto-no-conditions.py PORT [--keep-conditions]   (it exits when its stdin closes)

By default a WSGI filter in front of moto deletes the `If-None-Match` and `If-Match` request headers,
so the server answers every conditional PutObject as if it were unconditional: an S3-compatible server
that ignores conditional writes. With --keep-conditions moto gets the headers as sent (moto itself
refuses `If-None-Match: *` on an existing key with 412).
"""

import os
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def strip_conditions(app):
    """The WSGI filter: the request reaches moto without its write conditions."""

    def filtered(environ, start_response):
        environ.pop("HTTP_IF_NONE_MATCH", None)
        environ.pop("HTTP_IF_MATCH", None)
        return app(environ, start_response)

    return filtered


def exit_with_parent():
    """Stops the server when the test process that started it goes away (its pipe to our stdin closes)."""
    sys.stdin.read()
    os._exit(0)


def main():
    port = int(sys.argv[1])
    keep = "--keep-conditions" in sys.argv[2:]
    threading.Thread(target=exit_with_parent, daemon=True).start()
    app = DomainDispatcherApplication(create_backend_app)
    run_simple("127.0.0.1", port, app if keep else strip_conditions(app), threaded=True)


if __name__ == "__main__":
    main()
