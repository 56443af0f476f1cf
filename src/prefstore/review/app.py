"""The review page's ASGI app: routes, shared state, and expected errors as pages or JSON.

Views (one module each in `views/`) call `Review`'s browser and write methods,
the same public library calls the CLI makes; there is no SQL here. The store
file is held only inside a request (see `store.Scratch`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..browse import Browser, NoSuchPair
from ..errors import BadOption, NoStore, PrefstoreError, StoreBusy
from ..models import PairConfig
from ..store import DEFAULT_WAIT_SECONDS, PreferenceStore, Scratch
from .security import Guard, allowed_hosts
from .templating import STATIC, templates


class Review:
    """What every request shares: the store path, the cache (a Browser per step name, one live
    at a time), who decides, and the write path."""

    def __init__(self, path: str | Path, config: PairConfig, runs: Sequence[str] | None, author: str,
                 token: str, wait: float = DEFAULT_WAIT_SECONDS, memory_limit: str | None = None,
                 temp_directory: str | None = None) -> None:
        self.path = str(path)
        self.config = config
        self.runs = list(runs) if runs else None
        self.author = author
        self.token = token
        self.wait = wait
        self.scratch = Scratch(path, wait=wait, memory_limit=memory_limit, temp_directory=temp_directory)
        self._browser = Browser(self.scratch, config, self.runs)
        self._switch = threading.Lock()

    def close(self) -> None:
        self._browser.interrupt_lint()
        self.scratch.close()

    def browser(self, step: str | None = None) -> Browser:
        """The browser for the pair options, with `step` as the step name if given (else the options'):
        one cache at a time, so switching steps rebuilds it."""
        step = step or self.config.ttc_step_name
        with self._switch:
            if step != self._browser.config.ttc_step_name:
                if step not in self._browser.step_names():
                    raise BadOption(f"step: no candidates with step name {step!r} in the store")
                self._browser.interrupt_lint()
                self._browser = Browser(self.scratch, self.config.model_copy(update={"ttc_step_name": step}),
                                        self.runs)
            return self._browser

    @property
    def current(self) -> Browser:
        """The live browser as it is, never switching steps: for an error page, which must not rebuild
        the cache or wait on the store."""
        return self._browser

    def write(self, browser: Browser, action: Callable[[PreferenceStore], dict]) -> dict:
        """Run `action` on the store opened for writing, for that moment only (lint stops first)."""
        browser.interrupt_lint()
        with self.scratch.writing(), PreferenceStore(self.path, wait=self.wait) as store:
            return action(store)

    def mode(self, browser: Browser) -> str:
        c = browser.config
        parts = [c.ttc_step_name, "exhaustive" if c.exhaustive_pairs else "best vs worst"]
        if c.min_score_diff:
            parts.append(f"min diff {c.min_score_diff:g}")
        if c.max_pairs_per_turn:
            parts.append(f"≤{c.max_pairs_per_turn}/turn")
        if c.pair_scope != "turn":
            parts.append(f"scope {c.pair_scope}")
        if not c.apply_decisions:
            parts.append("decisions ignored")
        if self.runs:
            parts.append("runs " + ",".join(self.runs))
        return ", ".join(parts)

    def context(self, request: Request, browser: Browser, nav: str, **values: Any) -> dict[str, Any]:
        step = request.query_params.get("step")
        return {
            "token": self.token, "author": self.author, "store_path": self.path,
            "store_name": Path(self.path).name, "mode": self.mode(browser), "nav": nav,
            "step_query": f"?{urlencode({'step': step})}" if step else "", **values,
        }


def page_error(request: Request, exc: Exception) -> Response:
    """An expected error as one message: JSON for the API, a page otherwise."""
    status = 503 if isinstance(exc, StoreBusy) else 404 if isinstance(exc, (NoStore, NoSuchPair)) else 400
    message = str(exc)
    if request.url.path.startswith("/api/") or request.url.path == "/lint":
        return JSONResponse({"error": message}, status_code=status)
    review: Review = request.app.state.review
    heading = {503: "The store is busy", 404: "Not found"}.get(status, "Cannot show this")
    return templates().TemplateResponse(request, "error.html", review.context(
        request, review.current, "", status=status, heading=heading, message=message), status_code=status)


def create_app(review: Review, host: str, port: int) -> Starlette:
    """The app for one store; `host`/`port` are where it listens (the Host header must name them)."""
    from .views import decide, overview, pair, pairs

    routes = [
        Route("/", overview.page),
        Route("/lint", overview.lint),
        Route("/pairs", pairs.page),
        Route("/pair/{chosen:int}-{rejected:int}", pair.page),
        Route("/api/selection", decide.selection),
        Route("/api/decide", decide.decide, methods=["POST"]),
        Route("/api/undo", decide.undo, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={PrefstoreError: page_error})
    app.state.review = review
    app.add_middleware(Guard, token=review.token, hosts=allowed_hosts(host, port), port=port)
    return app
