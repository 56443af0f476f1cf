"""What the configs of prefstore's NAT components share: a warning for keys nobody reads.

NAT's configs ignore unknown keys silently (NAT's own DPO example passes
`custom_step_name`, which no builder reads), so a misspelt option would change
nothing without a word. Validation stays permissive, so existing YAML keeps
loading; the warning names the key and the keys the component knows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

logger = logging.getLogger("prefstore.nat")

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
