"""Ad-hoc queries: only one read-only SELECT, no files unless --allow-files, store unchanged.

Every attack goes through `store.query()` on a store opened for WRITING (only
the sqlglot guard and the always-rolled-back transaction stand in the way) and
through the real `prefstore query` (read-only connection, external access off).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from prefstore import PreferenceStore
from prefstore.errors import QueryFailed, QueryRefused
from prefstore.sample_data import SCALES, write_nat_eval

from .conftest import run_cli
from .test_crash_safety import table_checksums

OUTSIDE = "/etc/hostname"    # a file outside the store that exists on Linux


@pytest.fixture(scope="module")
def guarded_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("guard")
    source = folder / "run.json"
    write_nat_eval(source, SCALES["demo"])
    db = folder / "store.duckdb"
    with PreferenceStore(db) as store:
        store.ingest_nat_eval(source, run_id="r")
    (folder / "secret.csv").write_text("a,b\n1,2\n")
    return db


def attacks(folder: str) -> list[tuple[str, str, str]]:
    """(case, SQL, text of the refusal)."""
    only_select = "only SELECT queries are allowed, not "
    return [
        ("DROP", "DROP TABLE candidates", only_select + "DROP"),
        ("DELETE", "DELETE FROM candidates", only_select + "DELETE"),
        ("UPDATE", "UPDATE candidates SET score = 0", only_select + "UPDATE"),
        ("INSERT", "INSERT INTO runs SELECT * FROM runs", only_select + "INSERT"),
        ("CREATE", "CREATE TABLE stolen AS SELECT * FROM candidates", only_select + "CREATE"),
        ("CREATE MACRO", "CREATE MACRO m() AS 1", only_select + "CREATE"),
        ("ALTER", "ALTER TABLE runs ADD COLUMN x INTEGER", only_select + "ALTER"),
        ("TRUNCATE", "TRUNCATE runs", only_select + "TRUNCATE"),
        ("ATTACH", f"ATTACH '{folder}/other.duckdb' AS other", only_select + "ATTACH"),
        ("DETACH", "DETACH store", only_select + "DETACH"),
        ("USE", "USE memory", only_select + "USE"),
        ("COPY TO", f"COPY candidates TO '{folder}/out.csv'", only_select + "COPY"),
        ("COPY query TO", f"COPY (SELECT * FROM runs) TO '{folder}/out.parquet' (FORMAT parquet)",
         only_select + "COPY"),
        ("EXPORT DATABASE", f"EXPORT DATABASE '{folder}/dump'", only_select + "EXPORT"),
        ("IMPORT DATABASE", f"IMPORT DATABASE '{folder}/dump'", only_select + "IMPORT"),
        ("INSTALL", "INSTALL httpfs", only_select + "INSTALL"),
        ("LOAD", "LOAD httpfs", only_select + "LOAD"),
        ("SET", "SET enable_external_access = true", only_select + "SET"),
        ("RESET", "RESET threads", only_select + "RESET"),
        ("PRAGMA", "PRAGMA enable_profiling", only_select + "PRAGMA"),
        ("CALL", "CALL pragma_version()", only_select + "CALL"),
        ("CHECKPOINT", "CHECKPOINT", only_select + "CHECKPOINT"),
        ("FORCE CHECKPOINT", "FORCE CHECKPOINT", only_select + "FORCE"),
        ("VACUUM", "VACUUM", only_select + "VACUUM"),
        ("BEGIN", "BEGIN TRANSACTION", only_select + "BEGIN"),
        ("COMMIT", "COMMIT", only_select + "COMMIT"),
        ("two statements", "SELECT 1; DROP TABLE runs", "one statement only, found 2"),
        ("SELECT then COMMIT and DELETE", "SELECT 1; COMMIT; DELETE FROM runs; COMMIT", "one statement only, found 4"),
        ("statement after a line comment", "SELECT 1 -- harmless\n; DELETE FROM runs", "one statement only, found 2"),
        ("statement hidden after a comment", "/* just a select */ DELETE FROM runs", only_select + "DELETE"),
        ("statement after a comment line", "-- report\nDROP TABLE candidates", only_select + "DROP"),
        ("backslash is no string escape", r"SELECT '\'; DELETE FROM runs; --'", "one statement only, found 3"),
        ("DELETE in a CTE", "WITH gone AS (DELETE FROM runs RETURNING *) SELECT * FROM gone",
         "only read-only queries are allowed; found DELETE"),
        ("read_text outside the store", f"SELECT * FROM read_text('{OUTSIDE}')",
         "read_text() reads files; pass --allow-files to permit it"),
        ("read_csv outside the store", f"SELECT * FROM read_csv('{folder}/secret.csv')",
         "read_csv() reads files; pass --allow-files to permit it"),
        ("read_text in a subquery", f"SELECT (SELECT content FROM read_text('{OUTSIDE}'))",
         "read_text() reads files"),
        ("read_blob in a UNION", f"SELECT 'x' UNION ALL SELECT content::VARCHAR FROM read_blob('{OUTSIDE}')",
         "read_blob() reads files"),
        ("glob", "SELECT * FROM glob('/etc/*')", "glob() reads files"),
        ("read_duckdb", f"SELECT * FROM read_duckdb('{folder}/store.duckdb')", "read_duckdb() reads files"),
        ("a file named as a table", f"SELECT * FROM '{folder}/secret.csv'",
         f"reading the file '{folder}/secret.csv' needs --allow-files"),
        ("a file as a quoted identifier", f'SELECT * FROM "{folder}/secret.csv"', "needs --allow-files"),
        ("a URL as a table", "SELECT * FROM 'https://example.com/data.csv'", "needs --allow-files"),
        ("query() runs hidden SQL", "SELECT * FROM query('DELETE FROM runs')",
         "query() is not allowed in a read-only query"),
        ("checkpoint() as a table function", "SELECT * FROM checkpoint()",
         "checkpoint() is not allowed in a read-only query"),
        ("enable_logging()", "SELECT * FROM enable_logging()", "enable_logging() is not allowed"),
    ]


ISSUE_LIST = {"DROP", "DELETE", "UPDATE", "INSERT", "CREATE", "ATTACH", "DETACH", "COPY TO", "EXPORT DATABASE",
              "INSTALL", "LOAD", "SET", "PRAGMA", "CALL", "CHECKPOINT", "two statements",
              "statement hidden after a comment", "read_text outside the store", "read_csv outside the store"}
CASES = [case for case, _, _ in attacks("F")]


def files_beside(db: Path) -> set[str]:
    return {p.name for p in db.parent.iterdir()}


@pytest.mark.parametrize("case", CASES)
def test_attack_refused_by_store_query_on_a_writable_store(guarded_db, case):
    folder = str(guarded_db.parent)
    _, sql, refusal = next(a for a in attacks(folder) if a[0] == case)
    before, files = table_checksums(guarded_db), files_beside(guarded_db)
    with PreferenceStore(guarded_db) as store:                      # read-write, files allowed
        with pytest.raises(QueryRefused) as caught:
            store.query(sql)
        assert refusal in str(caught.value)
        assert "\n" not in str(caught.value)
        assert store.query("SELECT count(*) FROM runs")[1] == [(1,)]   # still usable
    assert table_checksums(guarded_db) == before
    assert files_beside(guarded_db) == files


@pytest.mark.parametrize("case", sorted(ISSUE_LIST) + ["a file named as a table", "query() runs hidden SQL",
                                                       "backslash is no string escape", "DELETE in a CTE"])
def test_attack_refused_by_the_cli_store_file_untouched(guarded_db, case):
    folder = str(guarded_db.parent)
    _, sql, refusal = next(a for a in attacks(folder) if a[0] == case)
    digest, files = hashlib.sha256(guarded_db.read_bytes()).digest(), files_beside(guarded_db)
    result = run_cli("--db", guarded_db, "query", sql)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("Error: ") and refusal in result.stderr
    assert result.stderr.count("\n") == 1                               # one line, no log noise
    assert hashlib.sha256(guarded_db.read_bytes()).digest() == digest
    assert files_beside(guarded_db) == files


def test_allow_files_opts_in_to_reading_files(guarded_db):
    secret = guarded_db.parent / "secret.csv"
    for sql in (f"SELECT * FROM read_csv('{secret}')", f"SELECT * FROM '{secret}'"):
        with PreferenceStore(guarded_db) as store:
            assert store.query(sql, allow_files=True) == (["a", "b"], [(1, 2)])
        result = run_cli("--db", guarded_db, "query", "--allow-files", "--format", "csv", sql)
        assert (result.returncode, result.stdout) == (0, "a,b\n1,2\n")
    with PreferenceStore(guarded_db) as store:            # --allow-files never permits writes or hidden SQL
        with pytest.raises(QueryRefused, match="not COPY"):
            store.query(f"COPY runs TO '{guarded_db.parent}/x.csv'", allow_files=True)
        with pytest.raises(QueryRefused, match="query"):
            store.query("SELECT * FROM query('SELECT 1')", allow_files=True)


def test_read_only_queries_still_work(guarded_db):
    sql = ("WITH t AS (SELECT run_id, count(*) AS n FROM candidates GROUP BY run_id) "
           "SELECT t.run_id, t.n = r.n_candidates FROM t JOIN runs AS r USING (run_id)")
    with PreferenceStore(guarded_db, read_only=True) as store:
        assert store.query(sql) == (["run_id", "(t.n = r.n_candidates)"], [("r", True)])
    result = run_cli("--db", guarded_db, "query", "--format", "csv", "SELECT count(*) AS n FROM runs")
    assert (result.returncode, result.stdout) == (0, "n\n1\n")


def test_second_layer_external_access_off(guarded_db):
    """The CLI's connection refuses files even for a query the guard let through."""
    with PreferenceStore(guarded_db, read_only=True, allow_files=False) as store:
        with pytest.raises(QueryFailed, match="disabled by configuration"):
            store.query(f"SELECT * FROM read_text('{OUTSIDE}')", allow_files=True)


def test_second_layer_rollback(guarded_db, monkeypatch):
    """Were the guard fooled, a write through store.query() is rolled back (writable
    store) or refused by the read-only connection (the CLI's)."""
    import prefstore.adhoc
    monkeypatch.setattr(prefstore.adhoc, "check_read_only", lambda sql, allow_files=False: sql)
    before = table_checksums(guarded_db)
    with PreferenceStore(guarded_db) as store:
        columns, rows = store.query("DELETE FROM candidates RETURNING run_id")
        assert rows
        assert store.query("SELECT count(*) > 0 FROM candidates")[1] == [(True,)]
    assert table_checksums(guarded_db) == before
    with PreferenceStore(guarded_db, read_only=True, allow_files=False) as store:
        with pytest.raises(QueryFailed, match="read-only"):
            store.query("DELETE FROM candidates")
    assert table_checksums(guarded_db) == before
