# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

# the BoM line fields a kit's figure depends on
KIT_LINE_FIELDS = {
    "bom_id",
    "bom_product_template_attribute_value_ids",
    "product_id",
    "product_qty",
    "product_uom_id",
}


class MrpBomLine(models.Model):
    _inherit = "mrp.bom.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.bom_id._synco_push_kits()
        return lines

    def write(self, vals):
        if not KIT_LINE_FIELDS & set(vals):
            return super().write(vals)
        boms = self.bom_id  # a line may move to another BoM
        res = super().write(vals)
        (boms | self.bom_id)._synco_push_kits()
        return res

    def unlink(self):
        boms = self.bom_id
        res = super().unlink()
        boms.exists()._synco_push_kits()
        return res
