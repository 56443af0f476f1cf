"""`/`: per-run counts, charts, and the lint summary; `/lint`: the lint summary alone (fetched by
the page's script, since lint can take a while on a big store)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ...browse import Filters
from ..charts import overview_charts
from ..templating import templates
from .pairs import filter_query


def page(request: Request) -> Response:
    review = request.app.state.review
    browser = review.browser(request.query_params.get("step"))
    data = browser.overview()
    if not data["lint"]["fresh"]:
        data["lint"] = browser.start_lint()
    links = _links(request)
    return templates().TemplateResponse(request, "overview.html", review.context(
        request, browser, "overview", ov=data, charts=overview_charts(data), link_runs=links,
        link_checks=links))


def lint(request: Request) -> Response:
    review = request.app.state.review
    browser = review.browser(request.query_params.get("step"))
    state = browser.start_lint()    # the state as it is, lint started if stale: one store attach per poll
    response = templates().TemplateResponse(request, "_lint.html", {"lint": state, "link_checks": _links(request)})
    response.headers["X-Lint-Fresh"] = "yes" if state["fresh"] else "no"
    return response


def _links(request: Request) -> str:
    """The pair list's URL keeping the step (encoded like every other link), ready for one more filter."""
    query = filter_query(request, Filters())
    return f"/pairs{query}&" if query else "/pairs?"
