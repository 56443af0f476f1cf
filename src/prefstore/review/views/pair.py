"""`/pair/CHOSEN-REJECTED`: one pair (named by its candidates' seqs before any flip, as decisions
name it): prompt as a chat, both responses side by side with a word diff, the turn's candidates,
the decisions on it; j/k move within the list's filter (kept in the query string)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ...browse import Filters
from ..templating import templates
from .pairs import filter_query


def page(request: Request) -> Response:
    review = request.app.state.review
    browser = review.browser(request.query_params.get("step"))
    filters = Filters.parse(dict(request.query_params))
    chosen, rejected = request.path_params["chosen"], request.path_params["rejected"]
    detail = browser.pair(chosen, rejected, filters)
    query = filter_query(request, filters)
    return templates().TemplateResponse(request, "pair.html", review.context(
        request, browser, "pairs", d=detail, query=query,
        list_query=filter_query(request, filters, after=detail["pos"] - 1 if detail["around"]["number"] else None)))
