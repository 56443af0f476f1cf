"""Lint: diagnostics of a preference set before it trains a model, one query per check (`sql/lint/`).

Each check reads the pairs an export would write (decisions applied) and
records its findings in the temp table `lint_findings`; this module only sets
the thresholds, computes the length-bias p-value, and words the report.
`pair_findings` exposes every finding as the pairs it concerns (`lint_pairs`),
which the review page filters by and `prefstore query` can read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from . import queries
from .export import ROWS_AS_IS, DEFAULT_VALIDATION_FRACTION
from .models import PairConfig
from .pairs import check_runs, create_pair_view

SEVERITIES = ("error", "warning")


@dataclass(frozen=True)
class Check:
    name: str
    severity: str
    explanation: str    # one line: what a finding means
    clean: str          # one line: what no finding means


CHECKS: tuple[Check, ...] = (
    Check("identical_texts", "error",
          "chosen and rejected responses are the same text (or differ only in whitespace): the pair teaches nothing",
          "no pair has the same chosen and rejected text"),
    Check("empty_response", "error", "the chosen or rejected response is empty or only whitespace",
          "no pair has an empty response"),
    Check("split_leakage", "error",
          "the prompt occurs in both the training and the validation split of the default export split, "
          "so validation loss measures memorization",
          "no prompt is in both splits of the default export split"),
    Check("length_bias", "warning",
          "the chosen response is the longer one far more often than half the time: the model learns to pad",
          "no length bias"),
    Check("near_ties", "warning",
          "the margin is under 1% of the run's score range: the preference is mostly scorer noise",
          "no pair's margin is under 1% of its run's score range"),
    Check("zero_scores", "warning",
          "many candidates of a run score exactly 0.0, which NAT's LLM scorers give a reply they cannot parse",
          "no run has many scores of exactly 0.0"),
    Check("score_scale", "warning",
          "a run's score range or median differs strongly from the other runs' (pooling assumes one scale), "
          "or a turn's candidates all have one score",
          "the runs share one score scale and every turn has distinct scores"),
    Check("dominant_examples", "warning", "a few examples hold a large share of all pairs",
          "no example holds a large share of the pairs"),
)
CHECK_NAMES = tuple(check.name for check in CHECKS)

# Thresholds, bound as query parameters (README, "Lint").
THRESHOLDS: dict[str, Any] = {
    "near_tie_fraction": 0.01,
    "zero_share": 0.10, "zero_min": 5,
    "scale_ratio": 3.0,
    "dominant_share": 0.10, "dominant_factor": 5.0, "dominant_min_examples": 10,
}
LENGTH_BIAS_SHARE = 0.55    # flagged above this share of longer chosen responses ...
LENGTH_BIAS_P = 0.001       # ... when the one-sided binomial p-value is below this
# The export split split_leakage checks: a directory export's defaults.
DEFAULT_SPLIT = {**ROWS_AS_IS, "dedup": True, "validation_fraction": DEFAULT_VALIDATION_FRACTION, "split_seed": 0}


def run_lint(cur: duckdb.DuckDBPyConnection, config: PairConfig, runs: Sequence[str] | None,
             examples: int = 5, split: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Run every check on the pairs of `config`/`runs` (decisions applied); returns the report.

    `split_leakage` checks the split sql/export/rows.sql makes with `split` (its parameters:
    `export.rows_params` of the export about to be written), by default a directory export's.

    Leaves `pair_rows` (narrow: the pair query's columns without prompt, responses and metadata),
    `lint_texts`, `lint_findings` and the relation `lint_pairs` (chosen_seq, rejected_seq,
    check_name) on `cur` for callers that filter pairs by finding.
    """
    runs = check_runs(cur, runs)
    create_pair_view(cur, config, runs)
    # Every check reads the pairs: run the pair query once, into narrow rows (the texts the checks
    # need come per candidate from lint/texts.sql); read lazily, each check re-ran the pair query.
    cur.execute("CREATE OR REPLACE TEMP TABLE lint_pair_rows AS SELECT * EXCLUDE (prompt, chosen_response, "
                "rejected_response, chosen_metadata, rejected_metadata) FROM pair_rows")
    cur.register("pair_rows", cur.table("lint_pair_rows"))
    queries.run(cur, "lint/texts")
    queries.run(cur, "lint/findings_table")
    params = {**THRESHOLDS, "ttc_step_name": config.ttc_step_name, "runs": runs}
    for check in CHECKS:
        if check.name == "split_leakage":
            queries.run(cur, "export/rows", split or DEFAULT_SPLIT)
        queries.run(cur, f"lint/{check.name}", params)
    bias = _length_bias(cur)
    counts = _counts(cur, bias)
    cur.register("lint_pairs", cur.sql(queries.text("lint/pair_findings"), params={"length_bias": bias["flagged"]}))
    pairs = cur.execute("SELECT count(*) FROM pair_rows").fetchall()[0][0]
    report = []
    for check in CHECKS:
        count = sum(counts.get(check.name, {}).values())
        report.append({
            "name": check.name, "severity": check.severity, "count": count,
            "examples": _examples(cur, check.name, examples) if count else [],
            "message": _message(check, counts.get(check.name, {}), bias),
        })
    return {
        "checks": report,
        "pairs": pairs,
        "errors": sum(1 for c in report if c["count"] and c["severity"] == "error"),
        "warnings": sum(1 for c in report if c["count"] and c["severity"] == "warning"),
        "pair_options": config.model_dump(),
        "runs": runs,
        "thresholds": {**THRESHOLDS, "length_bias_share": LENGTH_BIAS_SHARE, "length_bias_p": LENGTH_BIAS_P},
    }


