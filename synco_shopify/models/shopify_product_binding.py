# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

PRECOMMIT_KEY = "synco_shopify.changed_stock"


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
    level_ids = fields.One2many("shopify.inventory.level", "binding_id")

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

    # ------------------------------------------------------------ stock events
    @api.model
    def _synco_stock_changed(self, pairs):
        """Remember (product id, location id) pairs changed in this transaction.

        The pushes are enqueued once, just before commit: a picking of 1 000
        lines over 300 products gives 300 jobs, and a transaction that rolls
        back enqueues nothing (its precommit hooks are dropped with it).
        """
        if not pairs or self.env.context.get("synco_shopify_no_tracking"):
            return  # the context switch is for benchmarks and bulk loads
        precommit = self.env.cr.precommit
        if PRECOMMIT_KEY not in precommit.data:
            precommit.data[PRECOMMIT_KEY] = set()
            precommit.add(self.sudo()._synco_enqueue_pushes)
        precommit.data[PRECOMMIT_KEY].update(pairs)

    def _synco_enqueue_pushes(self):
        pairs = self.env.cr.precommit.data.pop(PRECOMMIT_KEY, set())
        params = self.env["ir.config_parameter"].sudo()
        if not pairs or params.get_param("synco_shopify.push_paused"):
            return
        index = self.env["shopify.location.mapping"]._get_location_index()
        wanted = set()
        for product_id, location_id in pairs:
            for shop_id in index.get(location_id, ()):
                wanted.add((shop_id, product_id))
        if not wanted:
            return
        bindings = self.search(
            [
                ("shop_id", "in", list({shop for shop, _p in wanted})),
                ("product_id", "in", list({product for _s, product in wanted})),
                ("shop_id.sync_frozen", "=", False),
                ("shop_id.policy_inventory", "=", "odoo_to_shopify"),
            ]
        )
        for binding in bindings:
            if (binding.shop_id.id, binding.product_id.id) in wanted:
                binding._delay_push()

    def _delay_push(self):
        """Enqueue the push of this product to its shop; collapses while pending."""
        self.ensure_one()
        return self.with_delay(
            channel=self.shop_id._job_channel(),
            identity_key=f"synco_shopify.push:{self.id}",
            description=self.env._(
                "Shopify push: %(sku)s to %(shop)s",
                sku=self.sku or self.product_id.display_name,
                shop=self.shop_id.name,
            ),
        )._push_inventory()

    # --------------------------------------------------------------------- job
    def _push_inventory(self):
        """Job: bring every mapped Shopify location of the shop to Odoo's figure.

        Recomputes the product's availability for each active mapping, skips
        the locations whose figure Shopify already holds (as far as our last
        confirmed write or read tells), and writes the others in one
        ``inventorySetQuantities`` call with compare-and-set.
        """
        self.ensure_one()
        shop = self.shop_id
        if not (self.active and shop.active) or not self._push_allowed():
            return self.env._("Nothing to push: binding or shop inactive/frozen.")
        mappings = shop.mapping_ids.filtered(lambda m: m.state == "active")
        if not mappings:
            return self.env._("Nothing to push: the shop has no active mapping.")
        expected = mappings._compute_shopify_available(self.product_id)
        targets = {
            m.shopify_location_id: expected[m][self.product_id.id] for m in mappings
        }
        return shop._push_levels({self: targets}).summary()

    def _push_allowed(self):
        shop = self.shop_id
        return not shop.sync_frozen and shop.policy_inventory == "odoo_to_shopify"
