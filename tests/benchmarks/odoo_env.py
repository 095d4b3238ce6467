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
