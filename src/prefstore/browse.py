"""Browsing a store's pairs for review: paged, filtered, one pair in detail, an overview.

The review page (`prefstore review`) and the report (`prefstore report`) read
through here; the queries are `sql/review/*.sql`. Everything the page lists
comes from a narrow cache of the pairs (`review_pairs`: seqs, scores,
lengths, ids; no texts) and candidates (`review_candidates`: lengths and the
md5s decisions name them by), built once from the pair query and kept until
the store changes. Texts are read from the store only for the rows a page
shows. Decisions are applied on the cache (`review/flags.sql`, the rules of
`sql/decisions/apply.sql` on narrow rows), so a decision costs a cheap
refresh, not a new pair query.

`Browser` keeps that cache in an in-memory DuckDB (`store.Scratch`) and holds
the store file only inside `Scratch.reading()`: the cache is keyed by a cheap
fingerprint of the store (review/version.sql), read at every request, so a
run ingested by another process, or a decision from the CLI, shows up at the
next request. Lint (`lint.run_lint`, the same report as `prefstore lint`)
runs on demand, in the caller's thread or a background one, and is kept for
the fingerprint it ran on.

`build_cache(cur, ...)` and `overview(cur, ...)` also work on an open
PreferenceStore's cursor, with temp tables as the cache: that is how
`store.report` writes the same overview without a server.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import json
import math
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb

from . import queries
from .decisions import active_rules, ruled_sql
from .errors import BadOption, PrefstoreError
from .lint import CHECK_NAMES, run_lint
from .models import PairConfig
from .pairs import check_runs, raw_pair_relation

STATES = ("excluded", "flipped", "noted", "none")
SPLITS = ("train", "validation")
PAGE_SIZE = 50
LIST_CHARS = 240            # characters of each text a list row shows
PAIR_CHARS = 200_000        # characters of each text the pair page shows
DIFF_CHARS = 20_000         # characters of each response the word diff compares
SCORE_BINS = 20
MARGIN_BINS = 20
LENGTH_BINS = 16
CACHE_TABLES = ("review_candidates", "review_pairs", "review_targets", "review_rule_flags", "review_flags",
                "review_lint", "review_split", "review_search")


class NoSuchPair(PrefstoreError):
    """The pair options give no pair of these two candidates (or no longer do)."""


@dataclasses.dataclass(frozen=True)
class Filters:
    """What the pair list shows; every field None means no filter (see sql/review/filtered.sql)."""

    run_id: str | None = None
    example_id: str | None = None
    split: str | None = None
    min_margin: float | None = None
    max_margin: float | None = None
    min_ratio: float | None = None
    max_ratio: float | None = None
    check: str | None = None
    state: str | None = None
    search: str | None = None

    @classmethod
    def parse(cls, params: dict[str, str]) -> Filters:
        """From the page's query parameters (blank = no filter); BadOption names a bad value."""
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            raw = (params.get(field.name) or "").strip()
            if not raw:
                continue
            if field.name in ("min_margin", "max_margin", "min_ratio", "max_ratio"):
                try:
                    number = float(raw)
                except ValueError:
                    raise BadOption(f"{field.name}: expected a number; got {raw!r}") from None
                if not math.isfinite(number):
                    raise BadOption(f"{field.name}: expected a finite number; got {raw!r}")
                values[field.name] = number
            else:
                values[field.name] = raw
        filters = cls(**values)
        if filters.state is not None and filters.state not in STATES:
            raise BadOption(f"state: expected one of {', '.join(STATES)}; got {filters.state!r}")
        if filters.split is not None and filters.split not in SPLITS:
            raise BadOption(f"split: expected one of {', '.join(SPLITS)}; got {filters.split!r}")
        if filters.check is not None and filters.check not in CHECK_NAMES:
            raise BadOption(f"check: expected one of {', '.join(CHECK_NAMES)}; got {filters.check!r}")
        return filters

    def query(self) -> dict[str, str]:
        """The non-empty fields as query parameters (for links that keep the filter)."""
        return {k: (f"{v:g}" if isinstance(v, float) else str(v))
                for k, v in dataclasses.asdict(self).items() if v is not None}

    @property
    def needs_lint(self) -> bool:
        return self.check is not None or self.split is not None

    def params(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["search"] = self.search is not None
        return values


# -- the cache (works on a Scratch cursor, or on a PreferenceStore cursor with temp tables) ---------
def _create(cur: duckdb.DuckDBPyConnection, table: str, name: str, params: dict | None, catalog: str) -> None:
    """Materialize query `name` as cache table `table` (a name from CACHE_TABLES, never user text)."""
    assert table in CACHE_TABLES
    target = f"TEMP TABLE {table}" if catalog == "temp" else f"TABLE {catalog}.main.{table}"
    text = queries.text(name)
    bound = queries.bind(name, params or {}) if params else None
    cur.execute(f"CREATE OR REPLACE {target} AS {text}", bound)


def _empty(cur: duckdb.DuckDBPyConnection, table: str, columns: str, catalog: str) -> None:
    assert table in CACHE_TABLES
    target = f"TEMP TABLE {table}" if catalog == "temp" else f"TABLE {catalog}.main.{table}"
    cur.execute(f"CREATE OR REPLACE {target} ({columns})")


def build_pairs(cur: duckdb.DuckDBPyConnection, config: PairConfig, runs: Sequence[str] | None,
                catalog: str = "temp") -> None:
    """The narrow cache of candidates and pairs (before decisions) for these options."""
    runs = check_runs(cur, runs)
    _create(cur, "review_candidates", "review/candidates",
            {"ttc_step_name": config.ttc_step_name, "runs": runs}, catalog)
    cur.register("raw_pair_rows", raw_pair_relation(cur, config, runs))
    _create(cur, "review_pairs", "review/pairs", None, catalog)
    cur.unregister("raw_pair_rows")


def build_rules(cur: duckdb.DuckDBPyConnection, config: PairConfig, runs: Sequence[str] | None,
                catalog: str = "temp") -> None:
    """Which cached pairs the rules in force exclude or flip (a full pair query: only when the rules change)."""
    rules = active_rules(cur) if config.apply_decisions else []
    if not rules:
        _empty(cur, "review_rule_flags", "chosen_seq BIGINT, rejected_seq BIGINT, rule_excluded BOOLEAN, "
                                         "rule_flipped BOOLEAN", catalog)
        return
    cur.register("raw_pair_rows", raw_pair_relation(cur, config, check_runs(cur, runs)))
    cur.register("ruled_pair_rows", cur.sql(ruled_sql(rules)))
    _create(cur, "review_rule_flags", "review/rule_flags", None, catalog)
    cur.unregister("ruled_pair_rows")
    cur.unregister("raw_pair_rows")


def build_flags(cur: duckdb.DuckDBPyConnection, config: PairConfig, catalog: str = "temp") -> None:
    """The decisions in force on each cached pair (after build_pairs and build_rules)."""
    if config.apply_decisions:
        _create(cur, "review_targets", "review/targets", {}, catalog)
    else:
        _empty(cur, "review_targets", "decision_id BIGINT, action VARCHAR, kind VARCHAR, step_name VARCHAR, "
                                      "example_id VARCHAR, prompt_md5 VARCHAR, chosen_md5 VARCHAR, "
                                      "rejected_md5 VARCHAR, response_md5 VARCHAR", catalog)
    _create(cur, "review_flags", "review/flags", {"ttc_step_name": config.ttc_step_name}, catalog)


def empty_lint(cur: duckdb.DuckDBPyConnection, catalog: str = "temp") -> None:
    _empty(cur, "review_lint", "pos BIGINT, check_name VARCHAR", catalog)
    _empty(cur, "review_split", "example_seq BIGINT, split VARCHAR", catalog)
    _empty(cur, "review_search", "seq BIGINT, in_response BOOLEAN", catalog)


def build_lint(cur: duckdb.DuckDBPyConnection, config: PairConfig, runs: Sequence[str] | None,
               catalog: str = "temp", examples: int = 5) -> dict[str, Any]:
    """Run lint (the report `prefstore lint` prints) and cache its findings per pair and the split."""
    report = run_lint(cur, config, runs, examples=examples)
    _create(cur, "review_lint", "review/lint_positions", None, catalog)
    _create(cur, "review_split", "review/split", None, catalog)     # export_rows: left by split_leakage
    return report


def build_cache(cur: duckdb.DuckDBPyConnection, config: PairConfig, runs: Sequence[str] | None,
                catalog: str = "temp") -> None:
    """The cache tables `overview` reads (pairs, rule and decision flags), for one-off use (the report,
    store.overview); the lint, split and search tables only the page's filters read are left out."""
    build_pairs(cur, config, runs, catalog)
    build_rules(cur, config, runs, catalog)
    build_flags(cur, config, catalog)


# -- reading the cache ---------------------------------------------------------------------------------
def _rows(result: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]


def overview(cur: duckdb.DuckDBPyConnection, runs: Sequence[str] | None) -> dict[str, Any]:
    """Per-run counts and the chart bins (sql/review/run_summary.sql, bins_*.sql) from the cache."""
    summary = _rows(queries.run(cur, "review/run_summary", {"runs": list(runs) if runs else None}))
    score = _rows(queries.run(cur, "review/bins_score", {"bins": SCORE_BINS}))
    by_run: dict[str, list[dict]] = {}
    for row in score:
        by_run.setdefault(row["run_id"], []).append(row)
    total_score = [{"bin": b[0]["bin"], "lo": b[0]["lo"], "hi": b[0]["hi"], "n": sum(r["n"] for r in b)}
                   for b in zip(*by_run.values())] if by_run else []
    lengths = _rows(queries.run(cur, "review/bins_length", {"bins": LENGTH_BINS}))
    return {
        "runs": summary,
        "totals": {k: sum(r[k] for r in summary) for k in
                   ("candidates", "pairs", "excluded", "flipped", "noted", "rejects")},
        "score": total_score,
        "score_by_run": by_run,
        "margin": _rows(queries.run(cur, "review/bins_margin", {"bins": MARGIN_BINS})),
        "length": {side: [r for r in lengths if r["side"] == side] for side in ("chosen", "rejected")},
        "candidates": _rows(queries.run(cur, "review/bins_candidates")),
    }


def register_filtered(cur: duckdb.DuckDBPyConnection, filters: Filters) -> None:
    """`review_filtered`: the cached pairs narrowed by `filters` (sql/review/filtered.sql)."""
    cur.register("review_filtered", cur.sql(queries.text("review/filtered"),
                                            params=queries.bind("review/filtered", filters.params())))


def search_candidates(cur: duckdb.DuckDBPyConnection, config: PairConfig, runs: Sequence[str] | None,
                      text: str | None, catalog: str) -> None:
    """Fill `review_search` with the candidates whose prompt or response contains `text` (a scan of the
    store's texts)."""
    if text is None:
        return
    _create(cur, "review_search", "review/search",
            {"ttc_step_name": config.ttc_step_name, "runs": list(runs) if runs else None, "text": text}, catalog)


def texts(cur: duckdb.DuckDBPyConnection, seqs: Sequence[int], chars: int) -> dict[int, dict[str, Any]]:
    """Texts of these candidates (store read), cut to `chars` characters, by seq."""
    if not seqs:
        return {}
    rows = _rows(queries.run(cur, "review/texts", {"seqs": sorted(set(seqs)), "chars": chars}))
    return {row["seq"]: row for row in rows}


def word_diff(a: str, b: str, limit: int = DIFF_CHARS) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]], bool]:
    """A word-level diff: each side as (text, changed) pieces; the texts beyond `limit` characters are
    not compared (the third value says so). Whitespace stays with the words, so the pieces rebuild
    the text exactly."""
    cut = len(a) > limit or len(b) > limit
    a_words = re.findall(r"\s*\S+|\s+", a[:limit])
    b_words = re.findall(r"\s*\S+|\s+", b[:limit])
    matcher = difflib.SequenceMatcher(None, a_words, b_words, autojunk=False)
    left: list[tuple[str, bool]] = []
    right: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        same = tag == "equal"
        if i2 > i1:
            left.append(("".join(a_words[i1:i2]), not same))
        if j2 > j1:
            right.append(("".join(b_words[j1:j2]), not same))
    return left, right, cut


