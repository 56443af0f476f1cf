"""Generator of NAT-format evaluation output (``workflow_output.json``).

The project ships its own sample data instead of NAT's files: tests, the CLI
demo and the benchmarks all need inputs of any size, with known edge cases
(ties, single-candidate turns, message prompts, other step names, noise steps),
reproducible byte for byte from a seed.

The layout matches what NAT 1.9's ``DatasetHandler.publish_eval_input`` writes,
i.e. ``json.dumps(items, indent=2)``: for ``indent=2`` the output equals
``json.dumps(json.load(f), indent=2, ensure_ascii=...)``. Steps are rendered
from precompiled ``%``-templates so only the variable parts go through the
(C-accelerated) string encoder; the file is written item by item, so memory
stays flat whatever the size.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "SCALES",
    "SampleSpec",
    "main",
    "write_demo_runs",
    "write_nat_eval",
]

CANDIDATE_STEP = "dpo_candidate_move"
OTHER_STEP = "other_ttc_step"
SYSTEM_PROMPT = "You play tic-tac-toe."
BASE_TIMESTAMP = 1795528516.0421789
TIMESTAMP_STEP = 3.71e-05  # seconds between steps, close to the sample's spacing
_NON_ASCII = (" café", " naïve ♟", " 🎲", " Zürich ✓", " 日本語")
_WORDS = (
    "pawn knight bishop rook queen king board move turn centre corner edge "
    "threat fork pin block win draw loss open file rank diagonal tempo "
    "square cross nought mark line column row play score value"
).split()


@dataclass(frozen=True)
class SampleSpec:
    """Shape of one generated evaluation run; the defaults mimic the NAT sample."""

    n_items: int = 20
    turns_per_item: int = 3
    min_candidates: int = 1
    max_candidates: int = 5
    noise_llm_steps_per_turn: int = 1
    noise_bytes: int = 250
    seed: int = 0
    message_prompt_ratio: float = 0.5
    tie_ratio: float = 0.15  # fraction of multi-candidate turns holding a tie
    single_candidate_ratio: float = 0.2
    other_step: bool = True
    ttc_start: bool = True
    int_ids: bool = False
    prompt_bytes: int = 52
    response_bytes: int = 16
    non_ascii_ratio: float = 0.1  # fraction of turns whose prompt has non-ASCII text
    id_prefix: str = "game_"
    step_name: str = CANDIDATE_STEP
    indent: int | None = 2  # NAT writes indent=2; None gives compact JSON
    ensure_ascii: bool = False

    def __post_init__(self) -> None:
        if self.n_items < 0 or self.turns_per_item < 0:
            raise ValueError("n_items and turns_per_item must be >= 0")
        if not 1 <= self.min_candidates <= self.max_candidates:
            raise ValueError("need 1 <= min_candidates <= max_candidates")
        if self.max_candidates > 1001:
            raise ValueError("max_candidates > 1001 cannot have distinct 3-decimal scores")
        for name in ("message_prompt_ratio", "tie_ratio", "single_candidate_ratio", "non_ascii_ratio"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]")


_BIG = dict(
    turns_per_item=5,
    min_candidates=2,
    max_candidates=8,
    noise_llm_steps_per_turn=2,
    noise_bytes=500,
    single_candidate_ratio=0.0,
    tie_ratio=0.05,
    prompt_bytes=100,
    response_bytes=50,
    non_ascii_ratio=0.05,
)

#: Named presets; sizes measured with the preset seed (1) on NAT-style indent=2 unless noted.
SCALES: dict[str, SampleSpec] = {
    # ~180 candidates, ~0.5 MB per seed: the CLI demo writes two runs of it.
    "demo": SampleSpec(n_items=20, turns_per_item=3, seed=1),
    # 49,845 candidates, 142 MB.
    "S": SampleSpec(n_items=2_000, seed=1, **_BIG),
    # 499,448 candidates, 1.43 GB.
    "M": SampleSpec(n_items=20_000, seed=1, **_BIG),
    # 5.0M candidates, 3.8 GB: compact JSON, no noise, no TTC_START, no other step, short texts.
    "L": SampleSpec(
        n_items=200_000,
        turns_per_item=5,
        min_candidates=2,
        max_candidates=8,
        noise_llm_steps_per_turn=0,
        single_candidate_ratio=0.0,
        tie_ratio=0.05,
        other_step=False,
        ttc_start=False,
        prompt_bytes=48,
        response_bytes=16,
        non_ascii_ratio=0.05,
        indent=None,
        seed=1,
    ),
    # 64 candidates per turn: 51,200 candidates, 113 MB, ~1.6M exhaustive pairs.
    "many": SampleSpec(
        n_items=160,
        turns_per_item=5,
        min_candidates=64,
        max_candidates=64,
        noise_llm_steps_per_turn=2,
        noise_bytes=500,
        single_candidate_ratio=0.0,
        tie_ratio=0.05,
        prompt_bytes=100,
        response_bytes=50,
        non_ascii_ratio=0.05,
        seed=1,
    ),
}


# --------------------------------------------------------------------------- templates


_SENTINEL_RE = re.compile(r'"@@(\w+)@@"')


def _sentinel(name: str) -> str:
    return f"@@{name}@@"


def _compile(obj: Any, indent: int | None, level: int, ascii_only: bool) -> tuple[str, dict[str, str]]:
    """Render ``obj`` once as a ``%(name)s`` template nested at ``level``.

    String values ``@@name@@`` become placeholders. Returns the template and, per
    placeholder, the whitespace of its line, needed to re-indent multi-line values
    (message lists) so the result equals ``json.dumps(..., indent=indent)``.
    """
    text = json.dumps(obj, indent=indent, ensure_ascii=ascii_only)
    if indent is not None and level:
        text = text.replace("\n", "\n" + " " * (indent * level))
    text = text.replace("%", "%%")
    line_ws: dict[str, str] = {}
    for line in text.split("\n"):
        for name in _SENTINEL_RE.findall(line):
            line_ws[name] = line[: len(line) - len(line.lstrip(" "))]
    return _SENTINEL_RE.sub(r"%(\1)s", text), line_ws


def _step_obj(event_type: str, name: str, metadata: Any, data: dict[str, Any]) -> dict[str, Any]:
    """One IntermediateStep as NAT serialises it, with placeholders for variable parts."""
    return {
        "parent_id": "root",
        "function_ancestry": {
            "function_id": f"f-{name}",
            "function_name": name,
            "parent_id": None,
            "parent_name": None,
        },
        "payload": {
            "event_type": event_type,
            "event_timestamp": _sentinel("ts"),
            "span_event_timestamp": None,
            "framework": None,
            "name": name,
            "tags": None,
            "metadata": metadata,
            "data": data,
            "usage_info": None,
            "UUID": _sentinel("uuid"),
        },
    }


def _ttc_data(with_io: bool) -> dict[str, Any]:
    return {
        "input": _sentinel("input") if with_io else None,
        "output": _sentinel("output") if with_io else None,
        "chunk": None,
        "payload": None,
        "turn_id": _sentinel("turn_id"),
        "turn_index": _sentinel("turn_index"),
        "candidate_index": _sentinel("cand"),
        "score": _sentinel("score") if with_io else None,
    }


@dataclass
class _Templates:
    """Precompiled text for every step kind of one spec."""

    item: str
    item_no_steps: str  # json.dumps writes an empty list as "[]" on one line
    step_sep: str
    noise: str
    start: str
    end: str
    other: str
    messages: str
    encode: Callable[[str], str]


def _templates(spec: SampleSpec) -> _Templates:
    ind, ascii_only = spec.indent, spec.ensure_ascii
    encode = json.encoder.encode_basestring_ascii if ascii_only else json.encoder.encode_basestring

    def compile_at(obj: Any, level: int) -> tuple[str, dict[str, str]]:
        return _compile(obj, ind, level, ascii_only)

    item_obj: dict[str, Any] = {
        "id": _sentinel("id"),
        "question": _sentinel("question"),
        "answer": "win",
        "generated_answer": "done",
        "intermediate_steps": [_sentinel("steps")],
        "expected_intermediate_steps": [],
    }
    item, item_ws = compile_at(item_obj, 1)
    item_no_steps, _ = compile_at({**item_obj, "intermediate_steps": []}, 1)
    step_level = 3  # array > item > intermediate_steps
    q_len = spec.noise_bytes // 5
    noise_data = {"input": "q" * q_len, "output": "a" * (spec.noise_bytes - q_len), "chunk": None, "payload": None}
    noise, _ = compile_at(_step_obj("LLM_END", "llm", {}, noise_data), step_level)
    start, _ = compile_at(_step_obj("TTC_START", spec.step_name, {}, _ttc_data(False)), step_level)
    cand_meta = {
        "move_id": _sentinel("move_id"),
        "is_selected": _sentinel("selected"),
        "candidate_index": _sentinel("cand"),
    }
    end, end_ws = compile_at(_step_obj("TTC_END", spec.step_name, cand_meta, _ttc_data(True)), step_level)
    other, _ = compile_at(_step_obj("TTC_END", OTHER_STEP, {}, _ttc_data(True)), step_level)
    msgs = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": _sentinel("content")}]
    messages, _ = compile_at(msgs, 0)
    if ind is None:
        step_sep = ", "
    else:
        # The message list sits at data.input's depth in both TTC_END kinds.
        step_sep = ",\n" + item_ws["steps"]
        messages = messages.replace("\n", "\n" + end_ws["input"])
    return _Templates(item, item_no_steps, step_sep, noise, start, end, other, messages, encode)


# --------------------------------------------------------------------------- content


class _Filler:
    """Deterministic word soup, sliced at random offsets to pad prompts and responses cheaply."""

    def __init__(self, rng: random.Random, min_len: int) -> None:
        parts: list[str] = []
        size = 0
        while size < max(65_536, 2 * min_len):
            word = rng.choice(_WORDS)
            parts.append(word)
            size += len(word) + 1
        self.text = " ".join(parts)
        # Slices start at word boundaries, early enough that any pad fits.
        limit = len(self.text) - min_len
        self.starts: list[int] = [0]
        for word in parts:
            nxt = self.starts[-1] + len(word) + 1
            if nxt > limit:
                break
            self.starts.append(nxt)

    def pad(self, rng: random.Random, head: str, n: int) -> str:
        """``head`` followed by filler up to about ``n`` characters."""
        room = n - len(head) - 1
        if room <= 0:
            return head
        off = self.starts[rng.randrange(len(self.starts))]
        return head + " " + self.text[off : off + room].rstrip()


def _scores(rng: random.Random, k: int, tie: bool) -> list[float]:
    """Distinct 3-decimal scores in [0, 1]; with ``tie`` two candidates share one value."""
    if not tie or k < 2:
        return [v / 1000 for v in rng.sample(range(1001), k)]
    values = rng.sample(range(1001), k - 1)
    values.insert(rng.randrange(k), values[rng.randrange(k - 1)])
    return [v / 1000 for v in values]


def _n_candidates(rng: random.Random, spec: SampleSpec) -> int:
    """1 with probability ``single_candidate_ratio``, else uniform in [max(2, min), max]."""
    if spec.max_candidates < 2 or (spec.single_candidate_ratio and rng.random() < spec.single_candidate_ratio):
        return 1
    return rng.randint(max(2, spec.min_candidates), spec.max_candidates)


class _Writer:
    """Renders items of one spec; holds the rng and step counters."""

    def __init__(self, spec: SampleSpec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.t = _templates(spec)
        self.filler = _Filler(random.Random(f"filler-{spec.seed}"), max(spec.prompt_bytes, spec.response_bytes))
        self.n_steps = 0
        self.n_candidates = 0

    def _stamp(self) -> dict[str, str]:
        """Fields every step has: timestamp from a fixed base + counter, UUID from the rng."""
        ts = BASE_TIMESTAMP + self.n_steps * TIMESTAMP_STEP
        self.n_steps += 1
        return {"ts": repr(ts), "uuid": f"\"{uuid.UUID(int=self.rng.getrandbits(128), version=4)}\""}

    def _prompt(self, item: int, turn: int) -> str:
        """Prompt already JSON-encoded: a string or a system + user message list."""
        spec, rng = self.spec, self.rng
        head = f"board e{item} t{turn}"
        if spec.non_ascii_ratio and rng.random() < spec.non_ascii_ratio:
            head += rng.choice(_NON_ASCII)
        text = self.filler.pad(rng, head, spec.prompt_bytes)
        if spec.message_prompt_ratio and rng.random() < spec.message_prompt_ratio:
            return self.t.messages % {"content": self.t.encode(text)}
        return self.t.encode(text)

    def _turn(self, item: int, turn: int) -> Iterator[str]:
        spec, rng, t = self.spec, self.rng, self.t
        turn_id = f"turn_{turn}_{rng.getrandbits(32):08x}"
        k = _n_candidates(rng, spec)
        scores = _scores(rng, k, k >= 2 and bool(spec.tie_ratio) and rng.random() < spec.tie_ratio)
        prompt = self._prompt(item, turn)
        common = {"turn_id": t.encode(turn_id), "turn_index": str(turn)}
        for _ in range(spec.noise_llm_steps_per_turn):
            yield t.noise % self._stamp()
        for c in range(k):
            if spec.ttc_start:
                yield t.start % {**common, **self._stamp(), "cand": str(c)}
            output = self.filler.pad(rng, f"move {c} for e{item} t{turn}", spec.response_bytes)
            yield t.end % {
                **common,
                **self._stamp(),
                "cand": str(c),
                "move_id": t.encode(f"{turn_id}_move_{c}"),
                "selected": "true" if c == 0 else "false",  # the sample marks candidate 0
                "input": prompt,
                "output": t.encode(output),
                "score": repr(scores[c]),
            }
        self.n_candidates += k
        if spec.other_step:  # same turn, another step name: never paired
            yield t.other % {**common, **self._stamp(), "cand": "0", "input": prompt,
                             "output": '"ignored"', "score": "0.99"}

    def item(self, i: int) -> str:
        """One array element, indented as it sits in the file."""
        spec, t = self.spec, self.t
        steps = [s for turn in range(spec.turns_per_item) for s in self._turn(i, turn)]
        fields = {
            "id": str(i) if spec.int_ids else t.encode(f"{spec.id_prefix}{i}"),
            "question": t.encode(json.dumps({"game": i})),
            "steps": t.step_sep.join(steps),
        }
        return (t.item if steps else t.item_no_steps) % fields


# --------------------------------------------------------------------------- public API


def write_nat_eval(path: str | Path, spec: SampleSpec) -> dict[str, int]:
    """Stream a NAT ``workflow_output.json`` for ``spec`` to ``path``.

    Items are rendered and written one at a time through a buffered binary file,
    so multi-GB outputs need no more memory than one item. Same spec (seed
    included) gives a byte-identical file. Returns counts of items, steps,
    candidates (TTC_END steps named ``spec.step_name``) and bytes written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = _Writer(spec)
    if spec.indent is None:
        opening, sep, closing = "[", ", ", "]"
    else:
        pad = " " * spec.indent
        opening, sep, closing = "[\n" + pad, ",\n" + pad, "\n]"
    written = 0
    with path.open("wb", buffering=1 << 20) as f:
        if spec.n_items == 0:
            written += f.write(b"[]")
        for i in range(spec.n_items):
            chunk = (opening if i == 0 else sep) + writer.item(i)
            if i == spec.n_items - 1:
                chunk += closing
            written += f.write(chunk.encode("utf-8"))
    return {"items": spec.n_items, "steps": writer.n_steps, "candidates": writer.n_candidates, "bytes": written}


