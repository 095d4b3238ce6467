# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Stock that sits in a mapped warehouse but that no mapping counts.

A mapping that counts only some bins of a warehouse says nothing about the
units in the warehouse's other locations: stock put straight in ``WH/Stock``
or received there never reaches Shopify, and Shopify shows 0 for products the
warehouse holds.  The mapping and the shop say so, with the quantity, the
locations and the receipt destinations involved.

Excluded subtrees are left out: excluding quarantine is a decision, not an
oversight.  So is stock another active mapping of the shop counts (a
warehouse split between two Shopify locations).

The mixin's methods run on ``shopify.location.mapping`` records, which hold
the ``uncounted_*`` fields; the shop adds up its active mappings' with the
same helpers.
"""

from odoo import api, models
from odoo.fields import Domain


def _set_uncounted(record, location_ids, receipts, counted_by):
    """Fill the uncounted fields of one record from one grouped read of quants.

    Shared by the mapping and the shop, which both define these fields.
    """
    qty, products, holding = 0.0, set(), set()
    if location_ids:
        groups = (
            record.env["stock.quant"]
            .sudo()
            ._read_group(
                Domain("location_id", "in", list(location_ids)),
                ["location_id", "product_id"],
                ["quantity:sum", "reserved_quantity:sum"],
            )
        )
        for location, product, quantity, reserved in groups:
            free = quantity - reserved
            if free > 0:
                qty += free
                products.add(product.id)
                holding.add(location.id)
    Location = record.env["stock.location"]
    record.uncounted_qty = qty
    record.uncounted_product_count = len(products)
    record.uncounted_location_ids = Location.browse(sorted(holding))
    record.uncounted_receipt_location_ids = receipts
    lines = []
    if holding:
        lines.append(
            record.env._(
                "%(qty)s units of %(count)s product(s) sit in %(locations)s, "
                "which %(counted_by)s doesn't count: Shopify doesn't offer "
                "them.",
                qty=f"{qty:g}",
                count=len(products),
                locations=", ".join(
                    record.uncounted_location_ids.sudo().mapped("complete_name")
                ),
                counted_by=counted_by,
            )
        )
    for destination in receipts.sudo():
        lines.append(
            record.env._(
                "Receipts of %(warehouse)s land in %(location)s, which "
                "%(counted_by)s doesn't count: received stock won't reach "
                "Shopify until it is moved to a counted location.",
                warehouse=destination.warehouse_id.name,
                location=destination.complete_name,
                counted_by=counted_by,
            )
        )
    record.uncounted_warning = "\n".join(lines) or False


def _uncounted_quants_action(record):
    record.ensure_one()
    action = record.env["stock.quant"]._get_quants_action()
    action.update(
        name=record.env._("Uncounted Stock"),
        domain=[("location_id", "in", record.uncounted_location_ids.ids)],
    )
    return action


class ShopifyUncountedStock(models.AbstractModel):
    _name = "shopify.uncounted.stock"
    _description = "Stock No Mapping Counts"

    @api.depends("source_ids.location_id", "excluded_location_ids", "state", "shop_id")
    def _compute_uncounted(self):
        for mapping in self:
            locations, receipts = mapping._synco_uncounted_locations()
            _set_uncounted(mapping, locations, receipts, self.env._("this mapping"))

    def action_view_uncounted_quants(self):
        return _uncounted_quants_action(self)

    def _synco_uncounted_locations(self):
        """(uncounted stock.location ids, uncounted receipt destinations).

        The warehouses are those any source lies in (a drop-ship supplier
        lies in none).  A receipt destination is the incoming operation
        type's default destination for a one-step reception; with two or
        three steps receipts land in an input zone by design and end up in
        the warehouse's stock location, which is what must be counted.
        """
        self.ensure_one()
        Location = self.env["stock.location"].sudo().with_context(active_test=False)
        warehouses = self.source_ids.location_id.sudo().warehouse_id
        if not warehouses:
            return set(), Location.browse()
        ignored = set(self._get_counted_location_ids())
        if self.excluded_location_ids:
            ignored.update(
                Location.search(
                    [("id", "child_of", self.excluded_location_ids.ids)]
                ).ids
            )
        shop_id = self.shop_id.id
        ignored.update(
            location_id
            for location_id, shop_ids in self._get_location_index().items()
            if shop_id in shop_ids
        )
        internal = Location.search(
            [
                ("id", "child_of", warehouses.view_location_id.ids),
                ("usage", "=", "internal"),
            ]
        )
        receipts = Location.browse()
        for warehouse in warehouses:
            if warehouse.reception_steps == "one_step":
                destination = warehouse.in_type_id.default_location_dest_id
            else:
                destination = warehouse.lot_stock_id
            if destination.usage == "internal" and destination.id not in ignored:
                receipts |= destination
        return set(internal.ids) - ignored, receipts
