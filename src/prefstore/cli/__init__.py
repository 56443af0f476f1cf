"""The `prefstore` command line: `main` is the entry point (pyproject `prefstore.cli:main`)."""

from .app import main
from .options import DEFAULT_MEMORY_LIMIT

__all__ = ["DEFAULT_MEMORY_LIMIT", "main"]
