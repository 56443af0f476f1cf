"""The review server's guards: a per-launch token, the Host header, and same-origin writes.

- Every request must name this server in its Host header (127.0.0.1:PORT,
  localhost:PORT, [::1]:PORT, or the --host it listens on): a DNS-rebinding
  page that resolves its own name to 127.0.0.1 is refused.
- Reading needs the token: the printed URL carries it once (`/?token=...`);
  the server answers with an HttpOnly, SameSite=Strict cookie and redirects
  to the same address without it, so it stays out of history and Referer.
- Writing (POST) needs the token in the `X-Prefstore-Token` header, which only
  the page's own script sends (another site cannot set it without a CORS
  preflight, which this server never grants), and, when the browser sends
  them, an Origin naming this server and Sec-Fetch-Site same-origin.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .templating import templates

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
TOKEN_HEADER = "x-prefstore-token"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int) -> set[str]:
    """Host header values naming this server."""
    names = set(LOOPBACK_NAMES)
    if host in ("0.0.0.0", "::", ""):
        names.add(socket.gethostname())
        try:
            names.update(socket.gethostbyname_ex(socket.gethostname())[2])
        except OSError:
            pass
    else:
        names.add(f"[{host}]" if ":" in host and not host.startswith("[") else host)
    return {f"{name}:{port}" for name in names}


def cookie_name(port: int) -> str:
    return f"prefstore_review_{port}"


class Guard:
    """ASGI middleware applying the rules in this module's docstring before any view runs."""

    def __init__(self, app: ASGIApp, token: str, hosts: Iterable[str], port: int) -> None:
        self.app = app
        self.token = token
        self.hosts = set(hosts)
        self.origins = {f"http://{h}" for h in self.hosts}
        self.cookie = cookie_name(port)

    def _same(self, value: str | None) -> bool:
        return value is not None and hmac.compare_digest(value.encode(), self.token.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        response = self.check(request)
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def check(self, request: Request) -> Response | None:
        host = request.headers.get("host", "")
        if host not in self.hosts:
            return _refuse(request, 421, f"this server does not answer for host {host!r}; "
                                         f"open the URL that `prefstore review` printed")
        if request.method not in ("GET", "HEAD"):
            if not self._same(request.headers.get(TOKEN_HEADER)):
                return _refuse(request, 403, "a change to the store needs the page's token; reload the page "
                                             "from the URL that `prefstore review` printed")
            origin = request.headers.get("origin")
            if origin is not None and origin not in self.origins:
                return _refuse(request, 403, f"cross-site write refused (Origin {origin})")
            site = request.headers.get("sec-fetch-site")
            if site is not None and site not in ("same-origin", "none"):
                return _refuse(request, 403, f"cross-site write refused (Sec-Fetch-Site {site})")
            return None
        given = request.query_params.get("token")
        if given is not None:
            if not self._same(given):
                return _refuse(request, 403, "this token is not the one `prefstore review` printed at this launch")
            rest = [(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True) if k != "token"]
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(self.cookie, self.token, httponly=True, samesite="strict", path="/")
            return response
        if not self._same(request.cookies.get(self.cookie)):
            return _refuse(request, 403, "open the URL that `prefstore review` printed: it carries this "
                                         "launch's token")
        return None


def _refuse(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/") or request.method not in ("GET", "HEAD"):
        return JSONResponse({"error": message}, status_code=status)
    return templates().TemplateResponse(request, "denied.html", {"message": message}, status_code=status)
