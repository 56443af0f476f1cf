"""Migrations: upgrades keep every row, a failing migration changes nothing,
newer and foreign files are refused and left byte-identical.

Old stores are built the way an older prefstore built them: the real
migration files up to version N, applied with the same bookkeeping row.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path

import duckdb
import pytest

from prefstore import PreferenceStore, __version__, queries
from prefstore.errors import MigrationEdited, MigrationFailed, NotAPreferenceStore, SchemaOutdated, SchemaTooNew
from prefstore.sample_data import SCALES, SampleSpec, write_nat_eval
from prefstore.store import code_schema_version, migration_files

from .conftest import run_cli
from .test_crash_safety import table_checksums

CURRENT = code_schema_version()
BOOKKEEPING = ("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
               "sha256 VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_at(path: Path, version: int) -> None:
    """A store file at schema `version` (0: an empty DuckDB file), from the real migration files."""
    with duckdb.connect(str(path)) as con:
        for number, name, file in migration_files():
            if number > version:
                break
            con.begin()
            con.execute(BOOKKEEPING)
            for statement in duckdb.extract_statements(file.read_text(encoding="utf-8")):
                con.execute(statement)
            con.execute("INSERT INTO schema_migrations VALUES ($v, $n, $d, now())",
                        {"v": number, "n": name, "d": sha256(file)})
            con.commit()


def base_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The data tables of the connection's own database (not schema_migrations)."""
    return [t for (t,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = 'main' AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' "
        "ORDER BY 1").fetchall()]


def columns(con: duckdb.DuckDBPyConnection, table: str, catalog: str | None = None) -> list[str]:
    return [c for (c,) in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = coalesce($c, current_database()) "
        "AND table_schema = 'main' AND table_name = $t ORDER BY ordinal_position",
        {"t": table, "c": catalog}).fetchall()]


def table_columns(path: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: columns(con, t) for t in base_tables(con)}


def rows_of(path: Path, wanted: dict[str, list[str]]) -> dict[str, list]:
    """Every row of the `wanted` tables, in the `wanted` columns, sorted."""
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: sorted(map(repr, con.execute(f"SELECT {', '.join(cols)} FROM {t}").fetchall()))
                for t, cols in wanted.items()}


def schema_of(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT table_name, table_type, column_name, data_type FROM information_schema.columns "
                           "JOIN information_schema.tables USING (table_catalog, table_schema, table_name) "
                           "WHERE table_schema = 'main' ORDER BY ALL").fetchall()


@pytest.fixture(scope="module")
def current_store(tmp_path_factory) -> Path:
    """A store made by this prefstore: two runs with ties, single turns, int ids, rejects."""
    folder = tmp_path_factory.mktemp("current")
    db = folder / "store.duckdb"
    with PreferenceStore(db) as store:
        for n, spec in enumerate((SCALES["demo"], SampleSpec(n_items=5, int_ids=True, seed=4))):
            source = folder / f"run{n}.json"
            write_nat_eval(source, spec)
            store.ingest_nat_eval(source, run_id=f"run{n}", meta={"n": str(n)})
        bad = folder / "bad.json"
        bad.write_text(json.dumps([{"id": "x", "intermediate_steps": [{"payload": {"event_type": "TTC_END",
                                    "name": "dpo_candidate_move", "data": None}}]}, {"id": "y"}]))
        assert store.ingest_nat_eval(bad, run_id="bad").rejects == 2
    return db


@pytest.mark.parametrize("version", range(CURRENT))
def test_store_at_every_earlier_version_upgrades_keeping_every_row(current_store, tmp_path, version):
    old = tmp_path / "old.duckdb"
    build_at(old, version)
    with duckdb.connect(str(old)) as con:                  # the data an older prefstore held
        con.execute(f"ATTACH '{current_store}' AS made (READ_ONLY)")
        for table in base_tables(con):
            names = ", ".join(c for c in columns(con, table) if c in columns(con, table, "made"))
            con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM made.main.{table}")
    old_columns = table_columns(old)
    before = rows_of(old, old_columns)
    assert sum(map(len, before.values())) > (0 if version else -1)
    assert before == rows_of(current_store, old_columns)

    with PreferenceStore(old) as store:                    # the current code migrates
        assert store.schema_version() == CURRENT
    assert rows_of(old, old_columns) == before             # every old row, every old column
    assert schema_of(old) == schema_of(current_store)

    source = tmp_path / "new.json"                         # the new schema works: ingest, views, pairs, export
    write_nat_eval(source, SampleSpec(n_items=4, seed=9))
    with PreferenceStore(old) as store:
        store.ingest_nat_eval(source, run_id="after-upgrade")
        for view in ("turns", "examples"):
            assert store.query(f"SELECT count(*) FROM {view}")[1][0][0] > 0
        upgraded_pairs = [p for p in store.pairs() if p.run_id != "after-upgrade"]
        assert store.export_jsonl(tmp_path / "out.jsonl") == len(store.pairs())
    if version:
        with PreferenceStore(current_store, read_only=True) as made:
            assert upgraded_pairs == made.pairs()


def copy_migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for _, _, file in migration_files():
        shutil.copy(file, folder / file.name)
    return folder


