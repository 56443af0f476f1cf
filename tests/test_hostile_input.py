"""Hostile and broken NAT input: every row of the README's bad-input table.

Two outcomes only: the whole file is refused (one `Error:` line naming the
file and the reason, store unchanged), or the file is stored and each bad step
is recorded in `rejects` with its reason. Texts are stored and exported
exactly as given.
"""

from __future__ import annotations

import hashlib
import json
import random
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from prefstore import PairConfig, PreferenceStore
from prefstore.errors import BadInput
from prefstore.sample_data import SCALES, write_nat_eval

from .conftest import cli_env, run_cli
from .test_crash_safety import table_checksums

DUPLICATE = "duplicate candidate (same step name, example, turn and candidate_index)"


def step(uuid: str = "u", metadata=None, name: str = "dpo_candidate_move", **data) -> dict:
    return {"payload": {"event_type": "TTC_END", "name": name, "UUID": uuid,
                        "metadata": {} if metadata is None else metadata, "data": data}}


def good(index: int = 0, score: float = 0.9, **data) -> dict:
    fields = {"turn_id": "t", "candidate_index": index, "score": score, "input": "p", "output": f"good {index}"}
    return step(uuid=f"good{index}", **{**fields, **data})


def items_json(*steps: dict, item_id="ex") -> str:
    return json.dumps([{"id": item_id, "intermediate_steps": list(steps)}], ensure_ascii=False)


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("seeded")
    db = folder / "store.duckdb"
    source = folder / "earlier.json"
    write_nat_eval(source, SCALES["demo"])
    with PreferenceStore(db) as store:
        store.ingest_nat_eval(source, run_id="earlier")
    return db


@pytest.fixture
def seeded_db(seeded_store, tmp_path) -> Path:
    """A store already holding one run, so "unchanged" means something."""
    db = tmp_path / "store.duckdb"
    shutil.copy(seeded_store, db)
    return db


# -- whole-file refusals --------------------------------------------------------------------
def _write(content: bytes):
    def make(path: Path) -> Path:
        path.write_bytes(content)
        return path
    return make


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


TRUNCATED = items_json(good(0), good(1, 0.2)).encode()[:-20]
INVALID_UTF8 = items_json(good(0), good(1, 0.2, output="bad @@ byte")).encode().replace(b"@@", b"\xff\xfe")
LONE_SURROGATE = json.dumps([{"id": "e", "intermediate_steps": [good(0, output="half \ud800 pair")]}]).encode()

REFUSED = [
    # (case, make the file at `path`, text the one-line error must contain)
    ("missing file", lambda path: path, "no such file"),
    ("a directory", _directory, "is a directory, expected a NAT workflow_output.json file"),
    ("empty file", _write(b""), "file is empty, expected a JSON array of NAT evaluation items"),
    ("only whitespace and a BOM", _write(b"\xef\xbb\xbf \n\t"), "file is empty"),
    ("not JSON", _write(b"hello, world"), "found text that is not JSON ('hello, world'...)"),
    ("truncated JSON", _write(TRUNCATED), "not a readable NAT evaluation file"),
    ("a JSON object instead of an array", _write(b'{"id": "ex", "intermediate_steps": []}'),
     "expected a JSON array of NAT evaluation items, found a JSON object"),
    ("a JSON string", _write(b'"workflow_output"'), "found a JSON string"),
    ("null", _write(b"null"), "found null"),
    ("a number", _write(b"42"), "found a number"),
    ("UTF-16 file", _write('[{"id": "e"}]'.encode("utf-16")), "found UTF-16 text (save it as UTF-8)"),
    ("invalid UTF-8", _write(INVALID_UTF8), "invalid UTF-8 encoding in string"),
    ("lone UTF-16 surrogate escape", _write(LONE_SURROGATE), "no low surrogate in string"),
    ("trailing data after the array", _write(items_json(good(0)).encode() + b" [1]"), "unexpected character"),
    ("an item that is not an object", _write(b'[1, {"id": "e", "intermediate_steps": []}]'),
     "Expected OBJECT, but got"),
    ("intermediate_steps not a list", _write(b'[{"id": "e", "intermediate_steps": "none"}]'),
     "Expected ARRAY, but got VARCHAR"),
]


