"""prefstore: a SQL-backed preference store for DPO training data."""

from ._version import __version__
from .errors import PrefstoreError
from .models import (
    DPOItem,
    IngestReport,
    OpenAIMessage,
    Pair,
    PairConfig,
    Trajectory,
    TrajectoryCollection,
)
from .store import PreferenceStore

__all__ = [
    "DPOItem", "IngestReport", "OpenAIMessage", "Pair", "PairConfig", "PreferenceStore",
    "PrefstoreError", "Trajectory", "TrajectoryCollection", "__version__",
]
