"""`prefstore.sql_for` / `prefstore sql pairs`: the DuckDB pair query, bound and transpiled."""

from __future__ import annotations

import itertools
import typing

import pytest
import sqlglot
from sqlglot import exp

from prefstore import PairConfig, queries, sql_for
from prefstore.errors import BadOption
from prefstore.pairs import pair_params, query_name
from prefstore.portable import DIALECTS, bind, parse, placeholders

from .conftest import run_cli
from .test_export_candidates import build_sample_store

NASTY = "x' OR '1'='1 -- \\ \"q\" é\n*/ {}"
SCOPES = typing.get_args(PairConfig.model_fields["pair_scope"].annotation)  # turn, prompt


def every_query_config() -> list[PairConfig]:
    """One config per pair query file (mode x scope), all options off their defaults."""
    configs = []
    for exhaustive, scope in itertools.product((True, False), SCOPES):
        configs.append(PairConfig(exhaustive_pairs=exhaustive, min_score_diff=0.25, max_pairs_per_turn=3,
                                  reward_from_score_diff=False, require_multiple_candidates=False,
                                  ttc_step_name="step", pair_scope=scope))
    return configs


@pytest.fixture(scope="module")
def samples(tmp_path_factory, sample_file):
    with build_sample_store(tmp_path_factory.mktemp("sql_for") / "store.duckdb", sample_file) as store:
        yield store


def store_pair_rows(store, config, runs=None) -> list[tuple]:
    with store.cursor() as cur:
        return queries.run(cur, query_name(config), pair_params(config, runs)).fetchall()


@pytest.mark.parametrize("config", every_query_config(), ids=lambda c: query_name(c))
@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_placeholder_is_bound(config, dialect):
    name = query_name(config)
    named = placeholders(parse(name))
    assert named, f"sql/{name}.sql has $parameters"
    assert named <= pair_params(config, None).keys()
    text = sql_for(config, dialect, runs=["r1"])
    tree = sqlglot.parse_one(text, read=dialect)
    assert not list(tree.find_all(exp.Placeholder, exp.Parameter))
    for param in named:
        assert f"${param}" not in text and f":{param}" not in text and f"@{param}" not in text


def test_a_parameter_without_a_value_is_an_error_not_a_null():
    tree = parse("pairs/exhaustive")
    params = pair_params(PairConfig(), None)
    del params["min_score_diff"]
    with pytest.raises(KeyError, match="min_score_diff"):
        bind(tree, params, "pairs/exhaustive")


@pytest.mark.parametrize("config,runs", [
    (PairConfig(), None),
    (PairConfig(min_score_diff=0.1, max_pairs_per_turn=2), ["run1", "int ids/é"]),
    (PairConfig(exhaustive_pairs=False, min_score_diff=0.1, max_pairs_per_turn=1), None),
    (PairConfig(reward_from_score_diff=False, require_multiple_candidates=False), ["007"]),
    *[(c.model_copy(update={"ttc_step_name": "dpo_candidate_move"}), None) for c in every_query_config()],
], ids=str)
def test_duckdb_text_gives_the_store_rows(samples, config, runs):
    """Binding literals changes nothing: the duckdb text returns the rows the bound query does."""
    expected = store_pair_rows(samples, config, runs)
    with samples.cursor() as cur:
        assert cur.execute(sql_for(config, "duckdb", runs=runs)).fetchall() == expected
    if config.min_score_diff == 0 and config.max_pairs_per_turn is None:
        assert expected


def test_step_name_is_one_quoted_literal_in_every_dialect(samples):
    config = PairConfig(ttc_step_name=NASTY)
    for dialect in DIALECTS:
        tree = sqlglot.parse_one(sql_for(config, dialect), read=dialect)
        strings = [lit.this for lit in tree.find_all(exp.Literal) if lit.is_string]
        # the name may be bound in several places, but always as one whole quoted literal
        assert strings and set(strings) == {NASTY}, dialect
    # and DuckDB matches it: rename the samples' step to the nasty name, get the same pairs
    expected = store_pair_rows(samples, PairConfig())
    with samples.cursor() as cur:
        cur.execute("CREATE TEMP TABLE renamed AS SELECT * REPLACE "
                    "(CASE WHEN step_name = 'dpo_candidate_move' THEN $n ELSE step_name END AS step_name) "
                    "FROM candidates", {"n": NASTY})
        assert cur.execute(sql_for(config, "duckdb", table="renamed")).fetchall() == expected


def test_numbers_stay_numbers():
    config = PairConfig(min_score_diff=1e-7, max_pairs_per_turn=12)
    for dialect in DIALECTS:
        tree = sqlglot.parse_one(sql_for(config, dialect), read=dialect)
        numbers = {lit.this for lit in tree.find_all(exp.Literal) if not lit.is_string}
        assert "12" in numbers, dialect
        (cast,) = [c for c in tree.find_all(exp.Cast) if c.this.is_number and "e" in c.this.this.lower()]
        assert float(cast.this.this) == 1e-7
        assert cast.to.is_type(exp.DType.DOUBLE), dialect


@pytest.mark.parametrize("dialect", ["trino", "bigquery", "spark"])
def test_other_dialects_parse_back(dialect):
    for config in every_query_config() + [PairConfig()]:
        text = sql_for(config, dialect, runs=["a", "b"])
        sqlglot.parse_one(text, read=dialect)  # raises on a syntax error
        assert "array_contains" not in text.lower(), "a literal run list becomes IN (...)"
        assert "IN ('a', 'b')" in text


def test_table_option_names_the_table_in_the_dialect():
    text = sql_for(PairConfig(), "trino", table='hive.prefs."cands 2"')
    tree = sqlglot.parse_one(text, read="trino")
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    tables = {(t.catalog, t.db, t.name) for t in tree.find_all(exp.Table) if t.name not in ctes}
    assert tables == {("hive", "prefs", "cands 2")}


def test_bad_values_are_refused():
    with pytest.raises(BadOption, match="dialect"):
        sql_for(PairConfig(), "oracle")
    with pytest.raises(BadOption, match="runs"):
        sql_for(PairConfig(), "spark", runs="run1")
    with pytest.raises(BadOption, match="table"):
        sql_for(PairConfig(), "spark", table="cands -- comment")
    assert "FROM `a b`" in sql_for(PairConfig(), "spark", table="a b"), "an odd name is quoted, not spliced"


def test_cli_prints_sql_for(tmp_path):
    args = ["--dialect", "trino", "--best-vs-worst", "--min-score-diff", "0.1", "--max-pairs-per-turn", "2",
            "--runs", "run1,007", "--table", "db.cands"]
    result = run_cli("sql", "pairs", *args, cwd=tmp_path, check=True)
    config = PairConfig(exhaustive_pairs=False, min_score_diff=0.1, max_pairs_per_turn=2)
    assert result.stdout == sql_for(config, "trino", runs=["run1", "007"], table="db.cands") + ";\n"
    assert not list(tmp_path.iterdir()), "needs no store"
    bad = run_cli("sql", "pairs", "--dialect", "spark", "--min-score-diff", "-1", cwd=tmp_path)
    assert bad.returncode == 1 and bad.stderr.startswith("Error: --min-score-diff")
    assert run_cli("sql", "pairs", "--dialect", "oracle", cwd=tmp_path).returncode == 2
