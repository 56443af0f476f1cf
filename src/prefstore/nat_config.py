"""What the configs of prefstore's NAT components share: the pair options the builder
passes to the store, and a warning for keys nobody reads.

NAT's configs ignore unknown keys silently (NAT's own DPO example passes
`custom_step_name`, which no builder reads), so a misspelt option would change
nothing without a word. Validation stays permissive, so existing YAML keeps
loading; the warning names the key and the keys the component knows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, model_validator

logger = logging.getLogger("prefstore.nat")

# The PairConfig fields prefstore_dpo_traj_builder carries under the same names: its pair_config()
# reads them, and the trainer adapter reads them back from the builder's config in a run's meta.
# (The builder's pair_scope is not PairConfig's: "run"/"store" selects runs, not a pairing rule.)
PAIR_FIELDS = ("ttc_step_name", "exhaustive_pairs", "min_score_diff", "max_pairs_per_turn",
               "reward_from_score_diff", "require_multiple_candidates", "apply_decisions")

# The discriminator NAT's TypedBaseModel reads (`_type`, or its field name `type`).
_NAT_KEYS = frozenset({"_type", "type"})


def warn_unknown_keys(component: str, data: Any, known: Iterable[str]) -> None:
    """Log one warning naming every key of `data` (a raw config dict) that is not in `known`."""
    if not isinstance(data, dict):
        return
    known = set(known) | _NAT_KEYS
    unknown = sorted(str(key) for key in data if key not in known)
    if unknown:
        logger.warning("%s: unknown option(s) %s are ignored; known options: %s",
                       component, ", ".join(unknown), ", ".join(sorted(known - _NAT_KEYS)))


class WarnsUnknownKeys(BaseModel):
    """Mixin for a NAT component config: warn_unknown_keys on the raw config, named by its `_type`."""

    @model_validator(mode="before")
    @classmethod
    def _warn_unknown_keys(cls, data: Any) -> Any:
        warn_unknown_keys(getattr(cls, "_typed_model_name", None) or cls.__name__, data, cls.model_fields)
        return data
