"""prefstore: a SQL-backed preference store for DPO training data."""

from ._version import __version__
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

__all__ = [
    "DPOItem", "ExportOptions", "IngestReport", "OpenAIMessage", "Pair", "PairConfig", "PreferenceStore",
    "PrefstoreError", "Trajectory", "TrajectoryCollection", "__version__", "sql_for",
]
