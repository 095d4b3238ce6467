# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    synco_default_api_version = fields.Char(
        string="Default Shopify API Version",
        config_parameter="synco_shopify.default_api_version",
        default="2026-07",
    )
    synco_push_paused = fields.Boolean(
        string="Pause Event-Driven Pushes",
        config_parameter="synco_shopify.push_paused",
        help="Stop enqueuing pushes on stock changes for every shop (for a bulk "
        "import, say). Turning it off pushes every level that changed meanwhile.",
    )
    synco_shop_count = fields.Integer(compute="_compute_synco_shop_count")

    def _compute_synco_shop_count(self):
        count = self.env["shopify.shop"].search_count([])
        for settings in self:
            settings.synco_shop_count = count

    def set_values(self):
        params = self.env["ir.config_parameter"].sudo()
        was_paused = params.get_param("synco_shopify.push_paused")
        res = super().set_values()
        if was_paused and not params.get_param("synco_shopify.push_paused"):
            # resume: push what changed while paused, every shop at once
            self.env["shopify.shop"].search(
                [("active", "=", True)]
            )._synco_resume_pushes()
        return res

    def action_synco_open_shops(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "synco_shopify.shopify_shop_action"
        )
