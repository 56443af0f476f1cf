"""A pytest plugin for CI: with PREFSTORE_NO_SKIPS=1 (set by .ci/run) a skip is a failure.

A test that skips because an optional part is missing (NAT, Spark and Java, Chromium,
TRL, `datasets`) proves nothing, and CI installs every part: so there, any skip, at
collection or in a test, fails and names its reason. Locally skips stay skips.
"""

from __future__ import annotations

import os

import pytest

ENV_VAR = "PREFSTORE_NO_SKIPS"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_if_skipped(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_if_skipped(outcome.get_result())


def _fail_if_skipped(report) -> None:
    if os.environ.get(ENV_VAR) != "1" or not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"{ENV_VAR}=1 (set by .ci/run): CI runs every test, but this one skipped: {reason}"
