# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class ShopifyProductBinding(models.Model):
    """Links an Odoo variant to a Shopify variant and its inventory item."""

    _name = "shopify.product.binding"
    _description = "Shopify Product Binding"
    _order = "shop_id, sku, id"
    _rec_name = "sku"
    _check_company_auto = True

    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True)
    product_id = fields.Many2one(
        "product.product",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    sku = fields.Char(string="SKU", index=True)
    shopify_variant_gid = fields.Char(string="Shopify Variant ID", index=True)
    shopify_inventory_item_gid = fields.Char(
        string="Shopify Inventory Item ID", required=True, index=True
    )
    active = fields.Boolean(default=True)

    _shop_product_uniq = models.Constraint(
        "UNIQUE (shop_id, product_id)",
        "A product can only be bound once per Shopify shop.",
    )
    _shop_item_uniq = models.Constraint(
        "UNIQUE (shop_id, shopify_inventory_item_gid)",
        "This Shopify inventory item is already bound to another product.",
    )

    @api.onchange("product_id")
    def _onchange_product_id(self):
        if self.product_id and not self.sku:
            self.sku = self.product_id.default_code
