"""What decisions cost: an export with decisions in force against the same export without them.

    python bench/bench_decisions.py [--scales S] [--reps 5] [--data /tmp/bench-data]

Per scale, a store holding that scale's run (ingested once, untimed) gets, through the Python
API (untimed): two exclude rules, a flip rule, an exclude and a flip of pairs, an exclude of
candidates, a note, and an exclude rule that is then undone. Then, each in a fresh process:
  export           prefstore export --quiet OUT.jsonl (decisions applied)
  export, ignored  the same with --ignore-decisions (the pair query alone)
  decisions        prefstore decisions --format json (every rule and target counted)
"""

from __future__ import annotations

import sys
from pathlib import Path

import measure

sys.path.insert(0, str(measure.REPO / "src"))

RULES = (("exclude", "score_diff < 0.05"), ("exclude", "rejected_score > 0.9"),
         ("flip", "chosen_index = 3 AND rejected_index = 0 AND score_diff > 0.5"))


def add_decisions(db: Path) -> int:
    """The decisions this benchmark applies; returns how many pairs remain."""
    from prefstore import PreferenceStore
    with PreferenceStore(db) as store:
        for action, rule in RULES:
            getattr(store, action)(rule, source="api")
        pairs = store.pairs()
        store.exclude(pairs=pairs[0:len(pairs):2000])
        store.flip(pairs=pairs[1:len(pairs):1500])
        store.exclude(candidates=sorted({p.rejected_seq for p in pairs[2:len(pairs):5000]}))
        store.note("looked at", pairs=pairs[3:4])
        undone = store.exclude("chosen_score < 0.2")
        store.undo(undone["decision_id"])
        return store.count_pairs()


def run(scales: list[str], reps: int, data: Path) -> list[dict]:
    rows = []
    for scale in scales:
        _, db = measure.ingested_store(scale, data, "decisions")
        remaining = add_decisions(db)
        out = data / f"decisions-{scale}.jsonl"
        rows.append({
            "scale": scale, "pairs_left": remaining,
            "export": measure.measure(measure.prefstore("--db", db, "export", "--quiet", out), reps),
            "ignored": measure.measure(measure.prefstore("--db", db, "export", "--quiet", "--ignore-decisions", out),
                                       reps),
            "decisions": measure.measure(measure.prefstore("--db", db, "decisions", "--format", "json"), reps),
        })
        out.unlink(missing_ok=True)
        measure.remove_store(db)
    return rows


FIGURES = (("export", "export JSONL, decisions applied"), ("ignored", "export JSONL, --ignore-decisions"),
           ("decisions", "`prefstore decisions --format json`"))


def table(rows: list[dict]) -> list[str]:
    lines = ["| scale | command | s (runs) | peak RSS MB |", "|---|---|---:|---:|"]
    for r in rows:
        for key, label in FIGURES:
            m = r[key]
            lines.append(f"| {r['scale']} | {label} | {m.seconds:.2f} ({m.spread}) | {m.peak_rss_mb:.0f} |")
    lines += ["", "Pairs left after the decisions: "
              + ", ".join(f"{r['scale']} {r['pairs_left']:,}" for r in rows) + "."]
    return lines


def commands(rows: list[dict]) -> list[str]:
    return [r[key].command for r in rows for key, _ in FIGURES]


if __name__ == "__main__":
    args = measure.scale_args(__doc__)
    result = run(args.scales, args.reps, args.data)
    print("\n".join(table(result) + [""] + commands(result)))
