"""`prefstore report OUT.html`: the review page's overview and the lint summary as one self-contained
HTML file (CSS and SVG inline; no script, font or request to anywhere), for CI artifacts and sharing.

The same store and options give the same bytes (no timestamp in the file). It is
rendered from the review page's own templates (`review/templates/_overview.html`,
`_lint.html`) and chart code, and written atomically.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
from markupsafe import Markup

from ._version import __version__
from .browse import build_cache, overview
from .export import atomic_path
from .lint import run_lint
from .models import PairConfig
from .review.charts import overview_charts
from .review.templating import STATIC, environment


def write_report(cur: duckdb.DuckDBPyConnection, out: str | os.PathLike, config: PairConfig,
                 runs: Sequence[str] | None, store_path: str) -> dict[str, Any]:
    """Compute the overview and lint on `cur` (temp tables) and write the HTML file; returns a summary."""
    out = Path(out)
    build_cache(cur, config, runs, "temp")
    data = overview(cur, runs)
    lint = run_lint(cur, config, runs, examples=3)     # the report only: no per-pair lint cache to filter by
    mode = ", ".join([config.ttc_step_name, "exhaustive" if config.exhaustive_pairs else "best vs worst"])
    html = environment().get_template("report.html").render(
        ov=data, charts=overview_charts(data), lint={"report": lint, "fresh": True, "running": False, "error": None},
        # the package's own stylesheet, inlined as is (escaping would break its quotes); no stored text
        css=Markup((STATIC / "style.css").read_text(encoding="utf-8")), store_name=Path(store_path).name, mode=mode,
        written=f"prefstore {__version__}", version=__version__, link_runs="", link_checks="",
        options=json.dumps(config.model_dump(), sort_keys=True), runs_text=", ".join(runs) if runs else "all")
    with atomic_path(out) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return {"path": str(out), "pairs": data["totals"]["pairs"], "errors": lint["errors"],
            "warnings": lint["warnings"], "bytes": out.stat().st_size}
