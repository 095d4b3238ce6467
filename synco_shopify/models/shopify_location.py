# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class ShopifyLocation(models.Model):
    _name = "shopify.location"
    _description = "Shopify Location"
    _order = "shop_id, name, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True)
    shopify_gid = fields.Char(
        string="Shopify ID",
        required=True,
        index=True,
        help="Global ID, e.g. gid://shopify/Location/12345.",
    )
    active = fields.Boolean(default=True)
    shopify_active = fields.Boolean(
        string="Active in Shopify",
        default=True,
        help="Shopify's isActive: inventory can't be stocked at a deactivated "
        "location.",
    )
    fulfills_online_orders = fields.Boolean(default=True)
    fulfillment_service = fields.Boolean(
        readonly=True,
        help="A fulfilment service (a 3PL app) runs this location: Synco never "
        "moves or fulfils its fulfilment orders.",
    )
    retail_store = fields.Boolean(
        help="A store customers walk into: its pickup and local-delivery "
        "orders are served by the warehouse mapped to it, whatever the "
        "customer's address. Counter sales (Shopify POS) at any mapped "
        "location are done at once from its warehouse.",
    )
    address = fields.Char()
    country_code = fields.Char(size=2)
    province_code = fields.Char()
    zip = fields.Char()
    mapping_ids = fields.One2many("shopify.location.mapping", "shopify_location_id")
    active_mapping_id = fields.Many2one(
        "shopify.location.mapping", compute="_compute_active_mapping_id"
    )

    _shop_gid_uniq = models.Constraint(
        "UNIQUE (shop_id, shopify_gid)",
        "This Shopify location is already known for the shop.",
    )

    @api.depends("mapping_ids.state")
    def _compute_active_mapping_id(self):
        for location in self:
            location.active_mapping_id = location.mapping_ids.filtered(
                lambda m: m.state == "active"
            )[:1]

    @api.depends("shop_id.name")
    def _compute_display_name(self):
        for location in self:
            location.display_name = (
                f"{location.shop_id.name} / {location.name}"
                if location.shop_id
                else location.name
            )
