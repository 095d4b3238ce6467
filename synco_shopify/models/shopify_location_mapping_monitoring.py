# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict
from datetime import timedelta

from odoo import fields, models
from odoo.fields import Domain


class ShopifyLocationMapping(models.Model):
    _inherit = "shopify.location.mapping"

    def _synco_velocity(self, products, days=28):
        """Units a day each product sold from each mapping's counted stock.

        :param products: product.product recordset (any size)
        :param days: the window, ending now
        :return: {mapping: {product id: units per day}}, products with no sale
            left out

        Done move lines into customer locations whose source is a location
        the mapping counts (the bins themselves, not the warehouse the
        delivery names), over the last ``days`` days: one grouped read for
        every mapping and product, whatever their number.
        """
        location_mappings = defaultdict(list)
        for mapping in self:
            for location_id in mapping._get_counted_location_ids():
                location_mappings[location_id].append(mapping)
        velocity = {mapping: defaultdict(float) for mapping in self}
        days = max(days or 1, 1)
        if not location_mappings or not products:
            return velocity
        since = fields.Datetime.now() - timedelta(days=days)
        groups = (
            self.env["stock.move.line"]
            .sudo()
            ._read_group(
                Domain("state", "=", "done")
                & Domain("date", ">=", since)
                & Domain("product_id", "in", products.ids)
                & Domain("location_id", "in", list(location_mappings))
                & Domain("location_dest_id.usage", "=", "customer"),
                ["product_id", "location_id"],
                ["quantity_product_uom:sum"],
            )
        )
        for product, location, quantity in groups:
            for mapping in location_mappings[location.id]:
                velocity[mapping][product.id] += quantity / days
        return velocity
