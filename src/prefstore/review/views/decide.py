"""The page's writes: `/api/decide` (exclude, flip or note pairs, or the whole filter result as one
decision), `/api/undo`, and `/api/selection` (how many pairs a bulk action would change).

Decisions are `store.exclude/flip/note/undo(..., source="review", author=...)`, with pairs named by
(chosen_seq, rejected_seq) as the pair query returns them, before any flip.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from ...browse import Filters
from ...errors import BadOption

ACTIONS = ("exclude", "flip", "note")
PAST = {"exclude": "excluded", "flip": "flipped", "note": "noted"}


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BadOption("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise BadOption("the request body must be a JSON object")
    return body


def _action(value: Any) -> str:
    if value not in ACTIONS:
        raise BadOption(f"action: expected one of {', '.join(ACTIONS)}; got {value!r}")
    return value


def _pairs(value: Any) -> list[tuple[int, int]]:
    if not isinstance(value, list) or not value:
        raise BadOption("pairs: expected a non-empty list of [chosen_seq, rejected_seq]")
    pairs = []
    for item in value:
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(v, int) for v in item)):
            raise BadOption(f"pairs: expected [chosen_seq, rejected_seq]; got {item!r}")
        pairs.append((item[0], item[1]))
    return pairs


def selection(request: Request) -> JSONResponse:
    review = request.app.state.review
    browser = review.browser(request.query_params.get("step"))
    action = _action(request.query_params.get("action"))
    pairs = browser.selection(Filters.parse(dict(request.query_params)), action)
    return JSONResponse({"action": action, "pairs": len(pairs)})


async def decide(request: Request) -> JSONResponse:
    review = request.app.state.review
    body = await _body(request)
    action = _action(body.get("action"))
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise BadOption("note: expected text")
    if "filter" in body:
        params = body["filter"] if isinstance(body["filter"], dict) else {}
        browser = review.browser(params.get("step"))
        pairs = browser.selection(Filters.parse({k: str(v) for k, v in params.items()}), action)
        expect = body.get("expect")
        if len(pairs) != expect:
            raise BadOption(f"the filter result changed: {len(pairs):,} pairs would change now, {expect} were "
                            f"confirmed; nothing was recorded, look again")
        if not pairs:
            raise BadOption("no pair of the filter result would change; nothing was recorded")
    else:
        browser = review.browser(body.get("step"))
        pairs = _pairs(body.get("pairs"))
    kwargs = {"pairs": pairs, "author": review.author, "source": "review"}

    def record(store):
        if action == "note":
            return store.note(note or "", **kwargs)
        return getattr(store, action)(note=note, config=browser.config, runs=browser.runs, **kwargs)

    entry = review.write(browser, record)
    n = len(pairs)
    return JSONResponse({"decision_id": entry["decision_id"], "pairs": n,
                         "message": f"decision {entry['decision_id']}: {PAST[action]} {n:,} pair"
                                    f"{'s' if n != 1 else ''} (undo: u on a pair, or prefstore undo "
                                    f"{entry['decision_id']})"})


async def undo(request: Request) -> JSONResponse:
    review = request.app.state.review
    body = await _body(request)
    browser = review.browser(body.get("step"))
    if "decision_id" in body:
        decision_id = body["decision_id"]
        if not isinstance(decision_id, int):
            raise BadOption("decision_id: expected a number")
    else:
        chosen, rejected = _pairs([body.get("pair")])[0]
        decision_id = browser.latest_decision(chosen, rejected)
        if decision_id is None:
            raise BadOption("no decision in force names this pair or its candidates (a rule? undo it with "
                            "prefstore undo ID; see prefstore decisions)")
    entry = review.write(browser, lambda store: store.undo(decision_id, author=review.author, source="review"))
    return JSONResponse({"decision_id": entry["decision_id"], "undoes": decision_id,
                         "message": f"decision {entry['decision_id']}: undid decision {decision_id}"})
