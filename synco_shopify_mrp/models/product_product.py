# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class ProductProduct(models.Model):
    _inherit = "product.product"

    def _synco_sync_refusals(self):
        """A kit is synced whatever its *Track Inventory*.

        Odoo makes a kit (a phantom BoM) as goods that track no inventory:
        its figure is the kits its components build, the BoM as mrp's
        ``_bom_find`` picks it.
        """
        refusals = super()._synco_sync_refusals()
        if refusals:
            candidates = self.browse([p.id for p in refusals if p.type == "consu"])
            for kit in self.env["mrp.bom"]._synco_find_kit_boms(candidates):
                refusals.pop(kit, None)
        return refusals
