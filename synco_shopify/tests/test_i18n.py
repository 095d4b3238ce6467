# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import io
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import trans_export

POT = Path(__file__).resolve().parent.parent / "i18n" / "synco_shopify.pot"


@tagged("post_install", "-at_install")
class TestTranslationTemplate(TransactionCase):
    def test_pot_holds_every_translatable_term(self):
        """``i18n/synco_shopify.pot`` is current: no term of the addon is missing.

        Regenerate it with Odoo's exporter, e.g. after a test run with
        ``--reuse``: ``odoo i18n export -c .synco/test/odoo.conf -d synco_test
        synco_shopify`` (it writes the addon's ``i18n`` folder).
        """
        self.assertTrue(POT.exists(), f"{POT} is missing")
        buffer = io.BytesIO()
        trans_export(None, ["synco_shopify"], buffer, "po", self.env)
        current = {entry.msgid for entry in polib.pofile(buffer.getvalue().decode())}
        committed = {entry.msgid for entry in polib.pofile(str(POT))}
        self.assertGreater(len(current), 100)  # the export found the addon
        missing = sorted(current - committed)
        self.assertFalse(
            missing,
            f"{len(missing)} term(s) missing from {POT.name}, e.g. {missing[:5]}",
        )
