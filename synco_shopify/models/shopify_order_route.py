# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..lib.shopify import parse_ranges, split_list, zip_matches


class ShopifyOrderRoute(models.Model):
    """Which Odoo warehouse ships a Shopify order, chosen from its address.

    Rules are tried by sequence; the first whose every filled-in criterion
    matches wins (empty criteria match anything); the shop's default
    warehouse takes the rest.  Within the zip criterion, a prefix or a range
    is enough.
    """

    _name = "shopify.order.route"
    _description = "Shopify Order Routing Rule"
    _order = "shop_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True)
    warehouse_id = fields.Many2one(
        "stock.warehouse", required=True, ondelete="restrict", check_company=True
    )
    country_ids = fields.Many2many("res.country", string="Countries")
    state_ids = fields.Many2many(
        "res.country.state",
        string="States",
        help="States or provinces of the shipping address.",
    )
    zip_prefixes = fields.Char(
        help="Comma-separated starts of zip codes, e.g. 070, 071, E1.",
    )
    zip_ranges = fields.Char(
        help="Comma-separated inclusive ranges, e.g. 07000-08999, 75000-79999; "
        "a ZIP+4 code is compared by its first digits.",
    )
    shopify_location_id = fields.Many2one(
        "shopify.location",
        string="Shopify Fulfilment Location",
        domain="[('shop_id', '=', shop_id)]",
        help="Matches orders Shopify assigned to this location.",
    )

    @api.constrains("zip_ranges")
    def _check_zip_ranges(self):
        for route in self:
            try:
                parse_ranges(route.zip_ranges)
            except ValueError as exc:
                raise ValidationError(
                    self.env._("Rule %(rule)s: %(error)s", rule=route.name, error=exc)
                ) from exc

    def _synco_by_address(self):
        """Whether the rule looks at the shipping address (SHIPPING orders only)."""
        self.ensure_one()
        return bool(
            self.country_ids or self.state_ids or self.zip_prefixes or self.zip_ranges
        )

    def _matches(self, country, state, zip_code, location_gids):
        """Whether this rule takes an order shipped there, assigned there."""
        self.ensure_one()
        if self.country_ids and country not in self.country_ids:
            return False
        if self.state_ids and state not in self.state_ids:
            return False
        if not zip_matches(
            zip_code, split_list(self.zip_prefixes), parse_ranges(self.zip_ranges)
        ):
            return False
        location = self.shopify_location_id
        return not location or location.shopify_gid in location_gids
