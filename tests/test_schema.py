"""Migrating an empty file gives the public tables and views."""

from __future__ import annotations

from prefstore import PreferenceStore
from prefstore.store import code_schema_version, migration_files

PUBLIC = {"runs", "candidates", "rejects", "turns", "schema_migrations"}


def test_empty_file_gets_every_table_and_view(db_path):
    with PreferenceStore(db_path) as store:
        _, rows = store.query("SELECT table_name FROM information_schema.tables")
        assert PUBLIC <= {r[0] for r in rows}
        _, applied = store.query("SELECT version, name FROM schema_migrations ORDER BY version")
        assert applied == [(v, n) for v, n, _ in migration_files()]
        assert store.schema_version() == code_schema_version()


def test_reopening_applies_nothing_twice(db_path):
    with PreferenceStore(db_path) as store:
        _, first = store.query("SELECT version, applied_at FROM schema_migrations ORDER BY version")
    with PreferenceStore(db_path) as store:
        _, second = store.query("SELECT version, applied_at FROM schema_migrations ORDER BY version")
    assert first == second


def test_candidate_columns_are_public(db_path):
    with PreferenceStore(db_path) as store:
        _, rows = store.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'candidates' "
            "ORDER BY ordinal_position")
    assert [r[0] for r in rows][:14] == [
        "run_id", "example_id", "turn_id", "turn_index", "candidate_index", "step_name", "prompt",
        "response", "score", "step_uuid", "metadata", "item_pos", "step_pos", "seq"]
