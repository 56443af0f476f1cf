"""NAT function `_type: prefstore_score_select`: NAT's execute-score-select that records its candidates.

NAT's own test-time-compute function (`execute_score_select_function`) runs an
augmented function N times, scores the outputs with a TTC scorer, returns the
one a TTC selector picks, and throws the scores away. This one does the same
and pushes one `TTC_END` step per scored candidate (NAT's `TTCEventData`:
`turn_id` per call, `turn_index`, `candidate_index`, `score`, `input`,
`output`; `metadata.is_selected`), named `dpo_candidate_move` unless
configured, so `nat eval` output, `dpo_traj_builder`,
`prefstore_dpo_traj_builder` and `prefstore ingest` read them unchanged.

NAT's LLM scorer turns a reply it cannot parse into a score of 0.0 and says so
only in a log warning. Each candidate is therefore scored by its own scorer
call, in its own task, so that warning can be tied to its candidate:
`metadata.score_unparsed` is true (with the reply in `scorer_reply`), false,
or null when the scorer's logger is off for warnings and nobody can tell.

NAT imports this module through `prefstore.nat` (the `nat.components` entry point).
"""

import asyncio
import contextvars
import logging
import re
import uuid
from collections import OrderedDict
from typing import Any

from nat.builder.builder import Builder
from nat.builder.context import Context
from nat.builder.function_info import FunctionInfo
from nat.cli.register_workflow import register_function
from nat.data_models.component_ref import FunctionRef, TTCStrategyRef
from nat.data_models.function import FunctionBaseConfig
from nat.data_models.intermediate_step import IntermediateStepPayload, IntermediateStepType, TTCEventData
from nat.experimental.test_time_compute.models.stage_enums import PipelineTypeEnum, StageTypeEnum
from nat.experimental.test_time_compute.models.ttc_item import TTCItem
from pydantic import BaseModel, Field

from .models import DEFAULT_STEP_NAME
from .nat_config import WarnsUnknownKeys

logger = logging.getLogger(__name__)

# NAT's scorers (llm_based_agent_scorer, llm_based_plan_scorer, motivation_aware_scorer)
# log this, then score the candidate 0.0.
_UNPARSED = re.compile(r"^Could not parse (?:the )?score from (?:the )?response: ?(?P<reply>.*?)\.?$", re.DOTALL)
_replies: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("prefstore_scorer_replies", default=None)


class PrefstoreScoreSelectConfig(WarnsUnknownKeys, FunctionBaseConfig, name="prefstore_score_select"):
    """NAT's `execute_score_select_function` options, plus the step name of the recorded candidates.

    Example YAML::

        functions:
          best_answer:
            _type: prefstore_score_select
            augmented_fn: answer          # any NAT function
            scorer: judge                 # a TTC scoring strategy (e.g. llm_based_agent_scoring)
            selector: best                # a TTC selection strategy (e.g. best_of_n_selection)
            num_executions: 4
    """

    augmented_fn: FunctionRef = Field(description="Function that will be executed")
    scorer: TTCStrategyRef = Field(description="Strategy to score the output of the function (required: "
                                   "unscored candidates are no preference data)")
    selector: TTCStrategyRef = Field(description="Strategy to select the best output of the function")
    num_executions: int = Field(3, ge=1, description="Number of times to execute the function")
    ttc_step_name: str = Field(DEFAULT_STEP_NAME, min_length=1,
                               description="Name (payload.name) of the TTC_END step recorded per candidate; "
                               "the DPO builders' ttc_step_name")


class _ReplyListener(logging.Handler):
    """Keeps NAT's 'could not parse the score' warnings for the candidate being scored in this task."""

    def emit(self, record: logging.LogRecord) -> None:
        replies = _replies.get()
        if replies is not None:
            match = _UNPARSED.match(record.getMessage())
            if match:
                replies.append(match.group("reply"))


_LISTENER = _ReplyListener(level=logging.WARNING)


class _TurnCounter:
    """0, 1, 2, ... per workflow run: the index of each call (turn) within it; bounded memory."""

    def __init__(self, limit: int = 10_000) -> None:
        self._next: OrderedDict[Any, int] = OrderedDict()
        self._limit = limit

    def next(self, run: Any) -> int:
        index = self._next.pop(run, 0)
        self._next[run] = index + 1
        if len(self._next) > self._limit:
            self._next.popitem(last=False)
        return index


def _workflow_run() -> Any:
    try:
        return Context.get().workflow_run_id
    except AttributeError:  # a NAT without workflow_run_id: one sequence per process
        return None


def nat_text(value: Any) -> str:
    """The text NAT's execute_score_select gives scorers and selectors (`str`, models as their dump)."""
    return str(value.model_dump()) if isinstance(value, BaseModel) else str(value)


def prompt_of(value: Any) -> Any:
    """The candidate's prompt as prefstore stores it: a string stays a string, a chat request
    becomes its [{role, content}] messages (a single-message request, NAT's `input_message`,
    its string), another model its JSON dump."""
    if isinstance(value, str):
        return value
    messages = getattr(value, "messages", None)
    if isinstance(messages, list) and messages:
        listed = [{"role": getattr(getattr(m, "role", None), "value", getattr(m, "role", None)),
                   "content": getattr(m, "content", None)} for m in messages]
        if all(isinstance(m["role"], str) and isinstance(m["content"], str) for m in listed):
            return listed
    if isinstance(getattr(value, "input_message", None), str):
        return value.input_message
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


