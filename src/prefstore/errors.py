"""Domain errors. The CLI turns each into one `Error: ...` line and exit code 1."""

from __future__ import annotations


class PrefstoreError(Exception):
    """Base of every error prefstore raises on purpose (an expected failure)."""


class BadInput(PrefstoreError):
    """An input file or value cannot be used; the message names it and says why."""


class BadOption(PrefstoreError):
    """An option value is out of range or contradicts another option."""


class StoreBusy(PrefstoreError):
    """Another process holds the store file and did not let go within the wait."""


class SchemaTooNew(PrefstoreError):
    """The store was written by a newer prefstore than this one."""


class SchemaOutdated(PrefstoreError):
    """The store needs migrations but was opened read-only."""


class MigrationEdited(PrefstoreError):
    """An applied migration file no longer matches the digest recorded when it ran."""


class MigrationFailed(PrefstoreError):
    """A migration failed; it was rolled back and the store keeps its previous version."""


class NotAPreferenceStore(PrefstoreError):
    """The file exists but is not a prefstore database (left untouched)."""


class NoStore(PrefstoreError):
    """A read-only command was pointed at a store file that does not exist."""


class RunExists(PrefstoreError):
    """A different source was ingested under a run_id that is already taken."""


class UnknownRun(PrefstoreError):
    """A run selection names a run_id the store does not hold."""


class QueryRefused(PrefstoreError):
    """An ad-hoc query is not a single read-only SELECT."""


class QueryFailed(PrefstoreError):
    """An accepted ad-hoc query failed inside DuckDB (bad column, bad function, ...)."""


class SplitImpossible(PrefstoreError):
    """A validation split was asked for, but the export selects fewer than two examples."""


class LintFailed(PrefstoreError):
    """An export was asked to refuse lint findings (--fail-on-lint) and the data has some."""


class MissingExtra(PrefstoreError):
    """An optional dependency is not installed; the message names the extra that installs it."""
