# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Order routing: which warehouse ships a Shopify order.

Mixed into ``shopify.shop`` (``shopify_shop.py`` holds its fields): the
methods run on shop records, ``self`` is a shop.

The rules are ``shopify.order.route`` records, tried in sequence on the
order's shipping address and the locations Shopify assigned; the shop's
default warehouse ships what no rule takes.  The retail store comes first
(issue 25): a counter sale is served by the warehouse mapped to the store
that sold it, a pickup or a local delivery at a retail store by that
store's warehouse, whatever the address; address rules route SHIPPING only.
"""

import logging

from odoo import api, models
from odoo.exceptions import UserError

from ..lib.shopify import ShopifyError, ShopifyRetryableError, delivery_kind

_logger = logging.getLogger(__name__)


class ShopifyOrderRouting(models.AbstractModel):
    _name = "shopify.order.routing"
    _description = "Shopify Order Routing (shop mixin)"

    @api.model
    def _synco_country_state(self, shipping):
        """Odoo's country and state for a normalised shipping address."""
        country = self.env["res.country"]
        state = self.env["res.country.state"]
        if shipping.get("country_code"):
            country = country.search(
                [("code", "=", shipping["country_code"].upper())], limit=1
            )
        if country and shipping.get("state_code"):
            state = state.search(
                [
                    ("country_id", "=", country.id),
                    ("code", "=", shipping["state_code"].upper()),
                ],
                limit=1,
            )
        return country, state

    def _synco_assigned_locations(self, data):
        """GIDs of the locations Shopify assigned an order's fulfilment to.

        Read from Shopify for orders that arrived by webhook (the body has
        no fulfilment orders); network trouble is retried by the caller's job.
        """
        return self._synco_read_fulfillment_orders(data)[0]

    def _synco_needs_fulfillment_orders(self, data):
        """Whether routing this order needs its fulfilment orders read.

        A webhook body has none: rules on Shopify's assigned location need
        them, and so does a shop with retail stores (a pickup or a local
        delivery is told by its fulfilment orders' delivery method).  A
        counter sale says where it was made in its body.
        """
        self.ensure_one()
        if data.get("fulfillment_methods"):
            return False
        if data.get("source_name") == "pos" and data.get("retail_location_gid"):
            return False
        if self.order_route_ids.filtered("shopify_location_id"):
            return not data.get("location_gids") or bool(self._synco_store_locations())
        return bool(self._synco_store_locations())

    def _synco_store_locations(self):
        """The shop's retail stores (``shopify.location.retail_store``)."""
        return self.env["shopify.location"].search(
            [("shop_id", "=", self.id), ("retail_store", "=", True)]
        )

    def _synco_read_fulfillment_orders(self, data):
        """(location GIDs, delivery methods) of an order, read from Shopify.

        ``methods`` as ``normalize_order``'s ``fulfillment_methods``.
        """
        self.ensure_one()
        try:
            found = self._get_client().fulfillment_orders(data["gid"])
        except ShopifyRetryableError:
            raise
        except (ShopifyError, UserError) as exc:
            # routing by address still works: don't hold the order for it
            _logger.warning(
                "Shop %s: fulfilment orders of %s unreadable: %s",
                self.name,
                data["gid"],
                exc,
            )
            return [], []
        if not found:
            return [], []
        fos = found["fulfillment_orders"]
        return (
            list(dict.fromkeys(fo["location_gid"] for fo in fos if fo["location_gid"])),
            [
                {"method": fo["method"], "location_gid": fo["location_gid"]}
                for fo in fos
                if fo.get("method")
            ],
        )

    def _synco_taken(self, data, quantities):
        """Where Shopify took a new order's units, for the levels' settle
        (``account`` of ``shopify.inventory.level._synco_settle``).

        Shopify takes them out of ``available`` at the locations it assigned
        the order to, into ``committed`` (not a counter sale: fulfilled at
        the till).  Where is unknown for a webhook body whose fulfilment
        orders were not read: then at every location of the product, so a
        drop there up to the order's units is not judged a sale.

        :param quantities: {product id: units} of the order
        :return: [[product id, Shopify location id or None, available taken,
            committed added]]
        """
        self.ensure_one()
        kind, location_gid = delivery_kind(data)
        gids = set(
            [location_gid] if kind == "retail" else data.get("location_gids") or ()
        )
        locations = self.location_ids.filtered(lambda loc: loc.shopify_gid in gids)
        ids = locations.ids if gids and len(locations) == len(gids) else [None]
        return [
            [product, location, units, units if kind != "retail" else 0]
            for product, units in quantities.items()
            for location in ids
        ]

    def _synco_fulfillment_service_left_out(self, data):
        """Why a new order is not imported, or None to import it.

        An order Shopify assigned, all of it, to locations run by fulfilment
        services (3PL apps) belongs to them: Synco never moves or fulfils it,
        and imports it only when the shop says so.
        """
        self.ensure_one()
        shop = self
        services = shop.with_context(active_test=False).location_ids.filtered(
            "fulfillment_service"
        )
        if not services or shop.fulfillment_service_orders == "import":
            return None
        assigned = data.get("location_gids") or shop._synco_assigned_locations(data)
        theirs = services.filtered(lambda loc: loc.shopify_gid in assigned)
        if not assigned or len(theirs) < len(set(assigned)):
            return None
        return self.env._(
            "Left out: Shopify assigned order %(order)s to %(locations)s, run by a "
            "fulfilment service that ships it. Synco never moves or fulfils such "
            "orders; the shop's Fulfilment Service Orders setting leaves them "
            "out.",
            order=data.get("name") or data["gid"],
            locations=", ".join(theirs.mapped("name")),
        )

    def _synco_store_warehouse(self, location_gid, stores_only=True):
        """The one warehouse mapped (active) to a Shopify location, or empty."""
        self.ensure_one()
        mapping = self.mapping_ids.filtered(
            lambda m: (
                m.state == "active"
                and m.shopify_location_id.shopify_gid == location_gid
                and (m.shopify_location_id.retail_store or not stores_only)
            )
        )[:1]
        sources = mapping.source_ids
        warehouses = sources.warehouse_id | sources.location_id.warehouse_id
        return warehouses if len(warehouses) == 1 else warehouses.browse()

    def _synco_route_order(self, data):
        """(warehouse, rule) for a normalised order (see ``normalize_order``).

        A counter sale goes to the warehouse mapped to the store that sold
        it; a pickup or a local delivery at a retail store to that store's
        warehouse.  Rules on the address take SHIPPING orders only (a rule
        on Shopify's assigned location alone takes any).
        """
        self.ensure_one()
        kind, location_gid = delivery_kind(data)
        if kind != "shipping" and location_gid:
            warehouse = self._synco_store_warehouse(
                location_gid, stores_only=kind != "retail"
            )
            if warehouse:
                return warehouse, self.env["shopify.order.route"]
        shipping = data.get("shipping") or {}
        country, state = self._synco_country_state(shipping)
        for rule in self.order_route_ids:
            if kind != "shipping" and rule._synco_by_address():
                continue
            if rule._matches(
                country, state, shipping.get("zip"), data.get("location_gids") or ()
            ):
                return rule.warehouse_id, rule
        warehouse = self.default_warehouse_id or self.env["stock.warehouse"].search(
            [("company_id", "=", self.company_id.id)], limit=1
        )
        return warehouse, self.env["shopify.order.route"]
