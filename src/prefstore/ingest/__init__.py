"""Ingest: evaluation output into the store, one run per source, atomically.

Parsing is DuckDB's. Each source kind stages its rows into temp tables on the
cursor it is handed, in the shape of NAT's TTC_END steps; `sql/ingest/validate.sql`
types and judges every row, and `runs.store_run` writes the run in the
transaction it is handed, so a failure leaves the store as it was.

- `nat_eval`: a NAT `workflow_output.json` (big files read as pieces in parallel: `chunks`)
- `nat_items`: NAT evaluation items held in memory (the NAT plugin)
- `candidates`: JSONL or Parquet, one candidate per row, from any source
- `rollouts`: NAT evaluation items scored by an evaluator's output file (`nat eval --reps`)
- `eval_dir`: a `nat eval` output directory (its TTC candidates and scored rollouts)
- `files`: checks that refuse unusable files before any work
- `digest`: a file's SHA-256, computed on a spare core while DuckDB parses
- `runs`: run identity, the write transaction, the ingest report
"""

from .candidates import ingest_candidates
from .eval_dir import ingest_nat_eval_dir
from .nat_eval import ingest_nat_eval
from .nat_items import ingest_nat_items
from .rollouts import ingest_nat_rollouts

__all__ = ["ingest_candidates", "ingest_nat_eval", "ingest_nat_eval_dir", "ingest_nat_items",
           "ingest_nat_rollouts"]