def test_failing_migration_rolls_back_completely(current_store, tmp_path, monkeypatch):
    db = tmp_path / "store.duckdb"
    shutil.copy(current_store, db)
    folder = copy_migrations(tmp_path)
    broken = folder / f"{CURRENT + 1:04d}_broken.sql"
    broken.write_text(
        "-- a migration that changes a lot, then fails\n"
        "CREATE TABLE extra (x INTEGER);\n"
        "INSERT INTO extra VALUES (1);\n"
        "ALTER TABLE runs ADD COLUMN note VARCHAR;\n"
        "UPDATE runs SET note = 'migrated';\n"
        "DELETE FROM rejects;\n"
        "DROP VIEW turns;\n"
        "SELECT CAST('not a number' AS INTEGER);\n", encoding="utf-8")
    before, schema = table_checksums(db), schema_of(db)
    monkeypatch.setattr(queries, "migrations_dir", lambda: folder)
    with pytest.raises(MigrationFailed) as caught:
        PreferenceStore(db)
    assert str(caught.value).startswith(
        f"migration {broken.stem} failed on {db} and was rolled back; the store stays at schema version {CURRENT}: ")
    assert "Conversion Error" in str(caught.value)
    assert table_checksums(db) == before
    assert schema_of(db) == schema
    with pytest.raises(SchemaOutdated):                    # still pending, still version CURRENT
        PreferenceStore(db, read_only=True)

    broken.write_text("CREATE TABLE extra (x INTEGER);\n", encoding="utf-8")   # fixed: applies
    with PreferenceStore(db) as store:
        assert store.schema_version() == CURRENT + 1
        assert store.query("SELECT count(*) FROM extra")[1] == [(0,)]


def test_edited_migration_is_refused(current_store, tmp_path, monkeypatch):
    db = tmp_path / "store.duckdb"
    shutil.copy(current_store, db)
    folder = copy_migrations(tmp_path)
    first = sorted(folder.iterdir())[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    digest = sha256(db)
    monkeypatch.setattr(queries, "migrations_dir", lambda: folder)
    with pytest.raises(MigrationEdited, match=f"migration {first.stem} applied to {db} differs"):
        PreferenceStore(db)
    assert sha256(db) == digest


def test_store_from_a_newer_prefstore_is_refused(current_store, tmp_path):
    db = tmp_path / "store.duckdb"
    shutil.copy(current_store, db)
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO schema_migrations VALUES ($v, 'from_the_future', 'x', now())", {"v": CURRENT + 7})
    digest = sha256(db)
    expected = (f"{db} has schema version {CURRENT + 7}, newer than this prefstore {__version__} understands "
                f"(version {CURRENT}); upgrade prefstore")
    for read_only in (False, True):
        with pytest.raises(SchemaTooNew) as caught:
            PreferenceStore(db, read_only=read_only)
        assert str(caught.value) == expected
    for args in (["runs"], ["migrate"]):
        result = run_cli("--db", db, *args)
        assert (result.returncode, result.stdout, result.stderr) == (1, "", f"Error: {expected}\n")
    assert sha256(db) == digest


def test_outdated_store_read_only_says_migrate_and_migrate_upgrades(tmp_path):
    db = tmp_path / "store.duckdb"
    build_at(db, CURRENT - 1)
    if CURRENT - 1 == 0:
        db.unlink()
        pytest.skip("only one migration: no outdated store to open")
    digest = sha256(db)
    result = run_cli("--db", db, "runs")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert f"has schema version {CURRENT - 1}, this prefstore needs {CURRENT}" in result.stderr
    assert "migrate" in result.stderr
    assert sha256(db) == digest
    result = run_cli("--db", db, "migrate", check=True)
    assert f"schema version {CURRENT}" in result.stdout


def _other_duckdb(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE measurements AS SELECT range AS i, random() AS x FROM range(1000)")


def _sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()


FOREIGN = [
    ("another DuckDB database", _other_duckdb, "is a DuckDB database but not a prefstore store"),
    ("random bytes", lambda p: p.write_bytes(os.urandom(100_000)), "is not a prefstore database (not a DuckDB file)"),
    ("a short text file", lambda p: p.write_text("hello"), "is not a prefstore database (not a DuckDB file)"),
    ("a NAT workflow_output.json", lambda p: write_nat_eval(p, SCALES["demo"]),
     "is not a prefstore database (not a DuckDB file)"),
    ("a SQLite database", _sqlite, "is not a prefstore database (not a DuckDB file)"),
]


@pytest.mark.parametrize(("make", "message"), [f[1:] for f in FOREIGN], ids=[f[0] for f in FOREIGN])
def test_foreign_file_refused_and_left_byte_identical(tmp_path, make, message):
    path = tmp_path / "some.file"
    make(path)
    digest, files = sha256(path), sorted(os.listdir(tmp_path))
    for read_only in (False, True):
        with pytest.raises(NotAPreferenceStore) as caught:
            PreferenceStore(path, read_only=read_only)
        assert str(caught.value).startswith(f"{path} ") and message in str(caught.value)
    source = tmp_path / "run.json"
    write_nat_eval(source, SCALES["demo"])
    files.append("run.json")
    for args in (["runs"], ["ingest", source], ["migrate"]):
        result = run_cli("--db", path, *args)
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr == f"Error: {caught.value}\n"
    assert sha256(path) == digest
    assert sorted(os.listdir(tmp_path)) == sorted(files)      # no WAL, no temp files


def test_empty_duckdb_file_becomes_a_store(tmp_path):
    """Not foreign: a DuckDB file without tables is version 0, so it is initialized."""
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    with PreferenceStore(path) as store:
        assert store.schema_version() == CURRENT