def failing(report: dict[str, Any], fail_on: str) -> list[dict[str, Any]]:
    """The checks with findings at or above `fail_on` ('error', 'warning'; 'never' fails nothing)."""
    if fail_on == "never":
        return []
    levels = SEVERITIES[: SEVERITIES.index(fail_on) + 1]
    return [c for c in report["checks"] if c["count"] and c["severity"] in levels]


def _length_bias(cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    detail = json.loads(cur.execute(
        "SELECT detail FROM lint_findings WHERE check_name = 'length_bias' AND subject = 'set'").fetchall()[0][0])
    longer, shorter = detail["longer"], detail["shorter"]
    n = longer + shorter
    share = longer / n if n else None
    p = binomial_tail(longer, n) if n else 1.0
    return {**detail, "share": share, "p_value": p,
            "flagged": bool(n and share > LENGTH_BIAS_SHARE and p < LENGTH_BIAS_P)}


def binomial_tail(k: int, n: int) -> float:
    """P(X >= k) for X ~ Binomial(n, 1/2): exact up to 20,000 trials, else the normal
    approximation with continuity correction (then accurate far beyond the digits reported)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if n <= 20_000:
        log_half = n * math.log(0.5)
        logs = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + log_half for i in range(k, n + 1)]
        top = max(logs)
        return min(1.0, math.exp(top) * sum(math.exp(v - top) for v in logs))
    z = (k - 0.5 - n / 2) / math.sqrt(n / 4)
    return 0.5 * math.erfc(z / math.sqrt(2))


def _counts(cur: duckdb.DuckDBPyConnection, bias: dict[str, Any]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for name, subject, n in queries.run(cur, "lint/counts").fetchall():
        counts.setdefault(name, {})[subject] = n
    if bias["flagged"]:
        counts["length_bias"] = {"pair": bias["longer"]}
    return counts


def _examples(cur: duckdb.DuckDBPyConnection, name: str, limit: int) -> list[dict[str, Any]]:
    result = queries.run(cur, "lint/examples", {"check_name": name, "limit": limit})
    names = [d[0] for d in result.description]
    rows = []
    for row in result.fetchall():
        item = {k: v for k, v in zip(names, row) if v is not None}
        if "detail" in item:
            item["detail"] = json.loads(item["detail"])
        rows.append(item)
    return rows


def _message(check: Check, counts: dict[str, int], bias: dict[str, Any]) -> str:
    """One line: the finding in numbers, or that there is none."""
    if check.name == "length_bias":
        if bias["share"] is None:
            return "no pair has responses of different lengths"
        return (f"chosen is longer in {bias['share']:.1%} of {bias['longer'] + bias['shorter']:,} pairs of unequal "
                f"length (one-sided binomial p = {bias['p_value']:.2g}; flagged above {LENGTH_BIAS_SHARE:.0%} "
                f"with p < {LENGTH_BIAS_P:g})" + (f": {check.explanation}" if bias["flagged"] else ""))
    if not counts:
        return check.clean
    found = ", ".join(f"{n:,} {subject}{'s' if n != 1 else ''}" for subject, n in sorted(counts.items()))
    return f"{found}: {check.explanation}"
