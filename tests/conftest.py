"""Project-level test configuration.

Under the harness (pytest-odoo) Odoo is already configured with this
repository on its addons path.  Run bare (``python -m pytest tests/...``) the
plain-Python tests still need ``odoo.addons.synco_shopify`` importable, so the
repository root is added to the ``odoo.addons`` namespace here.
"""

from pathlib import Path

import odoo.addons

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = REPO_ROOT.parent / "shared" / "shopify-admin-schema"

if str(REPO_ROOT) not in list(odoo.addons.__path__):
    odoo.addons.__path__.append(str(REPO_ROOT))
    # keep the namespace path from being recomputed (as Odoo itself does)
    odoo.addons.__path__._path_finder = lambda *a: None