def write_demo_runs(directory: str | Path, seed: int = 1) -> list[Path]:
    """Write two demo runs over the same dataset (same item ids, new turn ids and scores).

    ``run2`` stands for a second evaluation of the same items, as NAT's
    ``run1``/``run2`` samples do; it only differs by seed.
    """
    directory = Path(directory)
    paths = []
    for n, run_seed in enumerate((seed, seed + 1), start=1):
        path = directory / f"run{n}" / "workflow_output.json"
        write_nat_eval(path, dataclasses.replace(SCALES["demo"], seed=run_seed))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m prefstore.sample_data --scale S --seed 1 OUT.json``."""
    parser = argparse.ArgumentParser(description="Generate NAT-format evaluation output (workflow_output.json).")
    parser.add_argument("out", type=Path, help="output path, e.g. run1/workflow_output.json")
    parser.add_argument("--scale", choices=sorted(SCALES), default="demo", help="named preset (default: demo)")
    parser.add_argument("--seed", type=int, default=None, help="rng seed (default: the preset's)")
    parser.add_argument("--items", type=int, default=None, help="override the number of items")
    args = parser.parse_args(argv)
    spec = SCALES[args.scale]
    overrides: dict[str, int] = {}
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.items is not None:
        overrides["n_items"] = args.items
    counts = write_nat_eval(args.out, dataclasses.replace(spec, **overrides))
    print(json.dumps({"path": str(args.out), **counts}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