def messages(prompt_json: str | None) -> list[dict[str, str]] | None:
    """The prompt as chat messages (role, content); a string prompt is one user message; None if cut."""
    if prompt_json is None:
        return None
    try:
        value = json.loads(prompt_json)
    except ValueError:
        return None
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if isinstance(value, list) and all(isinstance(m, dict) for m in value):
        return [{"role": str(m.get("role", "")), "content": m.get("content") if isinstance(m.get("content"), str)
                 else json.dumps(m.get("content"), ensure_ascii=False)} for m in value]
    return [{"role": "user", "content": prompt_json}]


# -- the server's cached browser --------------------------------------------------------------------------
@dataclasses.dataclass
class _Lint:
    key: tuple | None = None
    report: dict[str, Any] | None = None
    error: str | None = None
    running: bool = False
    thread: threading.Thread | None = None
    cursor: duckdb.DuckDBPyConnection | None = None


class Browser:
    """The review page's view of one store: cached pairs, pages, pair details, overview, lint.

    `scratch` is a `store.Scratch` (an in-memory DuckDB that attaches the store
    file read-only per call). Every public method reads the store's fingerprint
    first and refreshes what changed: candidates and pairs on a new or replaced
    run (one narrow pair query), rule flags when the rules in force change,
    decision flags on any decision (cheap: on the cache). Thread-safe.
    """

    def __init__(self, scratch, config: PairConfig | None = None, runs: Sequence[str] | None = None) -> None:
        self.scratch = scratch
        self.config = config or PairConfig()
        self.runs = list(runs) if runs else None
        self._keys: dict[str, Any] = {}
        self._overview: tuple[Any, dict] | None = None
        self._names: dict[str, Any] = {}
        self._searched: tuple | None = None
        self._build = threading.RLock()
        self._lint = _Lint()
        self._lint_lock = threading.Lock()

    # the fingerprint and the refresh
    @contextlib.contextmanager
    def reading(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, tuple]]:
        """The store attached, the cache refreshed; yields (cursor, decisions key)."""
        with self.scratch.reading() as cur:
            yield cur, self._refresh(cur)

    def _refresh(self, cur: duckdb.DuckDBPyConnection) -> tuple:
        runs, max_run_seq, candidates, decisions, rules = queries.run(cur, "review/version").fetchall()[0]
        data_key = (runs, max_run_seq, candidates)
        rules_key = (data_key, tuple(rules))
        decisions_key = (data_key, decisions)
        with self._build:
            if self._keys.get("data") != data_key:
                build_pairs(cur, self.config, self.runs, "memory")
                empty_lint(cur, "memory")
                self._keys = {"data": data_key}
            if self._keys.get("rules") != rules_key:
                build_rules(cur, self.config, self.runs, "memory")
                self._keys["rules"] = rules_key
                self._keys.pop("decisions", None)
            if self._keys.get("decisions") != decisions_key:
                build_flags(cur, self.config, "memory")
                self._keys["decisions"] = decisions_key
        return decisions_key

    # pages
    def page(self, filters: Filters, after: int | None = None, before: int | None = None,
             limit: int = PAGE_SIZE) -> dict[str, Any]:
        """One page of the filter result by keyset (`after`/`before` a pos); texts for its rows only."""
        with self.reading() as (cur, key):
            lint = self._lint_state(cur, key, filters.needs_lint)
            with self._build:  # review_search is shared: fill and read it in one go
                self._search(cur, key, filters.search)
                register_filtered(cur, filters)
                rows = _rows(queries.run(cur, "review/page", {"after": after, "before": before, "limit": limit + 1}))
                counts = _rows(queries.run(cur, "review/count"))[0]
            more = len(rows) > limit
            rows = rows[:limit]
            if before is not None:
                rows.reverse()
            seqs = [s for r in rows for s in (r["chosen_seq"], r["rejected_seq"])]
            found = texts(cur, seqs, LIST_CHARS)
            self._load_names(cur, key)
        for row in rows:
            shown_chosen, shown_rejected = _shown(row)
            row["chosen_text"] = found[shown_chosen]["response"]
            row["rejected_text"] = found[shown_rejected]["response"]
            row["prompt_text"] = found[row["chosen_seq"]]["prompt_last"]
        has_prev = bool(rows) and counts["first_pos"] is not None and rows[0]["pos"] > counts["first_pos"]
        has_next = bool(rows) and counts["last_pos"] is not None and rows[-1]["pos"] < counts["last_pos"]
        return {"rows": rows, "counts": counts, "has_prev": has_prev, "has_next": has_next, "lint": lint,
                "more": more, "runs": self._names["runs"], "steps": self._names["steps"]}

    def selection(self, filters: Filters, action: str) -> list[tuple[int, int]]:
        """The pairs of the filter result that a bulk `action` would change, as decisions name them."""
        with self.reading() as (cur, key):
            self._lint_state(cur, key, filters.needs_lint)
            with self._build:
                self._search(cur, key, filters.search)
                register_filtered(cur, filters)
                return [tuple(r) for r in queries.run(cur, "review/selection", {"action": action}).fetchall()]

    def pair(self, chosen_seq: int, rejected_seq: int, filters: Filters) -> dict[str, Any]:
        """One pair in detail (NoSuchPair if the pair options give no such pair): texts, diff, scores,
        metadata, the turn's other candidates ranked, its decisions, lint findings, neighbours."""
        with self.reading() as (cur, key):
            lint = self._lint_state(cur, key, filters.needs_lint)
            pos = _locate(cur, chosen_seq, rejected_seq)
            with self._build:
                self._search(cur, key, filters.search)
                register_filtered(cur, Filters())
                row = _rows(queries.run(cur, "review/shown_pair", {"pos": pos}))[0]
                register_filtered(cur, filters)
                around = _rows(queries.run(cur, "review/neighbors", {"pos": pos}))[0]
            turn = _rows(queries.run(cur, "review/turn", {
                "run_id": row["run_id"], "example_id": row["example_id"], "turn_id": row["turn_id"]}))
            found = texts(cur, [row["chosen_seq"], row["rejected_seq"]] + [c["seq"] for c in turn], PAIR_CHARS)
            decisions = self._pair_decisions(cur, chosen_seq, rejected_seq) + self._rules_on(cur, row)
            findings = [] if lint["report"] is None else [
                c for (c,) in queries.run(cur, "review/pair_findings", {"pos": pos}).fetchall()]
        decisions.sort(key=lambda d: d["decision_id"])
        shown_chosen, shown_rejected = _shown(row)
        chosen, rejected = found[shown_chosen], found[shown_rejected]
        left, right, cut = word_diff(chosen["response"], rejected["response"])
        for candidate in turn:
            candidate["response"] = found[candidate["seq"]]["response"]
            candidate["role"] = ("chosen" if candidate["seq"] == shown_chosen else
                                 "rejected" if candidate["seq"] == shown_rejected else "")
        prompt = found[chosen_seq]
        return {
            "pair": row, "pos": pos, "chosen": chosen, "rejected": rejected,
            "diff": {"chosen": left, "rejected": right, "cut": cut, "limit": DIFF_CHARS},
            "messages": messages(prompt["prompt"]) if prompt["prompt_len"] <= PAIR_CHARS else None,
            "prompt": prompt, "turn": turn, "decisions": decisions, "findings": findings, "lint": lint,
            "around": around, "text_limit": PAIR_CHARS,
        }

    def _pair_decisions(self, cur: duckdb.DuckDBPyConnection, chosen_seq: int,
                        rejected_seq: int) -> list[dict[str, Any]]:
        """The decisions naming this pair or either candidate, rules left out (no texts read)."""
        keys = queries.run(cur, "review/candidate_keys", {"chosen_seq": chosen_seq,
                                                          "rejected_seq": rejected_seq}).fetchall()
        md5 = {seq: (p, r) for seq, p, r, _ in keys}
        base = {seq: b for seq, _, _, b in keys}
        return _rows(queries.run(cur, "review/pair_decisions", {
            "ttc_step_name": self.config.ttc_step_name, "base_example_id": base[chosen_seq],
            "prompt_md5": md5[chosen_seq][0], "chosen_md5": md5[chosen_seq][1],
            "rejected_md5": md5[rejected_seq][1], "rejected_prompt_md5": md5[rejected_seq][0]}))

    def _rules_on(self, cur: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> list[dict[str, Any]]:
        """The rules in force that apply to this pair, as decision rows (each tested on the one pair)."""
        if not self.config.apply_decisions or not self._keys.get("rules", (None, ()))[1]:
            return []
        one = cur.sql(queries.text("review/pair_row"), params={
            "chosen_seq": row["chosen_seq"], "rejected_seq": row["rejected_seq"], "reward": row["reward"],
            "num_candidates": row["num_candidates"]})
        cur.register("raw_pair_rows", one)
        found = []
        for decision_id, action, tree in active_rules(cur):
            hit = cur.sql(ruled_sql([(decision_id, action, tree)])).fetchall()
            excluded, flipped = hit[0][-2:] if hit else (False, False)
            if excluded or flipped:
                found += _rows(queries.run(cur, "review/rule_decision", {"decision_id": decision_id}))
        cur.unregister("raw_pair_rows")
        return found

    def latest_decision(self, chosen_seq: int, rejected_seq: int) -> int | None:
        """The newest decision in force naming this pair or one of its candidates (what `u` undoes);
        rules are left out: undoing one changes every pair it matches. Reads the cache and the log only
        (NoSuchPair as for `pair`), none of the pair page's texts, diff or lint."""
        with self.reading() as (cur, _):
            _locate(cur, chosen_seq, rejected_seq)
            decisions = self._pair_decisions(cur, chosen_seq, rejected_seq)
        ids = [d["decision_id"] for d in decisions if d["active"]]
        return max(ids) if ids else None

    def overview(self) -> dict[str, Any]:
        """Per-run counts and chart bins (cached per store fingerprint), with the lint state."""
        with self.reading() as (cur, key):
            if self._overview is None or self._overview[0] != key:
                with self._build:
                    self._overview = (key, overview(cur, self.runs))
            data = dict(self._overview[1])
            data["lint"] = self._lint_state(cur, key, False)
        return data

    def step_names(self) -> list[str]:
        """The store's step names (what the pair options' ttc_step_name may be)."""
        with self.reading() as (cur, key):
            return self._load_names(cur, key)["steps"]

    def _load_names(self, cur: duckdb.DuckDBPyConnection, key: tuple) -> dict[str, list[str]]:
        with self._build:
            if self._names.get("key") != key[0]:
                steps = [n for (n,) in queries.run(cur, "review/step_names").fetchall()]
                runs = [r for (r,) in queries.run(cur, "review/run_ids", {"runs": self.runs}).fetchall()]
                self._names = {"key": key[0], "steps": steps, "runs": runs}
            return self._names

    def _search(self, cur: duckdb.DuckDBPyConnection, key: tuple, text: str | None) -> None:
        """review_search for `text`, kept while the text and the data stay the same (paging a search)."""
        if text is not None and self._searched != (text, key[0]):
            search_candidates(cur, self.config, self.runs, text, "memory")
            self._searched = (text, key[0])

    # lint: run in the caller's thread or in the background, kept per fingerprint
    def lint(self, wait: bool = True) -> dict[str, Any]:
        """The lint state for the store as it is now: {"report", "fresh", "running", "error"}; with
        `wait`, runs lint first if it is not fresh (the report of `prefstore lint`)."""
        with self.reading() as (cur, key):
            return self._lint_state(cur, key, wait)

    def start_lint(self) -> dict[str, Any]:
        """Start lint in a background thread unless it is fresh or running; returns the lint state."""
        with self.reading() as (cur, key):
            state = self._lint_state(cur, key, False)
        if state["fresh"] or state["running"]:
            return state
        with self._lint_lock:
            if not self._lint.running:
                self._lint.running = True
                self._lint.thread = threading.Thread(target=self._lint_thread, name="prefstore-lint", daemon=True)
                self._lint.thread.start()
        return {**state, "running": True}

    def _lint_thread(self) -> None:
        try:
            with self.reading() as (cur, key):
                self._run_lint(cur, key)
        except Exception as exc:  # noqa: BLE001 - reported on the page, never raised into a thread
            with self._lint_lock:
                self._lint.error = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        finally:
            with self._lint_lock:
                self._lint.running = False
                self._lint.cursor = None

    def _run_lint(self, cur: duckdb.DuckDBPyConnection, key: tuple) -> None:
        with self._lint_lock:
            self._lint.cursor = cur
        try:
            report = build_lint(cur, self.config, self.runs, "memory")
        except duckdb.InterruptException:
            return
        with self._lint_lock:
            self._lint.key, self._lint.report, self._lint.error = key, report, None

    def _lint_state(self, cur: duckdb.DuckDBPyConnection, key: tuple, run: bool) -> dict[str, Any]:
        if run and self._lint.key != key:
            with self._lint_lock:
                thread = self._lint.thread if self._lint.running else None
            if thread is not None:      # a background lint of this data may be about to finish
                thread.join()
            with self._build:
                if self._lint.key != key:
                    self._run_lint(cur, key)
        with self._lint_lock:
            return {"report": self._lint.report, "fresh": self._lint.key == key, "running": self._lint.running,
                    "error": self._lint.error}

    def interrupt_lint(self) -> None:
        """Stop a background lint (a write needs the file); it runs again when asked."""
        with self._lint_lock:
            cursor = self._lint.cursor
            thread = self._lint.thread if self._lint.running else None
        if cursor is not None:
            with contextlib.suppress(duckdb.Error):
                cursor.interrupt()
        if thread is not None:
            thread.join()


def _locate(cur: duckdb.DuckDBPyConnection, chosen_seq: int, rejected_seq: int) -> int:
    """The cached pair's pos; NoSuchPair if the pair options give no such pair."""
    located = queries.run(cur, "review/locate", {"chosen_seq": chosen_seq, "rejected_seq": rejected_seq}).fetchall()
    if not located:
        raise NoSuchPair(f"no pair {chosen_seq}-{rejected_seq} (chosen seq, rejected seq) under these "
                         f"pair options; the store may have changed")
    return located[0][0]


def _shown(row: dict[str, Any]) -> tuple[int, int]:
    """(chosen seq, rejected seq) as the page shows the pair: swapped when a flip is in force."""
    if row["flipped"]:
        return row["rejected_seq"], row["chosen_seq"]
    return row["chosen_seq"], row["rejected_seq"]
