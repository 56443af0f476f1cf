"""The store: one DuckDB file, its connection, migrations and transactions.

Only this module calls `duckdb.connect`. Every public operation runs on its
own cursor (DuckDB's per-thread connection), so one `PreferenceStore` may be
shared by several threads; writes are serialized by a lock because run and
sequence numbers are allocated inside the write transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import duckdb

from . import queries
from ._version import __version__
from .errors import (
    MigrationEdited,
    MigrationFailed,
    NoStore,
    NotAPreferenceStore,
    SchemaOutdated,
    SchemaTooNew,
    StoreBusy,
)

DEFAULT_WAIT_SECONDS = 5.0
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_MARKERS = ("Could not set lock", "Conflicting lock", "database is locked")
T = TypeVar("T")


def default_db_path() -> str:
    """`$PREFSTORE_DB`, else `./prefstore.duckdb`."""
    return os.environ.get("PREFSTORE_DB") or "prefstore.duckdb"


def migration_files() -> list[tuple[int, str, Path]]:
    """(version, name, path) of every migration shipped with this code, in order."""
    found = []
    for path in sorted(queries.migrations_dir().glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path.stem, path))
    return found


def code_schema_version() -> int:
    files = migration_files()
    return files[-1][0] if files else 0


def _connect(path: str, read_only: bool, wait: float, config: dict) -> duckdb.DuckDBPyConnection:
    """Open the file, retrying while another process holds its lock, up to `wait` seconds."""
    return _retry_locked(lambda: duckdb.connect(path, read_only=read_only, config=config), path, wait)


def _retry_locked(open_file: Callable[[], T], path: str, wait: float) -> T:
    """`open_file()` (a connect or an ATTACH of `path`), retried with backoff while another
    process holds the file's lock, up to `wait` seconds (then StoreBusy naming the holder)."""
    deadline = time.monotonic() + max(wait, 0.0)
    delay = 0.05
    while True:
        try:
            return open_file()
        except duckdb.Error as exc:
            message = str(exc)
            if not any(marker in message for marker in _LOCK_MARKERS):
                raise _open_error(path, exc) from None
            if time.monotonic() >= deadline:
                holder = re.search(r"PID (\d+)", message)
                who = f" (process {holder.group(1)})" if holder else ""
                raise StoreBusy(
                    f"{path} is in use by another process{who} and stayed busy for {wait:g}s; "
                    f"wait for it to finish, or retry with a longer --wait"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _check_duckdb_header(file: Path) -> None:
    """Refuse an existing non-empty file without DuckDB's magic bytes before DuckDB sees it.

    DuckDB would otherwise pick a reader by extension or content (a .json or
    SQLite file opens as something else, SQLite even downloads an extension).
    """
    if not file.is_file() or file.stat().st_size == 0:
        return
    with file.open("rb") as handle:
        header = handle.read(12)
    if header[8:12] != b"DUCK":
        raise NotAPreferenceStore(
            f"{file} is not a prefstore database (not a DuckDB file); it was left untouched")


def _open_error(path: str, exc: Exception) -> Exception:
    message = str(exc)
    if "different configuration" in message:
        return StoreBusy(
            f"{path} is already open in this process with other options (read_only, allow_files, ...); "
            f"close that PreferenceStore first, or use it instead")
    if "not a valid DuckDB database file" in message or "Invalid Input Error" in message \
            or "unable to open database" in message.lower() or "database file" in message.lower():
        return NotAPreferenceStore(f"{path} is not a prefstore database: {message.splitlines()[0]}")
    return NotAPreferenceStore(f"{path} cannot be opened: {message.splitlines()[0]}")


class Store:
    """Connection, schema and transaction handling shared by the public API."""

    def __init__(
        self,
        path: str | os.PathLike = ":memory:",
        *,
        read_only: bool = False,
        wait: float = DEFAULT_WAIT_SECONDS,
        allow_files: bool = True,
        memory_limit: str | None = None,
        threads: int | None = None,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        in_memory = self.path == ":memory:"
        if not in_memory:
            file = Path(self.path)
            if file.is_dir():
                raise NotAPreferenceStore(f"{self.path} is a directory, not a store file")
            if read_only and not file.exists():
                raise NoStore(f"no store at {self.path}; ingest a run first (prefstore --db {self.path} ingest FILE)")
            if not file.exists() and not file.parent.exists():
                raise NoStore(f"cannot create {self.path}: folder {file.parent} does not exist")
            _check_duckdb_header(file)
        # never download code: a query naming an extension's function must not fetch it
        config: dict = {"autoinstall_known_extensions": False}
        if not allow_files:
            config["enable_external_access"] = False
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = threads
        self._con = _connect(self.path, read_only and not in_memory, wait, config)
        self._write_lock = threading.RLock()
        try:
            self._check_schema()
        except BaseException:
            self._con.close()
            raise

    # -- lifecycle -----------------------------------------------------------------
    def close(self) -> None:
        self._con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh DuckDB cursor: own temp tables, own transaction, safe per thread."""
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def _stream(self, start: Callable[[duckdb.DuckDBPyConnection], Iterator[T]]) -> Iterator[T]:
        """`start(cur)` runs now on a new cursor (so bad input fails at the call, not at the first
        read); its iterator is handed back and closes the cursor when exhausted or closed."""
        stack = contextlib.ExitStack()
        cur = stack.enter_context(self.cursor())
        try:
            items = start(cur)
        except BaseException:
            stack.close()
            raise

        def drain() -> Iterator[T]:
            with stack:
                yield from items
        return drain()

    @contextlib.contextmanager
    def transaction(self, cur: duckdb.DuckDBPyConnection | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction on its own cursor (or on `cur`, to use the temp tables
        staged on it); any error rolls everything back."""
        own = self.cursor() if cur is None else contextlib.nullcontext(cur)
        with self._write_lock, own as cur:
            cur.begin()
            try:
                yield cur
            except BaseException:
                cur.rollback()
                raise
            cur.commit()

    # -- schema --------------------------------------------------------------------
    def schema_version(self) -> int:
        with self.cursor() as cur:
            return _applied_version(cur)

    def _check_schema(self) -> None:
        with self.cursor() as cur:
            tables = {r[0] for r in cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "AND table_catalog = current_database()").fetchall()}
            if tables and "schema_migrations" not in tables:
                raise NotAPreferenceStore(
                    f"{self.path} is a DuckDB database but not a prefstore store "
                    f"(no schema_migrations table); it was left untouched")
            applied = _applied(cur) if tables else {}
        files = migration_files()
        known = {version: (name, path) for version, name, path in files}
        newest = max(applied, default=0)
        if newest > code_schema_version():
            raise _too_new(self.path, newest)
        for version, (name, digest) in applied.items():
            path = known[version][1] if version in known else None
            if path is None or _digest(path) != digest:
                raise MigrationEdited(
                    f"migration {name} applied to {self.path} differs from the one shipped with "
                    f"this prefstore; never edit an applied migration, add a new one")
        pending = [(v, n, p) for v, n, p in files if v not in applied]
        if not pending:
            return
        if self.read_only and self.path != ":memory:":
            raise SchemaOutdated(
                f"{self.path} has schema version {newest}, this prefstore needs "
                f"{code_schema_version()}; open it once for writing (e.g. prefstore --db "
                f"{self.path} migrate) to upgrade it")
        self._apply(pending)

    def _apply(self, pending: list[tuple[int, str, Path]]) -> None:
        """Apply each migration and its bookkeeping row in one transaction."""
        with self._write_lock, self.cursor() as cur:
            for version, name, path in pending:
                cur.begin()
                try:
                    cur.execute(
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        "version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                        "sha256 VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)")
                    for statement in duckdb.extract_statements(path.read_text(encoding="utf-8")):
                        cur.execute(statement)
                    cur.execute(
                        "INSERT INTO schema_migrations VALUES ($v, $n, $d, now())",
                        {"v": version, "n": name, "d": _digest(path)})
                except duckdb.Error as exc:
                    cur.rollback()
                    raise MigrationFailed(
                        f"migration {name} failed on {self.path} and was rolled back; the store "
                        f"stays at schema version {_applied_version(cur)}: "
                        f"{str(exc).strip().splitlines()[0]}") from None
                except BaseException:
                    cur.rollback()
                    raise
                cur.commit()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _applied(cur: duckdb.DuckDBPyConnection) -> dict[int, tuple[str, str]]:
    rows = cur.execute("SELECT version, name, sha256 FROM schema_migrations").fetchall()
    return {version: (name, digest) for version, name, digest in rows}


def _applied_version(cur: duckdb.DuckDBPyConnection, catalog: str | None = None) -> int:
    """The newest migration applied to the store (of the attached `catalog`); 0 for none."""
    table = f"{catalog}.schema_migrations" if catalog else "schema_migrations"
    try:
        return cur.execute(f"SELECT coalesce(max(version), 0) FROM {table}").fetchone()[0]
    except duckdb.CatalogException:
        return 0


def _too_new(path: str, version: int) -> SchemaTooNew:
    return SchemaTooNew(f"{path} has schema version {version}, newer than this prefstore "
                        f"{__version__} understands (version {code_schema_version()}); upgrade prefstore")


class PreferenceStore(Store):
    """A persistent DPO preference store in one DuckDB file.

    `PreferenceStore(path)` opens or creates the file and applies pending
    migrations; use it as a context manager to close it. The CLI's commands are
    thin calls over these methods (`prefstore export` ~ `store.export`); a few have
    no command: the data API (`pairs_arrow`, `dataset`, ...), `note`, and
    decisions by pair or candidate, which the review page makes.
    """

    # -- ingest ------------------------------------------------------------------------
    def ingest_nat_eval(self, path, run_id=None, meta=None, replace=False, id_key="id",
                        steps_key="intermediate_steps"):
        """Ingest one NAT `workflow_output.json` as one run, atomically. `id_key`/`steps_key`: the
        item keys of the evaluation's dataset config (`id_key`, `structure.trajectory_key`).
        See `ingest.nat_eval`."""
        from .ingest import ingest_nat_eval
        with self.cursor() as cur:
            return ingest_nat_eval(cur, self.transaction, path, run_id=run_id, meta=meta, replace=replace,
                                   id_key=id_key, steps_key=steps_key)

    def ingest_nat_items(self, items, run_id, meta=None, replace=False, id_key="id",
                         steps_key="intermediate_steps"):
        """Ingest NAT evaluation items held in memory as one run (no file written)."""
        from .ingest import ingest_nat_items
        with self.cursor() as cur:
            return ingest_nat_items(cur, self.transaction, items, run_id=run_id, meta=meta, replace=replace,
                                    id_key=id_key, steps_key=steps_key)

    def ingest_candidates(self, path, run_id=None, meta=None, replace=False):
        """Ingest a candidates file (JSONL or Parquet, one candidate per row) as one run."""
        from .ingest import ingest_candidates
        with self.cursor() as cur:
            return ingest_candidates(cur, self.transaction, path, run_id=run_id, meta=meta, replace=replace)

    def ingest_nat_rollouts(self, path, scores, run_id=None, meta=None, replace=False, prompt_from="question"):
        """Ingest a NAT workflow_output.json's items as candidates scored by one evaluator's output file.

        One candidate per item: the example is the item id less `_rep<k>`, k
        the candidate_index, the evaluator's score the score; `prompt_from`
        'question' or 'messages' (the first LLM call's). See `ingest.rollouts`.
        """
        from .ingest import ingest_nat_rollouts
        with self.cursor() as cur:
            return ingest_nat_rollouts(cur, self.transaction, path, scores, run_id=run_id, meta=meta,
                                       replace=replace, prompt_from=prompt_from)

    def ingest_nat_eval_dir(self, directory, evaluator=None, run_id=None, meta=None, replace=False,
                            prompt_from="question"):
        """Ingest a `nat eval` output directory: rollouts scored by `evaluator`, TTC candidates if any.

        Returns one IngestReport per run. See `ingest.eval_dir`.
        """
        from .ingest import ingest_nat_eval_dir
        with self.cursor() as cur:
            return ingest_nat_eval_dir(cur, self.transaction, directory, evaluator=evaluator, run_id=run_id,
                                       meta=meta, replace=replace, prompt_from=prompt_from)

    # -- pairs and trajectories ----------------------------------------------------------
    def iter_pairs(self, config=None, runs=None, limit: int | None = None):
        """Pairs in output order, streamed from DuckDB (flat memory); at most `limit` of them.

        The first `limit` pairs are among the first `limit` of each turn, so the
        query runs with max_pairs_per_turn capped at `limit`: a turn of 5,000
        candidates then pairs 20x20 candidates, not 12.5M pairs.
        """
        import itertools

        from .models import PairConfig
        from .pairs import iter_pair_json, to_pair
        config = config or PairConfig()
        if limit is not None and (config.max_pairs_per_turn is None or config.max_pairs_per_turn > limit):
            config = config.model_copy(update={"max_pairs_per_turn": max(limit, 1)})
        with self.cursor() as cur:
            for text in itertools.islice(iter_pair_json(cur, config, runs), limit):
                yield to_pair(text)

    def pairs(self, config=None, runs=None):
        """All pairs for `config` (a PairConfig) over `runs` (None = every run), in output order."""
        return list(self.iter_pairs(config, runs))

    def trajectories(self, config=None, runs=None):
        """NAT's TrajectoryCollection shape: one inner list per example, examples in arrival order.

        run_id is the selected runs' ids joined by commas (every run when `runs` is None).
        """
        from .models import TrajectoryCollection
        from .trajectories import gc_paused
        run_ids = list(runs) if runs is not None else [r["run_id"] for r in self.runs()]
        groups = self.iter_trajectories(config, runs)
        with gc_paused():
            groups = list(groups)
        return TrajectoryCollection.model_construct(trajectories=groups, run_id=",".join(run_ids))

    def iter_trajectories(self, config=None, runs=None):
        """The trajectories of `trajectories()`, one example's list at a time: memory holds one
        example, however many pairs there are. Bad input (an unknown run) fails at the call."""
        from .export import iter_trajectory_groups, select_all_rows
        from .models import PairConfig
        config = config or PairConfig()

        def start(cur):
            select_all_rows(cur, config, runs)
            return iter_trajectory_groups(cur, config)
        return self._stream(start)

    # -- export ---------------------------------------------------------------------------
    def export_jsonl(self, out, config=None, runs=None) -> int:
        """Write NeMo Customizer DPO JSONL to `out` atomically; returns the number of lines."""
        from .export import export_jsonl
        from .models import PairConfig
        with self.cursor() as cur:
            return export_jsonl(cur, out, config or PairConfig(), runs)

    def export(self, out, config=None, options=None, runs=None, fail_on_lint: str = "never") -> dict:
        """Write a training export (nemo, trl, openai, parquet or trajectories) and its manifest.

        `options` (an ExportOptions) selects the format and the dataset
        operations: split by example, dedup, sampling, curriculum order. OUT
        ending in .jsonl/.parquet/.json is one unsplit file; any other OUT is a
        directory of split files. Returns the manifest. See `export.export`.
        `fail_on_lint` 'error' (or 'warning') refuses to write anything while lint finds
        problems of that severity (LintFailed names them) in what this export would write:
        `split_leakage` looks at its own split (none for a single file).
        """
        from .export import export
        from .models import ExportOptions, PairConfig
        config = config or PairConfig()
        options = options or ExportOptions()
        if fail_on_lint != "never":
            self._refuse_lint(out, config, options, runs, fail_on_lint)
        version = self.schema_version()
        with self.cursor() as cur:
            return export(cur, out, config, options, runs, version)

    def _refuse_lint(self, out, config, options, runs, fail_on: str) -> None:
        """Lint what this export writes (its split, sampling and dedup for split_leakage)."""
        from .errors import LintFailed
        from .export import resolve_target, rows_params
        from .lint import failing, run_lint
        split = rows_params(resolve_target(out, options), options)
        with self.cursor() as cur:
            found = failing(run_lint(cur, config, runs, examples=0, split=split), fail_on)
        if found:
            raise LintFailed(
                "lint found " + "; ".join(f"{c['name']} ({c['severity']}): {c['count']:,}" for c in found)
                + "; nothing was written (see `prefstore lint`; fix or exclude them, or drop --fail-on-lint)")

    def export_candidates(self, out, partition_by=None, runs=None) -> int:
        """Write the candidates as Parquet for other engines (one file, or a folder
        partitioned by run_id); returns the row count. See `interchange.export_candidates`."""
        from .interchange import export_candidates
        with self.cursor() as cur:
            return export_candidates(cur, out, partition_by=partition_by, runs=runs)

    # -- decisions -------------------------------------------------------------------------
    def exclude(self, where=None, *, pairs=None, candidates=None, note=None, author=None, source="api",
                config=None, runs=None) -> dict:
        """Exclude pairs from every export: by a rule (`where`, a boolean SQL expression over the pair
        columns, kept and applied to later data too), by pairs, or by candidates (all their pairs).

        Pairs are Pair objects from `store.pairs()` or (chosen_seq, rejected_seq); candidates are seqs.
        Returns the log entry (`decision_id`, `context.matches` for a rule: pairs it matches now under
        `config`/`runs`). See `decisions.decide`.
        """
        return self._decide("exclude", where=where, pairs=pairs, candidates=candidates, note=note,
                            author=author, source=source, config=config, runs=runs)

    def flip(self, where=None, *, pairs=None, note=None, author=None, source="api", config=None,
             runs=None) -> dict:
        """Swap chosen and rejected of pairs (a rule or pairs) in every export; the reward stays the pair's."""
        return self._decide("flip", where=where, pairs=pairs, note=note, author=author, source=source,
                            config=config, runs=runs)

    def note(self, text, *, pairs=None, candidates=None, author=None, source="api") -> dict:
        """Attach a note to pairs or candidates (kept in the log and shown on the review page; exports unchanged)."""
        return self._decide("note", pairs=pairs, candidates=candidates, note=text, author=author, source=source)

    def undo(self, decision_id: int, *, note=None, author=None, source="api") -> dict:
        """Cancel decision `decision_id` by appending an undo record; returns the undo's log entry."""
        from .decisions import undo
        with self.transaction() as cur:
            return undo(cur, decision_id, note=note, author=author, source=source)

    def decisions(self, config=None, runs=None) -> list[dict]:
        """The decision log in order, each entry with `active`, `undone_by`, `matches` (targets or, for a
        rule, pairs it matches now under `config`/`runs`) and `orphan` (in force, matching nothing)."""
        from .decisions import log, with_matches
        from .models import PairConfig
        from .pairs import raw_pair_relation
        config = config or PairConfig()
        with self.cursor() as cur:
            return with_matches(cur, log(cur), raw_pair_relation(cur, config, runs), config)

    def rule_matches(self, where: str, config=None, runs=None) -> int:
        """How many pairs of `config`/`runs` a rule matches now, recording nothing (`--dry-run`)."""
        from .decisions import check_rule, count_rule
        from .models import PairConfig
        from .pairs import raw_pair_relation
        with self.cursor() as cur:
            return count_rule(cur, check_rule(cur, where, raw_pair_relation(cur, config or PairConfig(), runs)))

    def _decide(self, action: str, config=None, runs=None, **kwargs) -> dict:
        from .decisions import decide
        from .models import PairConfig
        from .pairs import raw_pair_relation
        config = config or PairConfig()
        with self.transaction() as cur:
            return decide(cur, action, raw_pair_relation(cur, config, runs), config=config, runs=runs, **kwargs)

    # -- lint --------------------------------------------------------------------------------
    def lint(self, config=None, runs=None, examples: int = 5) -> dict:
        """Diagnostics of the pairs an export of `config`/`runs` would write (decisions applied).

        Returns {"checks": [{"name", "severity", "count", "examples", "message"}], "pairs", "errors",
        "warnings", ...}; see `lint.CHECKS` for the checks and README, "Lint", for the thresholds.
        """
        from .lint import run_lint
        from .models import PairConfig
        with self.cursor() as cur:
            return run_lint(cur, config or PairConfig(), runs, examples=examples)

    # -- review ------------------------------------------------------------------------------
    def overview(self, config=None, runs=None) -> dict:
        """The review page's overview: per-run counts (examples, turns, candidates, pairs, excluded,
        flipped, noted, rejects) and the chart bins (scores, margins, lengths, candidates per turn).
        See `browse.overview`; `prefstore review` shows it, `store.report` writes it."""
        from .browse import build_cache, overview
        from .models import PairConfig
        with self.cursor() as cur:
            build_cache(cur, config or PairConfig(), runs, "temp")
            return overview(cur, runs)

    def report(self, out, config=None, runs=None) -> dict:
        """Write the overview and the lint summary as one self-contained HTML file (atomically); returns
        {"path", "pairs", "errors", "warnings", "bytes"}. See `report.write_report`."""
        from .models import PairConfig
        from .report import write_report
        with self.cursor() as cur:
            return write_report(cur, out, config or PairConfig(), runs, self.path)

    # -- inspection -------------------------------------------------------------------------
    def runs(self) -> list[dict]:
        """Every run in ingest order, as dicts (meta decoded)."""
        import json
        with self.cursor() as cur:
            result = queries.run(cur, "runs/list")
            names = [d[0] for d in result.description]
            rows = [dict(zip(names, row)) for row in result.fetchall()]
        for row in rows:
            row["meta"] = json.loads(row["meta"])
        return rows

    def stats(self, config=None, pair_warning_threshold: int = 100_000) -> dict:
        """Per-run and total counts, the pair count for `config`, and pair-explosion warnings."""
        from .models import PairConfig
        config = config or PairConfig()
        with self.cursor() as cur:
            result = queries.run(cur, "stats/summary", {"ttc_step_name": config.ttc_step_name})
            names = [d[0] for d in result.description]
            rows = [dict(zip(names, row)) for row in result.fetchall()]
            big = queries.run(cur, "stats/turns_over_limit", {
                "ttc_step_name": config.ttc_step_name, "limit": pair_warning_threshold}).fetchall()
            rejects = cur.execute(
                "SELECT reason, count(*) FROM rejects GROUP BY reason ORDER BY 2 DESC, 1").fetchall()
        warnings = self._explosion_warnings(big, config, pair_warning_threshold)
        pairs = None if (warnings and config.max_pairs_per_turn is None and config.exhaustive_pairs) \
            else self.count_pairs(config)
        return {"runs": rows[:-1], "total": rows[-1], "pairs": pairs,
                "rejects_by_reason": dict(rejects), "warnings": warnings, "config": config.model_dump()}

    def count_pairs(self, config=None, runs=None) -> int:
        """How many pairs `config` gives over `runs`, decisions applied (as `pairs` would list)."""
        from .models import PairConfig
        from .pairs import create_pair_view
        with self.cursor() as cur:
            create_pair_view(cur, config or PairConfig(), runs)
            return cur.execute("SELECT count(*) FROM pair_rows").fetchone()[0]

    def pair_warnings(self, config=None, threshold: int = 100_000) -> list[str]:
        """Warnings for turns whose exhaustive pairs would exceed `threshold` each."""
        from .models import PairConfig
        config = config or PairConfig()
        with self.cursor() as cur:
            big = queries.run(cur, "stats/turns_over_limit", {
                "ttc_step_name": config.ttc_step_name, "limit": threshold}).fetchall()
        return self._explosion_warnings(big, config, threshold)

    @staticmethod
    def _explosion_warnings(big, config, threshold: int) -> list[str]:
        if not big or not config.exhaustive_pairs or config.max_pairs_per_turn is not None:
            return []
        run_id, example_id, turn_id, k, bound = big[0]
        return [
            f"{len(big)}{'+' if len(big) == 20 else ''} turn(s) could give more than {threshold:,} "
            f"exhaustive pairs each (largest: run {run_id}, example {example_id}, turn {turn_id}: "
            f"{k:,} candidates, up to {bound:,} pairs); set max_pairs_per_turn "
            f"(--max-pairs-per-turn N) or use best-vs-worst"]

    def query(self, sql: str, allow_files: bool = False, config=None, runs=None) -> tuple[list[str], list[tuple]]:
        """Run one read-only query (checked by sqlglot first); returns (columns, rows).

        Besides the tables and views, the query may read `pairs` (the pairs of
        `config`/`runs`: the pair query's columns plus `flipped` and `excluded`,
        excluded pairs kept) and `lint_pairs` (chosen_seq, rejected_seq,
        check_name: lint findings per pair); each is computed only when the
        query names it. The query runs in a transaction that is always rolled
        back, so even a statement that slipped past the check could not change the store.
        """
        def fetch(cur):
            result = cur.execute(sql)
            return [d[0] for d in result.description], result.fetchall()
        return self._read_only_query(sql, allow_files, fetch, config, runs)

    def _read_only_query(self, sql: str, allow_files: bool, fetch: Callable[[duckdb.DuckDBPyConnection], T],
                         config=None, runs=None) -> T:
        """`fetch(cur)` after the sqlglot check, inside a transaction that is always rolled back;
        `pairs` and `lint_pairs` registered first when the query names them."""
        from .adhoc import check_read_only, table_names
        from .errors import QueryFailed
        from .models import PairConfig
        check_read_only(sql, allow_files=allow_files)
        named = table_names(sql)
        config = config or PairConfig()
        with self.cursor() as cur:
            if "lint_pairs" in named:
                from .lint import run_lint
                run_lint(cur, config, runs, examples=0)
            if "pairs" in named:
                from .pairs import create_pair_view
                create_pair_view(cur, config, runs, keep_excluded=True)
                cur.register("pairs", cur.sql("SELECT * FROM pair_rows"))
            cur.begin()
            try:
                return fetch(cur)
            except duckdb.Error as exc:
                raise QueryFailed(str(exc).strip().splitlines()[0]) from None
            finally:
                cur.rollback()

    # -- data API: Arrow, pandas, Polars, Hugging Face datasets (prefstore.tables) -------------
    # Optional dependencies: pip install 'prefstore[data]' (or [arrow], [pandas], [polars], [datasets]).
    def pairs_arrow(self, config=None, runs=None, batch_size: int = 65_536):
        """The pairs of `store.pairs(config, runs)`, in output order, as a pyarrow RecordBatchReader
        streamed from DuckDB: memory holds one batch of positions, however many pairs there are.

        Columns: the pair query's (run_id, example_id, turn_id, prompt, chosen_response,
        rejected_response, chosen_score, rejected_score, score_diff, reward, chosen_index,
        rejected_index, chosen_metadata, rejected_metadata, num_candidates, base_example_id,
        example_seq, turn_seq, pair_rank, chosen_seq, rejected_seq, flipped); prompt and the
        metadata are JSON text.
        """
        from .models import PairConfig
        from .tables import pairs_reader
        return pairs_reader(self._stream, config or PairConfig(), runs, batch_size)

    def pairs_df(self, config=None, runs=None):
        """`pairs_arrow` as a pandas DataFrame."""
        from .tables import to_pandas
        return to_pandas(lambda: self.pairs_arrow(config, runs), "store.pairs_df()")

    def pairs_pl(self, config=None, runs=None):
        """`pairs_arrow` as a Polars DataFrame."""
        from .tables import to_polars
        return to_polars(lambda: self.pairs_arrow(config, runs), "store.pairs_pl()")

    def dataset_arrow(self, config=None, options=None, runs=None) -> dict:
        """The training set `export(DIR, config, options, runs)` would write, as split name ->
        pyarrow Table, no file written: same rows, columns, order and split (trl: train/test;
        nemo, openai: training/validation; parquet: train/test). Format default: trl."""
        from .models import ExportOptions, PairConfig
        from .tables import split_tables
        with self.cursor() as cur:
            return split_tables(cur, config or PairConfig(), options or ExportOptions(), runs)

    def dataset(self, config=None, options=None, runs=None):
        """`dataset_arrow` as a Hugging Face `datasets.DatasetDict` (in memory), ready for TRL:
        `DPOTrainer(train_dataset=ds["train"], eval_dataset=ds["test"])`."""
        from .tables import to_dataset_dict
        return to_dataset_dict(lambda: self.dataset_arrow(config, options, runs))

    def candidates_arrow(self, runs=None, batch_size: int = 65_536):
        """The candidates of `runs` (None = every run) in arrival order, as a pyarrow
        RecordBatchReader: the columns of `prefstore export-candidates` (prompt, metadata: JSON text)."""
        from .tables import candidates_reader
        return candidates_reader(self._stream, runs, batch_size)

    def query_arrow(self, sql: str, allow_files: bool = False, config=None, runs=None):
        """`query` as a pyarrow Table (same read-only check, same rolled-back transaction, same
        `pairs` and `lint_pairs`)."""
        from .tables import require
        require("pyarrow", "store.query_arrow()")
        return self._read_only_query(sql, allow_files, lambda cur: cur.sql(sql).to_arrow_table(), config, runs)

    def query_df(self, sql: str, allow_files: bool = False, config=None, runs=None):
        """`query` as a pandas DataFrame."""
        from .tables import to_pandas
        return to_pandas(lambda: self.query_arrow(sql, allow_files, config, runs), "store.query_df()")

# -- the review page's reader -----------------------------------------------------------------
class Scratch:
    """An in-memory DuckDB that reads a store file only while `reading()` is open.

    The review server keeps its cache (narrow copies of pairs and candidates)
    here, and attaches the store file READ_ONLY for the moment of a request:
    between requests the file is free, so `prefstore ingest` or `exclude` from
    another process can open it for writing. Writes (decisions) go through a
    `PreferenceStore` opened for that moment. `memory_limit` bounds the cache
    and the queries; beyond it DuckDB spills to `temp_directory`.
    """

    ALIAS = "store"

    def __init__(self, path: str | os.PathLike, *, wait: float = DEFAULT_WAIT_SECONDS,
                 memory_limit: str | None = None, threads: int | None = None,
                 temp_directory: str | None = None) -> None:
        self.path = str(Path(path).resolve())
        self.wait = wait
        if not Path(self.path).is_file():
            raise NoStore(f"no store at {path}; ingest a run first (prefstore --db {path} ingest FILE)")
        _check_duckdb_header(Path(self.path))
        config: dict = {"autoinstall_known_extensions": False}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = threads
        if temp_directory:
            config["temp_directory"] = temp_directory
        self._con = duckdb.connect(":memory:", config=config)
        self._cond = threading.Condition()
        self._readers = 0
        self._writers = 0

    def close(self) -> None:
        self._con.close()

    @contextlib.contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on which the store's tables resolve unqualified (the file is attached READ_ONLY
        as `store`) and the cache is `memory.main.<table>`.

        Readers in several threads share one attachment; the last one to leave detaches the file,
        so between requests no process sees it held. Waits up to `wait` seconds while another
        process holds the file for writing (then StoreBusy), and while `writing()` is open here.
        """
        with self._cond:
            while self._writers:
                self._cond.wait()
            if self._readers == 0:
                with self._con.cursor() as cur:
                    self._attach(cur)
                    try:
                        _check_attached_schema(cur, self.path)
                    except BaseException:
                        cur.execute(f"DETACH DATABASE IF EXISTS {self.ALIAS}")
                        raise
            self._readers += 1
        cur = self._con.cursor()
        try:
            cur.execute(f"USE {self.ALIAS}")
            cur.execute(f"SET search_path = '{self.ALIAS}.main,memory.main'")
            yield cur
        finally:
            cur.close()
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    with self._con.cursor() as last:
                        last.execute(f"DETACH DATABASE IF EXISTS {self.ALIAS}")
                self._cond.notify_all()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """A moment with the file detached here (new readers wait), to open it for writing in this
        process (DuckDB refuses a file attached twice in one process)."""
        with self._cond:
            self._writers += 1
            try:
                while self._readers:
                    self._cond.wait()
            except BaseException:
                self._writers -= 1
                self._cond.notify_all()
                raise
        try:
            yield
        finally:
            with self._cond:
                self._writers -= 1
                self._cond.notify_all()

    def _attach(self, cur: duckdb.DuckDBPyConnection) -> None:
        # ATTACH takes no bound parameter for the path: sqlglot writes it as a string literal
        from sqlglot import exp
        literal = exp.Literal.string(self.path).sql(dialect="duckdb")
        _retry_locked(lambda: cur.execute(f"ATTACH {literal} AS {self.ALIAS} (READ_ONLY)"), self.path, self.wait)


def _check_attached_schema(cur: duckdb.DuckDBPyConnection, path: str) -> None:
    """The attached file is a store at this code's schema version (the reader never migrates)."""
    version = _applied_version(cur, Scratch.ALIAS)
    if version == code_schema_version():
        return
    if version > code_schema_version():
        raise _too_new(path, version)
    raise SchemaOutdated(f"{path} has schema version {version}, this prefstore needs {code_schema_version()}; "
                         f"run `prefstore --db {path} migrate` first")