def response_of(value: Any) -> str:
    """The candidate's response text: a string as is, else what NAT's type converter makes of it."""
    if isinstance(value, str):
        return value
    try:
        from nat.utils.type_converter import GlobalTypeConverter
        converted = GlobalTypeConverter.get().try_convert(value, to_type=str)
    except Exception:  # a converter that fails is no reason to lose the candidate
        converted = None
    if isinstance(converted, str):
        return converted
    return value.model_dump_json() if isinstance(value, BaseModel) else nat_text(value)


async def score_each(scorer: Any, items: list[TTCItem]) -> tuple[list[TTCItem], list[bool | None], list[str | None]]:
    """Score each item by its own scorer call; returns the scored items, whether each reply could not
    be parsed (None: cannot tell) and that reply."""
    watched = logging.getLogger(type(scorer).__module__)
    if _LISTENER not in watched.handlers:
        watched.addHandler(_LISTENER)
    can_tell = watched.isEnabledFor(logging.WARNING)

    async def one(item: TTCItem) -> tuple[TTCItem, list[str]]:
        replies: list[str] = []
        _replies.set(replies)  # this task's own context: the scorer's subtasks inherit it
        scored = await scorer.ainvoke(items=[item])
        if len(scored) != 1:
            raise ValueError(f"scorer {type(scorer).__name__} returned {len(scored)} items for one candidate")
        return scored[0], replies

    results = await asyncio.gather(*(one(item) for item in items))
    scored = [item for item, _ in results]
    unparsed = [bool(replies) if can_tell else None for _, replies in results]
    replies = [r[-1] if r else None for _, r in results]
    return scored, unparsed, replies


def selected_index(items: list[TTCItem], selected: TTCItem) -> int | None:
    """The selected candidate: the same object, else the first with the same output (NAT's rule);
    None when the selector made a new output (a merging selector)."""
    for index, item in enumerate(items):
        if item is selected:
            return index
    for index, item in enumerate(items):
        if item.output == selected.output:
            return index
    return None


def record_candidates(step_name: str, turn_index: int, prompt: Any, items: list[TTCItem], responses: list[str],
                      unparsed: list[bool | None], replies: list[str | None], selected: int | None) -> None:
    """Push a TTC_START/TTC_END pair per candidate (NAT drops an END without its START)."""
    steps = Context.get().intermediate_step_manager
    turn_id = uuid.uuid4().hex
    for index, item in enumerate(items):
        step_id = str(uuid.uuid4())
        steps.push_intermediate_step(IntermediateStepPayload(
            event_type=IntermediateStepType.TTC_START, name=step_name, UUID=step_id,
            data=TTCEventData(turn_id=turn_id, turn_index=turn_index, candidate_index=index, input=prompt)))
        metadata: dict[str, Any] = {"is_selected": index == selected, "score_unparsed": unparsed[index]}
        if unparsed[index]:
            metadata["scorer_reply"] = replies[index]
        steps.push_intermediate_step(IntermediateStepPayload(
            event_type=IntermediateStepType.TTC_END, name=step_name, UUID=step_id, metadata=metadata,
            data=TTCEventData(turn_id=turn_id, turn_index=turn_index, candidate_index=index, score=item.score,
                              input=prompt, output=responses[index])))


@register_function(config_type=PrefstoreScoreSelectConfig)
async def prefstore_score_select(config: PrefstoreScoreSelectConfig, builder: Builder):
    """NAT's build function for `_type: prefstore_score_select` (yields the function)."""
    fn = await builder.get_function(name=config.augmented_fn)
    scorer = await builder.get_ttc_strategy(strategy_name=config.scorer,
                                            pipeline_type=PipelineTypeEnum.AGENT_EXECUTION,
                                            stage_type=StageTypeEnum.SCORING)
    selector = await builder.get_ttc_strategy(strategy_name=config.selector,
                                              pipeline_type=PipelineTypeEnum.AGENT_EXECUTION,
                                              stage_type=StageTypeEnum.SELECTION)
    turns = _TurnCounter()

    async def execute(input_msg: fn.input_type) -> fn.single_output_type:
        turn_index = turns.next(_workflow_run())
        results = await asyncio.gather(*(fn.ainvoke(input_msg) for _ in range(config.num_executions)))
        input_text = nat_text(input_msg)
        items = [TTCItem(input=input_text, output=nat_text(result)) for result in results]
        items, unparsed, replies = await score_each(scorer, items)
        chosen = (await selector.ainvoke(items=items, original_prompt=input_text))[0]
        index = selected_index(items, chosen)
        record_candidates(config.ttc_step_name, turn_index, prompt_of(input_msg), items,
                          [response_of(result) for result in results], unparsed, replies, index)
        return results[index] if index is not None else chosen.output

    yield FunctionInfo.from_fn(
        fn=execute,
        description=("Executes a function several times, scores and selects the best output (NAT's "
                     "execute_score_select_function), and records every scored candidate as a TTC_END step."))
