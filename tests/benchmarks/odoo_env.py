"""Open an Odoo environment on the harness's database, for benchmarks.

``python3 tests/harness.py bench NAME`` starts the private PostgreSQL, installs
the addon and passes the configuration file in ``SYNCO_ODOO_CONF``.
"""

import contextlib
import os
import sys


@contextlib.contextmanager
def odoo_env(commit=False):
    conf = os.environ.get("SYNCO_ODOO_CONF")
    if not conf:
        sys.exit("run me through: python3 tests/harness.py bench NAME")
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-c", conf])
    db_name = odoo.tools.config["db_name"]
    if isinstance(db_name, list):  # 19.0 accepts several databases
        db_name = db_name[0]
    registry = Registry(db_name)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        try:
            yield env
        finally:
            if commit:
                cr.commit()
            else:
                cr.rollback()


def clone_rows(cr, table, prototype, overrides, source, returning, params=()):
    """INSERT into ``table`` one copy of row ``prototype`` per row of the
    ``source`` SQL (aliased ``c``, its placeholders filled from ``params``),
    the ``overrides`` columns computed from it; return the ``returning`` rows.

    A fixture for benchmarks: a hundred thousand products in seconds, where
    the ORM takes minutes, each a copy of one the ORM made (so every column
    a module requires is filled as the ORM would).
    """
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND column_name <> 'id'",
        [table],
    )
    columns = [name for (name,) in cr.fetchall()]
    values = [overrides.get(name, f"p.{name}") for name in columns]
    cr.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {table} p, ({source}) c "
        f"WHERE p.id = %s RETURNING {returning}",
        [*params, prototype],
    )
    return cr.fetchall()
