"""`prefstore demo`: the whole job on the project's own generated sample runs."""

from __future__ import annotations

import shutil
from pathlib import Path

from .models import PairConfig
from .render import out, render_report, render_stats
from .sample_data import write_demo_runs
from .store import PreferenceStore


def run_demo(directory: Path) -> dict:
    """Generate two NAT-format runs, ingest them into a fresh store, pair, export.

    Everything lands in `directory` (recreated): the runs, `prefstore.duckdb`,
    `train.jsonl` and `report.html` (the review overview and lint, one
    self-contained file). Returns the paths and counts for callers and tests.
    """
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    runs = write_demo_runs(directory / "runs")
    db = directory / "prefstore.duckdb"
    train = directory / "train.jsonl"
    config = PairConfig()
    with PreferenceStore(db) as store:
        for i, path in enumerate(runs, start=1):
            render_report(store.ingest_nat_eval(path, run_id=f"demo-run{i}", meta={"source": "prefstore demo"}))
        out.print()
        render_stats(store.stats(config))
        out.print()
        out.print("First pairs (best vs worst, min_score_diff 0.1):")
        for pair in store.pairs(PairConfig(exhaustive_pairs=False, min_score_diff=0.1))[:3]:
            out.print(f"  {pair.run_id} {pair.example_id} {pair.turn_id}: "
                          f"{pair.chosen_response!r} ({pair.chosen_score:g}) over "
                          f"{pair.rejected_response!r} ({pair.rejected_score:g})")
        lines = store.export_jsonl(train, config)
        report = directory / "report.html"
        summary = store.report(report, config)
    out.print()
    out.print(f"Sample runs:    {', '.join(str(p) for p in runs)}")
    out.print(f"Store:          {db}")
    out.print(f"Training file:  {train} ({lines} pairs, NeMo Customizer DPO format)")
    out.print(f"Report:         {report} (overview and lint: {summary['errors']} error(s), "
              f"{summary['warnings']} warning(s); open it in a browser)")
    out.print(f"Next: prefstore --db {db} query \"SELECT * FROM turns LIMIT 5\"")
    out.print(f"      prefstore --db {db} review --open   (review the pairs in a local web page)")
    return {"runs": runs, "db": db, "train": train, "lines": lines, "report": report}
