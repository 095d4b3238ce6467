"""pytest plugin: the three kinds of test, so the harness runs them side by side.

* ``plain``: Python alone (the simulator, the client, the engine's
  arithmetic, schema checks); no database.  The harness runs them while it
  installs the test database.
* ``database``: Odoo test cases, and tests marked ``database`` that commit
  into the test database from this process.
* ``server``: tests marked ``server``, which start Odoo servers of their own
  on copies of the database (end-to-end, kill -9, cluster, the short soak).

``--synco-kind KIND`` (repeatable) keeps the tests of those kinds and
deselects the rest; without it every test runs.  A test needing a database
that is left unmarked counts as plain and fails loudly where the harness runs
plain tests, with no database: it is never skipped unseen.
"""

import pytest

KINDS = ("plain", "database", "server")


def pytest_addoption(parser):
    parser.addoption(
        "--synco-kind",
        action="append",
        choices=KINDS,
        help="run only the tests of this kind (repeatable): " + ", ".join(KINDS),
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "server: starts Odoo servers of its own (end-to-end)"
    )
    config.addinivalue_line(
        "markers", "database: commits into the test database outside an Odoo case"
    )


def kind_of(item):
    if item.get_closest_marker("server"):
        return "server"
    if item.get_closest_marker("database"):
        return "database"
    cls = getattr(item, "cls", None)
    if cls is not None:
        from odoo.tests.common import BaseCase

        if issubclass(cls, BaseCase):
            return "database"
    return "plain"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    kinds = config.getoption("--synco-kind")
    if not kinds:
        return
    kept, deselected = [], []
    for item in items:
        (kept if kind_of(item) in kinds else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
