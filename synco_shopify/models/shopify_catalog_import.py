# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The shop's catalogue: its Shopify locations, and the products bound by SKU.

Mixed into ``shopify.shop`` (``shopify_shop.py`` holds its fields): the
methods run on shop records, ``self`` is a shop.

Both buttons create or update, never delete: a location or a variant gone
from Shopify stays, to be archived by hand.
"""

from odoo import api, models


class ShopifyCatalogImport(models.AbstractModel):
    _name = "shopify.catalog.import"
    _description = "Shopify Locations and Products Import (shop mixin)"

    def action_import_locations(self):
        """Create or update the shop's Shopify locations (never deletes)."""
        self.ensure_one()
        with self._user_api_errors():
            nodes = list(self._get_client().iter_locations(include_inactive=True))
        Location = self.env["shopify.location"].with_context(active_test=False)
        existing = {
            loc.shopify_gid: loc
            for loc in self.with_context(active_test=False).location_ids
        }
        created = 0
        for node in nodes:
            address = node.get("address") or {}
            vals = {
                "name": node["name"],
                "shopify_active": node.get("isActive", True),
                "fulfills_online_orders": node.get("fulfillsOnlineOrders", False),
                "fulfillment_service": node.get("isFulfillmentService", False),
                "address": ", ".join(
                    p for p in (address.get("address1"), address.get("city")) if p
                ),
                "country_code": address.get("countryCode"),
                "province_code": address.get("provinceCode"),
                "zip": address.get("zip"),
            }
            if node["id"] in existing:
                existing[node["id"]].write(vals)
            else:
                Location.create({**vals, "shop_id": self.id, "shopify_gid": node["id"]})
                created += 1
        return self._notify(
            self.env._("Locations imported"),
            self.env._(
                "%(count)s locations read, %(created)s new.",
                count=len(nodes),
                created=created,
            ),
        )

    def action_bind_products(self):
        """Bind Odoo variants to Shopify variants with the same SKU."""
        self.ensure_one()
        products = self.env["product.product"].search(
            [
                ("default_code", "!=", False),
                ("company_id", "in", (False, self.company_id.id)),
            ]
        )
        refused = products._synco_sync_refusals()
        # a syncable product wins a SKU over one that can't be synced
        by_sku = {p.default_code: p for p in products if p in refused}
        by_sku.update({p.default_code: p for p in products if p not in refused})
        with self._user_api_errors():
            found = self._get_client().find_variants_by_sku(list(by_sku))
        Binding = self.env["shopify.product.binding"].with_context(active_test=False)
        bound = {
            b.product_id: b for b in self.with_context(active_test=False).binding_ids
        }
        created = 0
        not_synced = []
        for sku, variant in found.items():
            product = by_sku.get(sku)
            if not product:
                continue
            if product in refused:
                not_synced.append(f"{sku}: {refused[product]}")
                continue
            vals = {
                "sku": sku,
                "shopify_variant_gid": variant["variant_id"],
                "shopify_inventory_item_gid": variant["inventory_item_id"],
            }
            if product in bound:
                bound[product].write(vals)
            else:
                Binding.create({**vals, "shop_id": self.id, "product_id": product.id})
                created += 1
        message = self.env._(
            "%(found)s of %(asked)s SKUs found in Shopify, %(created)s new bindings.",
            found=len(found) - len(not_synced),
            asked=len(by_sku) - len(set(by_sku.values()) & set(refused)),
            created=created,
        )
        if not_synced:
            message += " " + self.env._(
                "Not bound, Synco can't sync them: %(products)s.",
                products="; ".join(sorted(not_synced)),
            )
        return self._notify(self.env._("Products bound"), message)

    @api.model
    def _demo_set_stock(self, rows):
        """Demo data: put stock in place without an inventory adjustment.

        :param rows: [(product xml id, location or warehouse xml id, quantity)]
            (a warehouse stands for its stock location).  Drop-ship supplier
            locations can't be counted by an inventory adjustment, hence the
            quant-level call a supplier stock feed would also use.
        """
        Quant = self.env["stock.quant"].sudo()
        for product_xmlid, location_xmlid, quantity in rows:
            product = self.env.ref(f"synco_shopify.{product_xmlid}")
            location = self.env.ref(f"synco_shopify.{location_xmlid}")
            if location._name == "stock.warehouse":
                location = location.lot_stock_id
            Quant._update_available_quantity(product, location, quantity)
