# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

DEFAULT_API_VERSION = "2026-07"
# 2026-04 made @idempotent keys and changeFromQuantity mandatory on inventory
# writes; the client sends both, so it refuses anything older.
OLDEST_API_VERSION = "2026-04"
API_VERSION_RE = re.compile(r"^\d{4}-(01|04|07|10)$")
SHOP_DOMAIN_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


class ShopifyShop(models.Model):
    _name = "shopify.shop"
    _description = "Shopify Shop"
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    shop_domain = fields.Char(
        required=True,
        index=True,
        help="The shop's permanent domain, e.g. acme.myshopify.com.",
    )
    api_version = fields.Char(
        string="API Version",
        required=True,
        default=lambda self: self._default_api_version(),
        help="Shopify Admin API version (YYYY-MM), 2026-04 or later.",
    )
    api_base_url = fields.Char(
        string="API Endpoint Override",
        help="Leave empty for https://<shop domain>. Set it to reach a Shopify "
        "simulator, e.g. http://127.0.0.1:8765.",
    )
    access_token = fields.Char(
        groups="stock.group_stock_manager",
        copy=False,
        help="Admin API access token of the custom app (X-Shopify-Access-Token).",
    )
    webhook_secret = fields.Char(
        groups="stock.group_stock_manager",
        copy=False,
        help="Secret used by Shopify to sign webhooks (X-Shopify-Hmac-Sha256).",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)
    sync_frozen = fields.Boolean(
        string="Outbound Sync Frozen",
        copy=False,
        help="While frozen, nothing is written to Shopify: neither event pushes "
        "nor scheduled reconciliations. Used to migrate without downtime.",
    )
    # The sync-direction policy, written down instead of implied by code paths.
    policy_inventory = fields.Selection(
        [
            ("odoo_to_shopify", "Odoo → Shopify (Odoo owns quantities)"),
            ("disabled", "Not synchronised"),
        ],
        string="Inventory Quantities",
        required=True,
        default="odoo_to_shopify",
        help="Odoo is the source of truth for available quantities: receipts, "
        "counts, returns and reservations change Shopify, never the reverse. "
        "Shopify-side level changes are only compared and reported as drift.",
    )
    policy_reservation = fields.Selection(
        [
            ("shopify_triggers_odoo", "Shopify order → Odoo reservation"),
            ("disabled", "Orders not imported"),
        ],
        string="Reservations",
        required=True,
        default="shopify_triggers_odoo",
        help="Shopify owns the fact that an order was placed or cancelled before "
        "fulfilment: an order reserves stock in the routed Odoo warehouse and a "
        "cancellation releases it.",
    )
    policy_in_transit = fields.Selection(
        [("exclude", "Excluded until received")],
        string="In-Transit Stock",
        required=True,
        default="exclude",
        help="Stock between warehouses (transit locations) is never offered in "
        "Shopify; it counts once received in a mapped internal location.",
    )
    location_ids = fields.One2many("shopify.location", "shop_id", string="Locations")
    mapping_ids = fields.One2many(
        "shopify.location.mapping", "shop_id", string="Location Mappings"
    )
    buffer_rule_ids = fields.One2many("shopify.buffer.rule", "shop_id")
    binding_ids = fields.One2many(
        "shopify.product.binding", "shop_id", string="Product Bindings"
    )
    location_count = fields.Integer(compute="_compute_counts")
    mapping_count = fields.Integer(compute="_compute_counts")
    binding_count = fields.Integer(compute="_compute_counts")

    _shop_domain_uniq = models.Constraint(
        "UNIQUE (shop_domain)", "A Shopify shop can only be configured once."
    )

    @api.model
    def _default_api_version(self):
        return (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("synco_shopify.default_api_version", DEFAULT_API_VERSION)
        )

    def _compute_counts(self):
        for field, model in (
            ("location_count", "shopify.location"),
            ("mapping_count", "shopify.location.mapping"),
            ("binding_count", "shopify.product.binding"),
        ):
            counts = dict(
                self.env[model]._read_group(
                    [("shop_id", "in", self.ids)], ["shop_id"], ["__count"]
                )
            )
            for shop in self:
                shop[field] = counts.get(shop, 0)

    @api.constrains("api_version")
    def _check_api_version(self):
        for shop in self:
            version = shop.api_version or ""
            if not API_VERSION_RE.match(version):
                raise ValidationError(
                    self.env._(
                        "API version %(version)s is not a Shopify API version "
                        "(YYYY-01, -04, -07 or -10).",
                        version=version,
                    )
                )
            if version < OLDEST_API_VERSION:
                raise ValidationError(
                    self.env._(
                        "API version %(version)s is too old: inventory writes "
                        "need %(oldest)s or later (idempotency keys and "
                        "compare-and-set).",
                        version=version,
                        oldest=OLDEST_API_VERSION,
                    )
                )

    @api.constrains("shop_domain")
    def _check_shop_domain(self):
        for shop in self:
            if not SHOP_DOMAIN_RE.match(shop.shop_domain or ""):
                raise ValidationError(
                    self.env._(
                        "%(domain)s is not a shop domain: use the permanent "
                        "*.myshopify.com domain, in lower case.",
                        domain=shop.shop_domain,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("shop_domain"):
                vals["shop_domain"] = vals["shop_domain"].strip().lower()
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("shop_domain"):
            vals["shop_domain"] = vals["shop_domain"].strip().lower()
        return super().write(vals)

    def action_freeze(self):
        self.sync_frozen = True

    def action_unfreeze(self):
        self.sync_frozen = False

    def _open_related(self, model, title):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": model,
            "view_mode": "list,form",
            "domain": [("shop_id", "=", self.id)],
            "context": {"default_shop_id": self.id},
        }

    def action_view_locations(self):
        return self._open_related("shopify.location", self.env._("Shopify Locations"))

    def action_view_mappings(self):
        return self._open_related(
            "shopify.location.mapping", self.env._("Location Mappings")
        )

    def action_view_bindings(self):
        return self._open_related(
            "shopify.product.binding", self.env._("Product Bindings")
        )

    def _sync_policy(self):
        """The sync-direction policy as the guide writes it down."""
        self.ensure_one()
        return {
            "inventory_quantity": self.policy_inventory,
            "reservation": self.policy_reservation,
            "in_transit_visibility": "exclude_from_shopify",
        }

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
