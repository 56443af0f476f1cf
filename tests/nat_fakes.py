"""Deterministic stand-ins for the two things a NAT test cannot have here: an LLM and a judge of answers.

Importing this module registers with NAT's type registry (as a plugin's
entry point would):

- `_type: prefstore_test_llm`, an LLM provider whose LangChain client is a
  real `BaseChatModel`. `role: writer` answers `answer #<k> to: <question>`,
  k counting the calls per question (0, 1, 2, ...), so NAT's repeated
  executions of one function give different candidates. `role: judge` reads
  the candidate in NAT's scoring prompt and replies `FINAL SCORE: <s>` with
  s = JUDGE_SCORES[k], or, for k in UNPARSABLE, a reply NAT cannot parse.
- `_type: prefstore_test_grader`, an evaluator scoring each item's generated
  answer GRADES[k % 3]; a question containing `[nan]` gets a NaN score and
  one containing `[error]` an error.

Everything else in the tests' workflows (functions, TTC strategies, the
evaluation and finetuning runners) is NAT's own. `tests/test_nat_e2e.py` runs
`nat eval` in a subprocess that imports this module first.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from nat.builder.builder import Builder
from nat.builder.evaluator import EvaluatorInfo
from nat.builder.framework_enum import LLMFrameworkEnum
from nat.builder.llm import LLMProviderInfo
from nat.cli.register_workflow import register_evaluator, register_llm_client, register_llm_provider
from nat.data_models.evaluator import EvaluatorBaseConfig
from nat.data_models.llm import LLMBaseConfig

try:  # NAT 1.6+ moved the output models into the eval plugin
    from nat.plugins.eval.data_models.evaluator_io import EvalOutput, EvalOutputItem
except ImportError:  # pragma: no cover - NAT 1.5
    from nat.data_models.evaluator import EvalOutput, EvalOutputItem

JUDGE_SCORES = {0: 0.2, 1: 0.9, 2: 0.5, 3: 0.7, 4: 0.1, 6: 0.6, 7: 0.3, 8: 0.8, 9: 0.4, 10: 0.95,
                12: 0.0}  # 12: a real zero, parsed (no run of test_nat_e2e.py gets that far)
UNPARSABLE = {5, 11}
UNPARSABLE_REPLY = "I would rather not say."
GRADES = (0.0, 1.0, 0.5)
_ANSWER = re.compile(r"answer #(\d+) to: ")


def answer_number(text: str) -> int:
    """k of the first `answer #k to: ` in `text`."""
    match = _ANSWER.search(text)
    if match is None:
        raise ValueError(f"no candidate answer in {text[:200]!r}")
    return int(match.group(1))


class ScriptedLLMConfig(LLMBaseConfig, name="prefstore_test_llm"):
    role: Literal["writer", "judge"] = "writer"


class ScriptedChatModel(BaseChatModel):
    """The writer or the judge; async calls run on the event loop, in call order (no threads)."""

    role: str = "writer"
    calls: dict = {}

    @property
    def _llm_type(self) -> str:
        return f"prefstore-test-{self.role}"

    def _reply(self, messages: list[BaseMessage]) -> str:
        text = str(messages[-1].content)
        if self.role == "judge":
            k = answer_number(text)
            return UNPARSABLE_REPLY if k in UNPARSABLE else f"Reasoning... FINAL SCORE: {JUDGE_SCORES[k]}"
        if "User: " in text:  # NAT 1.5's chat_completion sends one text: system prompt, "User: ...", "Assistant:"
            text = text.rsplit("User: ", 1)[1].split("\n", 1)[0]
        k = self.calls.get(text, 0)
        self.calls[text] = k + 1
        return f"answer #{k} to: {text}"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._reply(messages)))])

    async def _agenerate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                         **kwargs: Any) -> ChatResult:
        return self._generate(messages, stop, run_manager, **kwargs)


@register_llm_provider(config_type=ScriptedLLMConfig)
async def scripted_llm_provider(config: ScriptedLLMConfig, builder: Builder):
    yield LLMProviderInfo(config=config, description="prefstore's scripted test LLM")


@register_llm_client(config_type=ScriptedLLMConfig, wrapper_type=LLMFrameworkEnum.LANGCHAIN)
async def scripted_llm_langchain(config: ScriptedLLMConfig, builder: Builder):
    yield ScriptedChatModel(role=config.role, calls={})


class GraderConfig(EvaluatorBaseConfig, name="prefstore_test_grader"):
    pass


def grade(item: Any) -> Any:
    question, answer = str(item.input_obj), str(item.output_obj)
    if "[error]" in question:
        return EvalOutputItem(id=item.id, score=0.0, reasoning="grader failed", error="grader failed on purpose")
    if "[nan]" in question:
        return EvalOutputItem(id=item.id, score=math.nan, reasoning="no grade")
    k = answer_number(answer)
    return EvalOutputItem(id=item.id, score=GRADES[k % 3], reasoning=f"graded answer #{k}")


@register_evaluator(config_type=GraderConfig)
async def grader(config: GraderConfig, builder: Builder):
    async def evaluate(eval_input: Any) -> Any:
        items = [grade(item) for item in eval_input.eval_input_items]
        scores = [i.score for i in items if isinstance(i.score, float) and not math.isnan(i.score)]
        return EvalOutput(average_score=sum(scores) / len(scores) if scores else None, eval_output_items=items)

    yield EvaluatorInfo(config=config, evaluate_fn=evaluate, description="prefstore's test grader")
