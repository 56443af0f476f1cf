"""`/pairs`: the pair list, paged by keyset on the output order, with the filters."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from ...browse import PAGE_SIZE, SPLITS, STATES, Filters
from ...errors import BadOption
from ...lint import CHECK_NAMES
from ..templating import templates


def position(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise BadOption(f"{name}: expected a pair number; got {value!r}") from None


def filter_query(request: Request, filters: Filters, **extra: object) -> str:
    """The filter (and step) as a query string, for links that keep them."""
    params = dict(filters.query())
    step = request.query_params.get("step")
    if step:
        params = {"step": step, **params}
    params.update({k: str(v) for k, v in extra.items() if v is not None})
    return f"?{urlencode(params)}" if params else ""


def page(request: Request) -> Response:
    review = request.app.state.review
    browser = review.browser(request.query_params.get("step"))
    filters = Filters.parse(dict(request.query_params))
    after = position(request.query_params.get("after"), "after")
    before = position(request.query_params.get("before"), "before")
    data = browser.page(filters, after=after, before=before)
    rows = data["rows"]
    return templates().TemplateResponse(request, "pairs.html", review.context(
        request, browser, "pairs", page=data, f=filters, steps=data["steps"],
        step=browser.config.ttc_step_name, runs=data["runs"],
        checks=CHECK_NAMES, states=STATES, splits=SPLITS, page_size=PAGE_SIZE,
        query=filter_query(request, filters),
        prev_query=filter_query(request, filters, before=rows[0]["pos"]) if rows else "",
        next_query=filter_query(request, filters, after=rows[-1]["pos"]) if rows else ""))
