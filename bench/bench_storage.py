"""Storage: is a prompt shared by k candidates worth storing once?

    python bench/bench_storage.py [--scales S,M] [--reps 3] [--data /tmp/bench-data]

For each scale, ingest the run with the CLI, then build two copies of its
candidates in fresh DuckDB files:
  inline      the store's layout: every candidate row carries its prompt
  normalized  prompts stored once (prompts table), candidates carry prompt_id;
              the pair query reads them through a `candidates` view that joins back
and compare file size and the time of the exhaustive pair query on each
(in this process, median of reps: a relative comparison). Also reported: how
DuckDB compressed the prompt column (storage_info), which is what makes
repeated prompts cheap without a separate table.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import duckdb

import measure

NORMALIZE = """
CREATE TABLE prompts AS
SELECT row_number() OVER (ORDER BY min(seq)) AS prompt_id, prompt
FROM src.candidates GROUP BY prompt;
CREATE TABLE candidates_np AS
SELECT c.* EXCLUDE (prompt), p.prompt_id
FROM src.candidates AS c JOIN prompts AS p ON p.prompt = c.prompt
ORDER BY c.seq;
CREATE VIEW candidates AS
SELECT c.* EXCLUDE (prompt_id), p.prompt FROM candidates_np AS c JOIN prompts AS p USING (prompt_id);
"""


def run(scales: list[str], reps: int, data: Path) -> list[dict]:
    import sys
    sys.path.insert(0, str(measure.REPO / "src"))
    from prefstore import queries
    from prefstore.models import PairConfig
    from prefstore.pairs import pair_params

    rows = []
    for scale in scales:
        src, store = measure.ingested_store(scale, data, "storage")
        row = {"scale": scale, "input_mb": src.stat().st_size / 1e6, "store_mb": measure.store_bytes(store) / 1e6}
        params = queries.bind("pairs/exhaustive", pair_params(PairConfig(), None))
        pair_sql = f"CREATE OR REPLACE TEMP TABLE p AS {queries.text('pairs/exhaustive')}"
        for layout in ("inline", "normalized"):
            path = data / f"storage-{scale}-{layout}.duckdb"
            measure.remove_store(path)
            con = duckdb.connect(str(path), config={"memory_limit": "1GB"})
            con.execute(f"ATTACH '{store}' AS src (READ_ONLY)")
            if layout == "inline":
                con.execute("CREATE TABLE candidates AS FROM src.candidates ORDER BY seq")
            else:
                for statement in duckdb.extract_statements(NORMALIZE):
                    con.execute(statement)
            if layout == "inline":
                stats = con.execute(
                    "SELECT count(*), count(DISTINCT prompt), sum(strlen(CAST(prompt AS VARCHAR))), "
                    "(SELECT sum(strlen(CAST(p AS VARCHAR))) FROM (SELECT DISTINCT prompt AS p FROM candidates)) "
                    "FROM candidates").fetchone()
                row.update(candidates=stats[0], distinct_prompts=stats[1], prompt_mb=stats[2] / 1e6,
                           distinct_prompt_mb=stats[3] / 1e6)
                row["prompt_compression"] = ", ".join(f"{c} ({n})" for c, n in con.execute(
                    "SELECT compression, count(*) FROM pragma_storage_info('candidates') "
                    "WHERE column_name = 'prompt' AND segment_type <> 'VALIDITY' GROUP BY 1 ORDER BY 2 DESC").fetchall())
            con.execute("DETACH src")
            con.execute("CHECKPOINT")
            times = []
            for _ in range(reps):
                start = time.perf_counter()
                con.execute(pair_sql, params)
                times.append(time.perf_counter() - start)
            n_pairs = con.execute("SELECT count(*) FROM p").fetchone()[0]
            con.close()
            row[layout] = {"mb": measure.store_bytes(path) / 1e6, "pairs_s": statistics.median(times), "pairs": n_pairs}
            measure.remove_store(path)
        measure.remove_store(store)
        rows.append(row)
    return rows


def table(rows: list[dict]) -> list[str]:
    lines = [
        "| scale | input MB | store MB | candidates | distinct prompts | prompt text MB (all rows / distinct) | prompt column compression (segments) | inline MB | normalized MB | pair query s inline / normalized |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['scale']} | {r['input_mb']:.0f} | {r['store_mb']:.1f} | {r['candidates']:,} | "
            f"{r['distinct_prompts']:,} | {r['prompt_mb']:.1f} / {r['distinct_prompt_mb']:.1f} | "
            f"{r['prompt_compression']} | {r['inline']['mb']:.1f} | {r['normalized']['mb']:.1f} | "
            f"{r['inline']['pairs_s']:.2f} / {r['normalized']['pairs_s']:.2f} |")
    return lines


if __name__ == "__main__":
    args = measure.scale_args(__doc__)
    print("\n".join(table(run(args.scales, args.reps, args.data))))
