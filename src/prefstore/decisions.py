"""Decisions: the append-only log of review and curation, and the layer every pair query passes through.

A decision excludes, flips or notes pairs or candidates, named by content
(`sql/decisions/pair_targets.sql`: the key export dedup compares), or states a
rule: a boolean SQL expression over the pair columns, checked by sqlglot
(`adhoc.check_predicate`) and evaluated again at every export, so it also
catches pairs ingested later. `register_pair_rows` puts the decisions in force
between a pair query and everything that reads pairs (`pairs`,
`trajectories`, every export format, lint, the review page, the NAT plugin),
so they all agree. Undo appends a record; nothing is updated or deleted.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb
from sqlglot import exp

from . import queries
from .adhoc import check_predicate
from .errors import BadOption, QueryRefused
from .models import Pair, PairConfig

# The columns a rule may name: the pair query's public columns (README, "Pairs").
RULE_COLUMNS = (
    "run_id", "example_id", "turn_id", "prompt", "chosen_response", "rejected_response", "chosen_score",
    "rejected_score", "score_diff", "reward", "chosen_index", "rejected_index", "chosen_metadata",
    "rejected_metadata", "num_candidates",
)
ACTIONS = ("exclude", "flip", "note")
SOURCES = ("review", "cli", "api")

PairRef = Pair | tuple[int, int]


def default_author() -> str:
    """$PREFSTORE_AUTHOR, else the login name (who made a decision, for the log)."""
    try:
        return os.environ.get("PREFSTORE_AUTHOR") or getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"


# -- the layer between pair queries and their readers ----------------------------------------
def register_pair_rows(cur: duckdb.DuckDBPyConnection, raw: duckdb.DuckDBPyRelation, config: PairConfig,
                       keep_excluded: bool = False) -> None:
    """Expose `raw` (a pair query's rows) as `pair_rows` on `cur`, decisions applied.

    Columns: the pair query's, plus `flipped` and `excluded`. Excluded pairs
    are dropped unless `keep_excluded` (the review page shows them). With no
    exclude or flip in force, or `config.apply_decisions` off, the rows pass
    through unchanged (no hashing: the common case costs nothing).
    """
    cur.register("raw_pair_rows", raw)
    if not config.apply_decisions or not pending(cur):
        cur.register("pair_rows", cur.sql("SELECT *, false AS flipped, false AS excluded FROM raw_pair_rows"))
        return
    cur.register("ruled_pair_rows", cur.sql(ruled_sql(active_rules(cur))))
    applied = cur.sql(queries.text("decisions/apply"), params={"ttc_step_name": config.ttc_step_name})
    cur.register("pair_rows", applied if keep_excluded else applied.filter("NOT excluded"))


def pending(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether any exclude or flip decision is in force."""
    return bool(queries.run(cur, "decisions/pending").fetchall()[0][0])


def active_rules(cur: duckdb.DuckDBPyConnection) -> list[tuple[int, str, exp.Expression]]:
    """(decision_id, action, parsed rule) of every rule in force, in log order."""
    return [(decision_id, action, check_predicate(rule, RULE_COLUMNS))
            for decision_id, action, rule in queries.run(cur, "decisions/rules").fetchall()]


def ruled_sql(rules: Sequence[tuple[int, str, exp.Expression]], source: str = "raw_pair_rows") -> str:
    """`SELECT *, <excluded by a rule>, <flipped by a rule> FROM source`, composed by sqlglot.

    A rule that is NULL for a pair (a NULL column) does not apply to it.
    """
    def any_of(action: str) -> exp.Expression:
        tests = [_applies(tree) for _, act, tree in rules if act == action]
        return exp.or_(*tests) if tests else exp.false()

    select = exp.select(exp.Star(), exp.alias_(any_of("exclude"), "rule_excluded"),
                        exp.alias_(any_of("flip"), "rule_flipped")).from_(source)
    return select.sql(dialect="duckdb")


def _applies(tree: exp.Expression) -> exp.Expression:
    return exp.func("coalesce", exp.paren(tree.copy()), exp.false())


# -- recording ---------------------------------------------------------------------------------
def decide(cur: duckdb.DuckDBPyConnection, action: str, raw: duckdb.DuckDBPyRelation, *,
           where: str | None = None, pairs: Iterable[PairRef] | None = None,
           candidates: Iterable[int] | None = None, note: str | None = None, author: str | None = None,
           source: str = "api", config: PairConfig | None = None,
           runs: Sequence[str] | None = None) -> dict[str, Any]:
    """Append one decision (inside the caller's write transaction); returns its log entry.

    Exactly one target: a rule (`where`), pairs (Pair objects from
    `store.pairs()`, or (chosen_seq, rejected_seq) as the pair query returns
    them, before any flip) or candidates (seqs). `config`/`runs` choose the
    pairs a rule is checked and counted against; the rule itself applies to
    every pair of every later export; `raw` is the pair query's relation for
    them (`pairs.raw_pair_relation`).
    """
    if action not in ACTIONS:
        raise BadOption(f"action: expected one of {', '.join(ACTIONS)}; got {action!r}")
    if source not in SOURCES:
        raise BadOption(f"source: expected one of {', '.join(SOURCES)}; got {source!r}")
    pair_seqs = [_pair_seqs(p) for p in pairs] if pairs is not None else None
    candidate_seqs = [int(s) for s in candidates] if candidates is not None else None
    given = [name for name, value in (("where", where), ("pairs", pair_seqs), ("candidates", candidate_seqs))
             if value is not None]
    if len(given) != 1:
        raise BadOption(f"a decision names one target: a rule (where=...), pairs or candidates; got "
                        f"{' and '.join(given) or 'none'}")
    target = "rule" if where is not None else given[0]
    if (action, target) == ("flip", "candidates"):
        raise BadOption("a candidate cannot be flipped; flip its pairs, or exclude it")
    if (action, target) == ("note", "rule"):
        raise BadOption("a note names pairs or candidates, not a rule")
    if action == "note" and not (note or "").strip():
        raise BadOption("a note needs its text")
    config = config or PairConfig()
    decision_id = queries.run(cur, "decisions/next_id").fetchall()[0][0]
    context: dict[str, Any] = {}
    rule_text = None
    if target == "rule":
        tree = check_rule(cur, where, raw)
        rule_text = tree.sql(dialect="duckdb")
        context = {"pair_options": config.model_dump(), "runs": list(runs) if runs else None,
                   "matches": count_rule(cur, tree)}
    elif target == "pairs":
        context = _record_pairs(cur, decision_id, pair_seqs)
    else:
        context = _record_candidates(cur, decision_id, candidate_seqs)
    queries.run(cur, "decisions/insert", {
        "decision_id": decision_id, "action": action, "target": target, "rule": rule_text, "undoes": None,
        "note": note, "author": author or default_author(), "source": source,
        "context": json.dumps(context, sort_keys=True, ensure_ascii=False, default=str)})
    return entry(cur, decision_id)


def undo(cur: duckdb.DuckDBPyConnection, decision_id: int, note: str | None = None, author: str | None = None,
         source: str = "api") -> dict[str, Any]:
    """Append an undo of `decision_id` (inside the caller's transaction); the undone decision stays in the log."""
    if source not in SOURCES:
        raise BadOption(f"source: expected one of {', '.join(SOURCES)}; got {source!r}")
    state = queries.run(cur, "decisions/undo_state", {"decision_id": decision_id}).fetchall()
    if not state:
        raise BadOption(f"no decision {decision_id} in the log; see `prefstore decisions`")
    ((action, done),) = state
    if action == "undo":
        raise BadOption(f"decision {decision_id} is an undo; undo cannot be undone, record the decision again")
    if done is not None:
        raise BadOption(f"decision {decision_id} was already undone by decision {done}")
    new_id = queries.run(cur, "decisions/next_id").fetchall()[0][0]
    queries.run(cur, "decisions/insert", {
        "decision_id": new_id, "action": "undo", "target": "decision", "rule": None, "undoes": decision_id,
        "note": note, "author": author or default_author(), "source": source, "context": "{}"})
    return entry(cur, new_id)


def check_rule(cur: duckdb.DuckDBPyConnection, where: str, raw: duckdb.DuckDBPyRelation) -> exp.Expression:
    """The rule parsed, checked by sqlglot and type-checked by DuckDB against the pair rows `raw`
    (registered as `raw_pair_rows`); QueryRefused names what is wrong."""
    tree = check_predicate(where, RULE_COLUMNS)
    cur.register("raw_pair_rows", raw)
    probe = exp.select(exp.alias_(exp.paren(tree.copy()), "rule")).from_("raw_pair_rows")
    try:
        types = cur.sql(probe.sql(dialect="duckdb")).types
    except duckdb.Error as exc:
        raise QueryRefused(f"--where {where!r}: {str(exc).strip().splitlines()[0]}") from None
    if str(types[0]) != "BOOLEAN":
        raise QueryRefused(f"--where {where!r} gives {types[0]} per pair; a rule must be true or false "
                           f"(e.g. score_diff < 0.05)")
    return tree


def count_rule(cur: duckdb.DuckDBPyConnection, tree: exp.Expression) -> int:
    """How many rows of `raw_pair_rows` the rule applies to."""
    return count_rules(cur, [tree])[0]


def count_rules(cur: duckdb.DuckDBPyConnection, trees: Sequence[exp.Expression]) -> list[int]:
    """How many rows of `raw_pair_rows` each rule applies to, in one pass over the pair rows."""
    if not trees:
        return []
    counts = [exp.alias_(exp.Filter(this=exp.func("count", exp.Star()), expression=exp.Where(this=_applies(tree))),
                         f"rule_{i}") for i, tree in enumerate(trees)]
    query = exp.select(*counts).from_("raw_pair_rows")
    return list(cur.sql(query.sql(dialect="duckdb")).fetchall()[0])


def _pair_seqs(ref: PairRef) -> tuple[int, int]:
    """(chosen_seq, rejected_seq) as the pair query returned the pair: a flipped Pair swaps back."""
    if isinstance(ref, Pair):
        if ref.chosen_seq is None or ref.rejected_seq is None:
            raise BadOption("this Pair carries no candidate seqs; take pairs from store.pairs()")
        return (ref.rejected_seq, ref.chosen_seq) if ref.flipped else (ref.chosen_seq, ref.rejected_seq)
    chosen, rejected = ref
    return int(chosen), int(rejected)


def _record_pairs(cur: duckdb.DuckDBPyConnection, decision_id: int, seqs: list[tuple[int, int]]) -> dict:
    if not seqs:
        raise BadOption("no pairs given")
    wanted = sorted(set(seqs))
    seqs = {"chosen_seqs": [c for c, _ in wanted], "rejected_seqs": [r for _, r in wanted]}
    found = queries.run(cur, "decisions/find_pairs", seqs).fetchall()
    if len(found) != len(wanted):
        missing = sorted(set(wanted) - {(c, r) for c, r, *_ in found})
        raise BadOption(f"no such pair: candidates {missing[0]} (chosen seq, rejected seq) are not two "
                        f"candidates of one (base) example and step in this store")
    queries.run(cur, "decisions/pair_targets", {"decision_id": decision_id, **seqs})
    _, _, run_id, example_id, turn_id, chosen_index, rejected_index = found[0]
    return {"pairs": len(wanted), "first": {"run_id": run_id, "example_id": example_id, "turn_id": turn_id,
                                             "chosen_index": chosen_index, "rejected_index": rejected_index}}


def _record_candidates(cur: duckdb.DuckDBPyConnection, decision_id: int, seqs: list[int]) -> dict:
    if not seqs:
        raise BadOption("no candidates given")
    wanted = sorted(set(seqs))
    found = queries.run(cur, "decisions/find_candidates", {"seqs": wanted}).fetchall()
    if len(found) != len(wanted):
        missing = sorted(set(wanted) - {row[0] for row in found})
        raise BadOption(f"no candidate with seq {missing[0]} in this store")
    queries.run(cur, "decisions/candidate_targets", {"decision_id": decision_id, "seqs": wanted})
    _, run_id, example_id, turn_id, index = found[0]
    return {"candidates": len(wanted), "first": {"run_id": run_id, "example_id": example_id,
                                                  "turn_id": turn_id, "candidate_index": index}}


# -- reading the log ---------------------------------------------------------------------------
def log(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every decision in log order (sql/decisions/log.sql), context decoded."""
    result = queries.run(cur, "decisions/log")
    names = [d[0] for d in result.description]
    rows = [dict(zip(names, row)) for row in result.fetchall()]
    for row in rows:
        row["context"] = json.loads(row["context"]) if row["context"] else {}
    return rows


def entry(cur: duckdb.DuckDBPyConnection, decision_id: int) -> dict[str, Any]:
    return next(row for row in log(cur) if row["decision_id"] == decision_id)


def with_matches(cur: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], raw: duckdb.DuckDBPyRelation,
                 config: PairConfig) -> list[dict[str, Any]]:
    """The log with, per decision, how many of its targets (pairs, candidates) or pairs (rules)
    match now among the pair rows `raw` (of `config`), and `orphan`: in force but matching nothing."""
    cur.register("raw_pair_rows", raw)
    matches = dict(queries.run(cur, "decisions/target_matches", {"ttc_step_name": config.ttc_step_name}).fetchall())
    rules = [row for row in rows if row["target"] == "rule"]
    for row, count in zip(rules, count_rules(cur, [check_predicate(row["rule"], RULE_COLUMNS) for row in rules])):
        row["matches"] = count
    for row in rows:
        if row["target"] in ("pairs", "candidates"):
            row["matches"] = matches.get(row["decision_id"], 0)
        elif row["target"] != "rule":
            row["matches"] = None
        row["orphan"] = bool(row["active"] and row["matches"] == 0)
    return rows


def digest(cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Entries, decisions in force and the log's sha256: what an export manifest records."""
    entries, active, sha = queries.run(cur, "decisions/digest").fetchall()[0]
    return {"entries": entries, "active": active, "sha256": sha}
