"""Serving the review app: a socket bound by the caller (so port 0 gives a free port whose number
is known before serving), uvicorn with its access log off (request URLs could carry the token)."""

from __future__ import annotations

import errno
import socket

from ..errors import BadOption


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one); BadOption names a port in use."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise BadOption(f"--port {port}: {host}:{port} is in use; choose another port, or --port 0 for a "
                            f"free one") from None
        raise BadOption(f"--host {host} --port {port}: cannot listen there ({exc.strerror})") from None
    sock.listen(128)
    return sock


def serve(app, sock: socket.socket) -> None:
    """Serve until interrupted (Ctrl-C stops the server gracefully and returns)."""
    import uvicorn

    config = uvicorn.Config(app, access_log=False, log_level="warning", lifespan="off", server_header=False,
                            timeout_graceful_shutdown=3)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled: the stop asked for
        pass