@pytest.mark.parametrize(("make", "reason"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_whole_file_refused_with_one_line_and_store_unchanged(seeded_db, tmp_path, make, reason):
    path = make(tmp_path / "workflow_output.json")
    before = table_checksums(seeded_db)
    with PreferenceStore(seeded_db) as store:
        with pytest.raises(BadInput) as caught:
            store.ingest_nat_eval(path)
    assert str(caught.value).startswith(f"{path}: ") and reason in str(caught.value)
    assert table_checksums(seeded_db) == before

    result = run_cli("--db", seeded_db, "ingest", path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"Error: {caught.value}\n"                 # one line, no traceback
    assert table_checksums(seeded_db) == before


# -- steps recorded in rejects ------------------------------------------------------------------
def data_step(data) -> dict:
    return {"payload": {"event_type": "TTC_END", "name": "dpo_candidate_move", "UUID": "bad", "data": data}}


def nested(depth: int) -> dict:
    """{"k": {"k": ... 1}}: `depth` objects inside one another."""
    value: object = 1
    for _ in range(depth):
        value = {"k": value}
    return value  # type: ignore[return-value]


REJECTED = [
    # (case, bad step, reason)
    ("step without payload", {"UUID": "bad", "parent_id": "x"}, "step has no payload object"),
    ("data null", data_step(None), "payload.data is not an object"),
    ("data a string", data_step("turn t, score 0.5"), "payload.data is not an object"),
    ("score NaN", good(1, float("nan")), "score is not finite"),
    ("score Infinity", good(1, float("inf")), "score is not finite"),
    ("score -Infinity", good(1, float("-inf")), "score is not finite"),
    ("score 1e309 (overflows a double)", json.dumps(good(1, 0.5)).replace('"score": 0.5', '"score": 1e309'),
     "score is not finite"),
    ("score true", good(1, True), "score is not a number"),
    ("score 'abc'", good(1, "abc"), "score is not a number"),
    ("score a list", good(1, [0.5]), "score is not a number"),
    ("score missing", step(uuid="bad", turn_id="t", input="p", output="o"), "missing score"),
    ("turn_id missing", step(uuid="bad", score=0.5, input="p", output="o"), "missing turn_id"),
    ("turn_id NaN", good(1, turn_id=float("nan")), "turn_id is not a string or number"),
    ("turn_id an object", good(1, turn_id={"n": 1}), "turn_id is not a string or number"),
    ("candidate_index a string", good(1, candidate_index="1"), "candidate_index is not a non-negative integer"),
    ("candidate_index negative", good(1, candidate_index=-1), "candidate_index is not a non-negative integer"),
    ("candidate_index a float", good(1, candidate_index=1.5), "candidate_index is not a non-negative integer"),
    ("candidate_index NaN", good(1, candidate_index=float("nan")), "candidate_index is not a non-negative integer"),
    ("turn_index a string", good(1, turn_index="first"), "turn_index is not an integer"),
    ("metadata nested 101 levels", step(uuid="bad", metadata=nested(101), turn_id="t", candidate_index=1,
                                        score=0.5, input="p", output="o"),
     "payload.metadata is nested deeper than 100 levels"),
    ("metadata nested 100,000 levels",                     # deeper than Python's json could write
     json.dumps(step(uuid="bad", metadata="X", turn_id="t", score=0.5, input="p", output="o"))
     .replace('"X"', "[" * 100_000 + "]" * 100_000), "payload.metadata is nested deeper than 100 levels"),
    ("same candidate twice", good(0, 0.1), DUPLICATE),
]


@pytest.mark.parametrize(("bad", "reason"), [c[1:] for c in REJECTED], ids=[c[0] for c in REJECTED])
def test_bad_step_recorded_in_rejects_rest_stored(tmp_path, bad, reason):
    later = good(2, 0.4, turn_id="t2")
    text = items_json(good(0), {"SLOT": 1}, later).replace('{"SLOT": 1}', "SLOT")
    bad_text = bad if isinstance(bad, str) else json.dumps(bad)          # str: JSON text as written
    path = tmp_path / "w.json"
    path.write_text(text.replace("SLOT", bad_text), encoding="utf-8")
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        report = store.ingest_nat_eval(path)
        assert report.rejects_by_reason == {reason: 1}
        assert report.candidates == 2                                       # the steps around it
        _, rejects = store.query("SELECT example_id, item_pos, step_pos, reason FROM rejects")
        assert rejects == [("ex", 1, 2, reason)]
        _, kept = store.query("SELECT response FROM candidates ORDER BY seq")
        assert kept == [("good 0",), ("good 2",)]


def test_nan_and_infinity_literals_do_not_stop_the_file(tmp_path):
    """Python's json writes NaN/Infinity; every other step of every item still ingests."""
    items = [{"id": f"e{i}", "intermediate_steps": [
        good(0, 0.9), good(1, float("nan")), good(2, 0.1), good(3, float("inf")), good(4, float("-inf")),
        good(5, 0.5, metadata={"m": float("nan")})]} for i in range(3)]
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    assert b"NaN" in path.read_bytes() and b"-Infinity" in path.read_bytes()
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        report = store.ingest_nat_eval(path)
        assert (report.items, report.candidates, report.rejects_by_reason) == (3, 9, {"score is not finite": 9})
        assert len(store.pairs()) == 9
        (pair,) = [p for p in store.pairs() if p.example_id == "e0" and p.rejected_index == 5]
        assert pair.rejected_metadata["m"] != pair.rejected_metadata["m"]        # NaN kept in metadata


def test_item_without_intermediate_steps(tmp_path):
    path = tmp_path / "w.json"
    path.write_text(json.dumps([{"id": "no-steps", "question": "q"},
                                {"id": "ok", "intermediate_steps": [good(0), good(1, 0.1)]}]))
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        report = store.ingest_nat_eval(path)
        assert report.rejects_by_reason == {"item has no intermediate_steps list": 1}
        _, rejects = store.query("SELECT example_id, item_pos, step_pos FROM rejects")
        assert rejects == [("no-steps", 1, None)]
        assert report.candidates == 2


def test_items_without_usable_id(tmp_path):
    items = [{"intermediate_steps": [good(0)]}, {"id": None, "intermediate_steps": [good(0)]},
             {"id": float("nan"), "intermediate_steps": [good(0)]}, {"id": {"n": 1}, "intermediate_steps": [good(0)]},
             {"id": 5, "intermediate_steps": [good(0), good(1, 0.1)]}]
    path = tmp_path / "w.json"
    path.write_text(json.dumps(items))
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        report = store.ingest_nat_eval(path)
        assert report.rejects_by_reason == {"item has no usable id (string or number)": 4}
        assert [p.example_id for p in store.pairs()] == ["5"]


# -- accepted as given ------------------------------------------------------------------------------
MESSAGES = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
ACCEPTED = [
    # (case, candidate data overrides, column, stored value)
    ("score '0.7' (numeric string)", {"score": "0.7"}, "score", 0.7),
    ("score 1e308", {"score": 1e308}, "score", 1e308),
    ("score negative", {"score": -3.25}, "score", -3.25),
    ("score an integer", {"score": 1}, "score", 1.0),
    ("turn_id a number", {"turn_id": 7}, "turn_id", "7"),
    ("prompt a message list", {"input": MESSAGES}, "prompt", json.dumps(MESSAGES, separators=(",", ":"))),
    ("prompt a dict", {"input": {"question": "q", "n": 1}}, "prompt", json.dumps('{"question":"q","n":1}')),
    ("messages without role/content", {"input": [{"text": "hi"}, {"role": "user"}]}, "prompt",
     json.dumps('[{"text":"hi"},{"role":"user"}]')),
    ("prompt null", {"input": None}, "prompt", '""'),
    ("output a dict", {"output": {"move": [1, 2]}}, "response", '{"move":[1,2]}'),
    ("output a list", {"output": ["a", 1]}, "response", '["a",1]'),
    ("output null", {"output": None}, "response", ""),
    ("metadata nested 100 levels", {"metadata": nested(100)}, "metadata",
     '{"k":' * 100 + "1" + "}" * 100),
]


@pytest.mark.parametrize(("override", "column", "value"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_odd_but_usable_values_are_stored(tmp_path, override, column, value):
    override = dict(override)
    metadata = override.pop("metadata", None)
    candidate = step(uuid="odd", metadata=metadata, **{**{"turn_id": "t", "candidate_index": 1, "score": 0.5,
                                                           "input": "p", "output": "o"}, **override})
    path = tmp_path / "w.json"
    path.write_text(items_json(good(0), candidate))
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        report = store.ingest_nat_eval(path)
        assert (report.candidates, report.rejects) == (2, 0)
        _, rows = store.query(f"SELECT {column} FROM candidates WHERE step_uuid = 'odd'")
        assert rows == [(value,)]
        store.pairs()                                                        # and they pair


def test_utf8_bom_is_ignored(tmp_path):
    plain = tmp_path / "plain.json"
    plain.write_text(items_json(good(0), good(1, 0.1)), encoding="utf-8")
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    with PreferenceStore(tmp_path / "a.duckdb") as a, PreferenceStore(tmp_path / "b.duckdb") as b:
        a.ingest_nat_eval(plain, run_id="r")
        b.ingest_nat_eval(bom, run_id="r")
        assert a.pairs() == b.pairs() and len(a.pairs()) == 1


def test_duplicate_item_ids_in_one_file(tmp_path):
    """Two items with one id are one example: distinct turns are kept, a repeated
    (turn, candidate_index) is a duplicate and the first one wins."""
    items = [{"id": "same", "intermediate_steps": [good(0, 0.9), good(1, 0.2)]},
             {"id": "same", "intermediate_steps": [good(0, 0.1, output="again"), good(0, 0.8, turn_id="t2"),
                                                   good(1, 0.3, turn_id="t2")]}]
    path = tmp_path / "w.json"
    path.write_text(json.dumps(items))
    with PreferenceStore(tmp_path / "s.duckdb") as store:
        report = store.ingest_nat_eval(path)
        assert (report.items, report.candidates, report.rejects_by_reason) == (2, 4, {DUPLICATE: 1})
        _, rejects = store.query("SELECT item_pos, step_pos FROM rejects")
        assert rejects == [(2, 1)]
        assert [(p.example_id, p.turn_id) for p in store.pairs()] == [("same", "t"), ("same", "t2")]


# -- text survives byte for byte ------------------------------------------------------------------------
TEXTS = {
    "emoji": "🎲 move ♟ 👩🏽‍💻 done 🇫🇷",
    "right-to-left": "\u202bمرحبا بالعالم\u202c שלום \u200f(123)",
    "NUL characters": "before\x00after\x00",
    "control characters": "tab\tnew\nline\rbell\x07 esc\x1b del\x7f",
    "combining and wide": "e\u0301 \u65e5\u672c\u8a9e \U0001d11e",
    "quotes and backslashes": 'say "hi" \\ back\\slash \\u0000 not an escape',
}


@pytest.mark.parametrize("text", list(TEXTS.values()), ids=list(TEXTS))
def test_text_round_trips_through_store_and_nemo_export(tmp_path, text):
    messages = [{"role": "system", "content": "sys " + text}, {"role": "user", "content": "user " + text}]
    steps = [good(0, 0.9, input=messages, output="chosen " + text), good(1, 0.1, input=messages, output=text)]
    path = tmp_path / "w.json"
    path.write_text(json.dumps([{"id": "id " + text, "intermediate_steps": steps}], ensure_ascii=False),
                    encoding="utf-8")
    db = tmp_path / "s.duckdb"
    with PreferenceStore(db) as store:
        store.ingest_nat_eval(path)
        (pair,) = store.pairs()
        assert (pair.example_id, pair.chosen_response, pair.rejected_response) == ("id " + text, "chosen " + text, text)
        assert [m.model_dump() for m in pair.prompt] == messages
    out = tmp_path / "train.jsonl"
    run_cli("--db", db, "export", "-q", out, check=True)
    (line,) = out.read_bytes().decode("utf-8").rstrip("\n").split("\n")
    assert json.loads(line) == {"prompt": "user " + text, "chosen_response": "chosen " + text,
                                "rejected_response": text}


@pytest.mark.slow
def test_50_mb_response_round_trips(tmp_path):
    rng = random.Random(5)
    chunk = "".join(rng.choice("abc é日🙂\n\"\\") for _ in range(4096))
    huge = chunk * (50 * 2**20 // len(chunk.encode()) + 1)
    assert len(huge.encode()) > 50_000_000
    path = tmp_path / "w.json"
    path.write_text(items_json(good(0, 0.9, output=huge), good(1, 0.1)), encoding="utf-8")
    db = tmp_path / "s.duckdb"
    with PreferenceStore(db) as store:
        report = store.ingest_nat_eval(path)
        assert (report.candidates, report.rejects) == (2, 0)
        (pair,) = store.pairs()
        assert pair.chosen_response == huge
    out = tmp_path / "train.jsonl"
    with PreferenceStore(db, read_only=True) as store:
        assert store.export_jsonl(out) == 1
    exported = json.loads(out.read_text(encoding="utf-8"))["chosen_response"]
    assert hashlib.sha256(exported.encode()).digest() == hashlib.sha256(huge.encode()).digest()


# -- pair explosion ------------------------------------------------------------------------------------
K = 5000
PERMUTATION = random.Random(11).sample(range(K), K)
SCALE = 8192            # candidate i scores PERMUTATION[i] / SCALE: exact in binary, so are differences


@pytest.fixture(scope="module")
def huge_turn_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("huge_turn")
    steps = [good(i, PERMUTATION[i] / SCALE, output=f"r{i}") for i in range(K)]
    path = folder / "w.json"
    path.write_text(json.dumps([{"id": "big", "intermediate_steps": steps},
                                {"id": "small", "intermediate_steps": [good(0, 0.7), good(1, 0.2)]}]))
    db = folder / "s.duckdb"
    with PreferenceStore(db) as store:
        assert store.ingest_nat_eval(path, run_id="r").candidates == K + 2
    return db


def first_pairs_of_big_turn(n: int) -> list[tuple[int, int]]:
    """Scores are 0..K-1 (over SCALE), all distinct: pairs by score_diff desc, then chosen
    score desc are (K-1, K-1-d), (K-2, K-2-d), ... for d = K-1, K-2, ...; as indexes."""
    index_of = {score: i for i, score in enumerate(PERMUTATION)}
    found = []
    for d in range(K - 1, 0, -1):
        for chosen in range(K - 1, d - 1, -1):
            found.append((index_of[chosen], index_of[chosen - d]))
            if len(found) == n:
                return found
    return found


def limited_cli(*args, memory_mb: int = 2048) -> subprocess.CompletedProcess:
    """The real CLI with at most `memory_mb` of address space and a hang guard."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    return subprocess.run([sys.executable, "-m", "prefstore", *map(str, args)], env=cli_env(), text=True,
                          capture_output=True, timeout=120, preexec_fn=limit, stdin=subprocess.DEVNULL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS")
def test_5000_candidate_turn_with_max_pairs_per_turn(huge_turn_db):
    result = limited_cli("--db", huge_turn_db, "pairs", "--max-pairs-per-turn", "10", "--limit", "0",
                         "--format", "jsonl")
    assert (result.returncode, result.stderr) == (0, "")
    pairs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(p["chosen_index"], p["rejected_index"]) for p in pairs[:10]] == first_pairs_of_big_turn(10)
    assert [p["example_id"] for p in pairs] == ["big"] * 10 + ["small"]
    assert pairs[0]["score_diff"] == (K - 1) / SCALE and pairs[0]["num_candidates"] == K

    with PreferenceStore(huge_turn_db, read_only=True) as store:
        assert store.count_pairs(PairConfig(max_pairs_per_turn=7)) == 8
        (big, small) = store.pairs(PairConfig(exhaustive_pairs=False))
        assert (big.chosen_index, big.rejected_index) == first_pairs_of_big_turn(1)[0]

    out = huge_turn_db.with_name("limited.jsonl")
    result = limited_cli("--db", huge_turn_db, "export", "-q", "--max-pairs-per-turn", "1000", out)
    assert (result.returncode, result.stderr) == (0, "")
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1001


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS")
def test_5000_candidate_turn_stats_and_pairs_warn(huge_turn_db):
    expected = ("1 turn(s) could give more than 100,000 exhaustive pairs each (largest: run r, example big, "
                "turn t: 5,000 candidates, up to 12,497,500 pairs); set max_pairs_per_turn "
                "(--max-pairs-per-turn N) or use best-vs-worst")
    with PreferenceStore(huge_turn_db, read_only=True) as store:
        summary = store.stats()
        assert summary["warnings"] == [expected]
        assert summary["pairs"] is None                       # not counted: that would pair 12.5M
        assert summary["total"]["exhaustive_pairs_upper_bound"] == K * (K - 1) // 2 + 1
        assert store.pair_warnings() == [expected]
        assert store.pair_warnings(PairConfig(max_pairs_per_turn=50)) == []
        first = list(store.iter_pairs(limit=3))
        assert [(p.chosen_index, p.rejected_index) for p in first] == first_pairs_of_big_turn(3)

    stats = limited_cli("--db", huge_turn_db, "stats")
    assert stats.returncode == 0
    assert stats.stderr == f"Warning: {expected}\n"
    assert "not counted (see warning)" in stats.stdout

    pairs = limited_cli("--db", huge_turn_db, "pairs", "--limit", "5")   # default: exhaustive, no limit
    assert pairs.returncode == 0
    assert pairs.stderr == f"Warning: {expected}\n"
    assert "first 5; total not counted (see warning)" in pairs.stdout
