"""prefstore: a SQL-backed preference store for DPO training data.

The public names are imported on first use (PEP 562), not with the package:
`prefstore ingest` then starts without sqlglot (sql_for) or pydantic's model
building until it needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .errors import PrefstoreError
    from .models import (
        DPOItem,
        ExportOptions,
        IngestReport,
        OpenAIMessage,
        Pair,
        PairConfig,
        Trajectory,
        TrajectoryCollection,
    )
    from .portable import sql_for
    from .store import PreferenceStore

_HOMES = {
    "DPOItem": "models", "ExportOptions": "models", "IngestReport": "models", "OpenAIMessage": "models",
    "Pair": "models", "PairConfig": "models", "Trajectory": "models", "TrajectoryCollection": "models",
    "PrefstoreError": "errors", "PreferenceStore": "store", "sql_for": "portable",
}

__all__ = [
    "DPOItem", "ExportOptions", "IngestReport", "OpenAIMessage", "Pair", "PairConfig", "PreferenceStore",
    "PrefstoreError", "Trajectory", "TrajectoryCollection", "__version__", "sql_for",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use, then keep the name here."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'prefstore' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
