"""pytest plugin: a browser test that skips is a failure.

Odoo's ``HttpCase`` skips itself when Chromium or ``websocket-client`` is
missing, and pytest-odoo skips it without ``--odoo-http``: either way a UI
regression would pass unnoticed, so the harness turns those skips into errors.
"""

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped:
        return
    from odoo.tests.common import HttpCase

    instance = getattr(item, "instance", None)
    if isinstance(instance, HttpCase):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        report.longrepr = f"browser test skipped, which counts as a failure: {reason}"
