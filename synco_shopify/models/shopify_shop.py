# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Shopify shop: the backend record, its configuration and its buttons.

Every field of ``shopify.shop`` is defined here.  What a shop does lives in
the AbstractModels it inherits, one file each, named after the concern
(``shopify.inventory.push`` in ``shopify_inventory_push.py``, and so on).
"""

import re

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.base.models.res_partner import _tz_get

from ..lib.shopify import DEFAULT_API_VERSION, MIN_API_VERSION, api_version_problem

SHOP_DOMAIN_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
# shop fields the mapping's reservation index reads
RESERVATION_INDEX_FIELDS = {"active", "reserve_counted_stock_only"}


class ShopifyShop(models.Model):
    _name = "shopify.shop"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "shopify.catalog.import",
        "shopify.inventory.push",
        "shopify.order.poll",
        "shopify.order.routing",
        "shopify.webhook.subscription",
        "shopify.level.check",
        "shopify.reconciliation.schedule",
        "shopify.migration",
        "shopify.monitoring",
        "shopify.digest.schedule",
        "shopify.reachability",
        "shopify.connection",
    ]
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
        groups="synco_shopify.group_shopify_manager",
        copy=False,
        help="Admin API access token of the custom app (X-Shopify-Access-Token).",
    )
    webhook_secret = fields.Char(
        groups="synco_shopify.group_shopify_manager",
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
    bulk_write_threshold = fields.Integer(
        string="Bulk Writes From (levels)",
        default=2000,
        help="A push or a reconciliation that writes at least this many levels "
        "at once (a first sync, a mass correction) sends them as one Shopify "
        "bulk operation, which does not draw on the API's points budget, "
        "instead of calls of 250. Every level keeps its compare-and-set; "
        "levels Shopify changed meanwhile are read again and written again "
        "in calls of 250. 0 never uses bulk writes.",
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

    # orders and webhooks
    webhook_base_url = fields.Char(
        string="Webhook Base URL",
        help="Public address Shopify calls back, e.g. https://odoo.example.com. "
        "Empty: the database's web.base.url.",
    )
    default_warehouse_id = fields.Many2one(
        "stock.warehouse",
        check_company=True,
        help="Ships the orders no routing rule takes.",
    )
    order_route_ids = fields.One2many(
        "shopify.order.route", "shop_id", string="Order Routing Rules"
    )
    correct_drift_on_webhook = fields.Boolean(
        help="When Shopify reports a level that differs from Odoo's figure, "
        "push Odoo's figure back at once (otherwise the drift is only recorded).",
    )
    orders_polled_until = fields.Datetime(
        copy=False,
        readonly=True,
        help="Orders updated before this moment have been polled.",
    )
    webhook_secret_previous = fields.Char(
        string="Previous Webhook Secret",
        groups="synco_shopify.group_shopify_manager",
        copy=False,
        help="Set when the webhook secret changes: signatures made with it are "
        "still accepted until the end of the grace period.",
    )
    webhook_secret_previous_until = fields.Datetime(
        string="Previous Secret Accepted Until", copy=False
    )
    webhook_previous_secret_hits = fields.Integer(
        string="Webhooks Signed With the Previous Secret",
        readonly=True,
        copy=False,
        help="Deliveries accepted under the previous secret: when it stops "
        "growing, Shopify signs with the new one everywhere.",
    )
    fulfillment_notify_customer = fields.Boolean(
        string="Notify Customers of Shipments",
        default=True,
        help="Fulfilments sent to Shopify when a delivery is validated ask "
        "Shopify to e-mail the customer (with the tracking number).",
    )
    webhook_event_count = fields.Integer(compute="_compute_order_counts")
    shopify_order_count = fields.Integer(compute="_compute_order_counts")

    # reservation
    reserve_counted_stock_only = fields.Boolean(
        string="Never Pick Excluded Zones",
        default=True,
        help="No reservation out of a mapped location takes stock from the "
        "zones its mappings exclude (quarantine, safety reserve): B2B and "
        "manual deliveries and internal transfers included. A move from the "
        "zone itself is still reserved there. Shopify orders never pick "
        "excluded zones, whatever this setting.",
    )

    # reconciliation
    tz = fields.Selection(
        _tz_get,
        string="Timezone",
        default=lambda self: self.env.user.tz or "UTC",
        help="The shop's timezone: the reconciliation hour is read in it.",
    )
    reconcile_enabled = fields.Boolean(string="Daily Reconciliation", default=True)
    reconcile_hour = fields.Float(
        string="Reconciliation Time",
        default=2.0,
        help="Local time of the daily full reconciliation (02:00 by default).",
    )
    last_reconcile_date = fields.Date(
        compute="_compute_last_reconcile_date",
        help="Local date of the last scheduled run.",
    )
    drift_alert_percent = fields.Float(
        string="Drift Alert (%)",
        default=20.0,
        help="A run in which more levels than this had drifted raises an alert.",
    )
    alert_user_id = fields.Many2one(
        "res.users",
        string="Alert Responsible",
        help="Gets an activity on every alert (failed run, negative stock in "
        "Shopify, drift above the limit).",
    )
    reconciliation_ids = fields.One2many("shopify.reconciliation", "shop_id")
    reconciliation_count = fields.Integer(compute="_compute_reconciliation_count")
    migration_state = fields.Selection(
        [
            ("none", "Not migrating"),
            ("frozen", "1. Frozen, Shopify snapshotted"),
            ("dry_run", "2. Draft mappings dry-run"),
            ("activated", "3. Activated and reconciled"),
        ],
        default="none",
        required=True,
        copy=False,
        tracking=True,
    )
    reconcile_keep_days = fields.Integer(
        string="Keep In-Sync Lines (days)",
        default=7,
        help="Lines of levels a reconciliation found in sync are deleted after "
        "this many days; drifted, written and failed lines and the counts per "
        "location are kept. 0 keeps everything.",
    )
    buffer_usage_keep_weeks = fields.Integer(
        string="Keep Buffer Usage (weeks)",
        default=8,
        help="Daily buffer usage snapshots older than this many weeks are "
        "deleted. 0 keeps everything.",
    )

    # monitoring and digest
    velocity_days = fields.Integer(
        string="Velocity Window (days)",
        default=28,
        help="Sales velocity is the units delivered to customers from a "
        "mapping's counted locations over this many days, per day.",
    )
    high_velocity_threshold = fields.Float(
        string="High Velocity (units/day)",
        default=50.0,
        help="A product selling at least this many units a day at a mapping "
        "is watched for drift (the guide's example: 50 a day).",
    )
    velocity_drift_percent = fields.Float(
        string="High-Velocity Drift Alert (%)",
        default=20.0,
        help="|Shopify − Odoo| / max(Odoo, 1) above this, on a high-velocity "
        "product, alerts at once (the guide: 20 %).",
    )
    webhook_silence_hours = fields.Integer(
        string="Webhook Silence Alert (hours)",
        default=24,
        help="No webhook received for this long while the order poll keeps "
        "importing orders alerts at once: webhooks are lost or unregistered.",
    )
    last_webhook_date = fields.Datetime(
        string="Last Webhook", compute="_compute_last_webhook_date"
    )
    value_gap_alert_percent = fields.Float(
        string="Value Gap Alert (%)",
        default=2.0,
        help="The weekly check flags an inventory value gap between Odoo and "
        "Shopify above this (the guide: a gap growing beyond 1-2 % is "
        "systematic drift).",
    )
    digest_enabled = fields.Boolean(string="Weekly Digest", default=True)
    digest_weekday = fields.Selection(
        [
            ("0", "Monday"),
            ("1", "Tuesday"),
            ("2", "Wednesday"),
            ("3", "Thursday"),
            ("4", "Friday"),
            ("5", "Saturday"),
            ("6", "Sunday"),
        ],
        string="Digest Day",
        default="0",
        required=True,
        help="Local day of the weekly checks and digest (Monday by default).",
    )
    digest_hour = fields.Float(
        string="Digest Time",
        default=8.0,
        help="Local time of the weekly checks and digest (08:00 by default).",
    )
    last_digest_date = fields.Date(
        compute="_compute_last_digest_date",
        help="Local date of the last scheduled digest.",
    )
    digest_partner_ids = fields.Many2many(
        "res.partner",
        "shopify_shop_digest_partner_rel",
        string="Digest Recipients",
        help="Receive the weekly digest by e-mail.",
    )
    slack_webhook_url = fields.Char(
        string="Slack Webhook URL",
        groups="synco_shopify.group_shopify_manager",
        copy=False,
        help="A Slack incoming-webhook URL (https://hooks.slack.com/services/"
        "...): the weekly digest is posted there too.",
    )
    digest_ids = fields.One2many("shopify.digest", "shop_id")
    alert_ids = fields.One2many("shopify.alert", "shop_id")
    alert_immediate_count = fields.Integer(
        string="Open Immediate Alerts", compute="_compute_alert_counts"
    )
    alert_weekly_count = fields.Integer(
        string="Open Weekly Findings", compute="_compute_alert_counts"
    )

    last_reconciliation_id = fields.Many2one(
        "shopify.reconciliation", compute="_compute_overview"
    )
    last_reconciliation_date = fields.Datetime(compute="_compute_overview")
    last_reconciliation_drift = fields.Float(
        string="Last Drift (%)", compute="_compute_overview", digits=(16, 1)
    )
    last_reconciliation_state = fields.Char(compute="_compute_overview")
    failed_job_count = fields.Integer(string="Failed Jobs", compute="_compute_overview")
    push_last_hour_count = fields.Integer(
        string="Pushes (last hour)", compute="_compute_overview"
    )

    # stock no mapping counts (see shopify_uncounted_stock.py)
    uncounted_qty = fields.Float(
        string="Uncounted Units",
        compute="_compute_uncounted",
        digits="Product Unit",
        help="Free units in the warehouses of the active mappings that no "
        "active mapping counts, excluded locations apart.",
    )
    uncounted_product_count = fields.Integer(
        string="Uncounted Products", compute="_compute_uncounted"
    )
    uncounted_location_ids = fields.Many2many(
        "stock.location",
        string="Uncounted Locations",
        compute="_compute_uncounted",
    )
    uncounted_receipt_location_ids = fields.Many2many(
        "stock.location",
        string="Uncounted Receipt Destinations",
        compute="_compute_uncounted",
    )
    uncounted_warning = fields.Text(compute="_compute_uncounted")

    fulfillment_service_orders = fields.Selection(
        [("skip", "Leave out"), ("import", "Import")],
        string="Fulfilment Service Orders",
        default="skip",
        required=True,
        help="Orders Shopify assigned to a location a fulfilment service (a 3PL "
        "app) runs belong to that service: Synco never moves or fulfils them. "
        "Leave out: not imported. Import: imported for the record.",
    )
    sync_stage = fields.Selection(
        [("setup", "Set Up"), ("syncing", "Syncing"), ("frozen", "Frozen")],
        compute="_compute_sync_stage",
    )
    connect_method = fields.Selection(
        [
            ("client_credentials", "My own store (client ID and secret)"),
            ("install_link", "Install link (partner or agency app)"),
            ("admin_token", "Existing admin token (legacy custom app)"),
        ],
        string="Connect With",
        required=True,
        default="client_credentials",
        help="My own store: a Dev Dashboard app installed on this store; Synco "
        "gets 24-hour tokens with its client ID and secret. Install link: a "
        "partner's app approved by the merchant; Synco keeps a 60-minute "
        "token and its refresh token. Existing admin token: the static token "
        "of a custom app made in Shopify's admin before 2026.",
    )
    client_id = fields.Char(
        string="Client ID", copy=False, help="The app's client ID (Dev Dashboard)."
    )
    client_secret = fields.Char(
        groups="synco_shopify.group_shopify_manager",
        copy=False,
        help="The app's client secret: it obtains the tokens and signs the webhooks.",
    )
    app_uninstalled = fields.Boolean(readonly=True, copy=False)
    connection_state = fields.Selection(
        [
            ("connected", "Connected"),
            ("refused", "Credentials refused: reconnect"),
            ("uninstalled", "App uninstalled: reconnect"),
        ],
        compute="_compute_connection",
    )
    token_fetch_count = fields.Integer(
        string="Tokens Obtained", compute="_compute_connection"
    )
    token_expires_at = fields.Datetime(
        string="Token Expires", compute="_compute_connection"
    )
    show_transit_incoming = fields.Boolean(
        string="Show Stock in Transit as Incoming",
        help="Units Odoo ships between two mapped warehouses through a transit "
        "location show as incoming at the destination's Shopify location until "
        "Odoo receives them; available is never touched. Needs the inventory "
        "transfer and shipment access scopes.",
    )
    reconcile_keep_in_sync_lines = fields.Boolean(
        string="Keep In-Sync Lines",
        help="Store a line for every level a reconciliation finds in sync. "
        "Off: those levels are counted (per run and location), and only the "
        "drifted, written, held and failed levels get a line.",
    )

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
        for fname, model in (
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
                shop[fname] = counts.get(shop, 0)

    @api.depends("sync_frozen", "mapping_ids.state")
    def _compute_sync_stage(self):
        for shop in self:
            if shop.sync_frozen:
                shop.sync_stage = "frozen"
            elif shop.mapping_ids.filtered(lambda m: m.state == "active"):
                shop.sync_stage = "syncing"
            else:
                shop.sync_stage = "setup"

    @api.constrains("api_version")
    def _check_api_version(self):
        for shop in self:
            version = shop.api_version or ""
            problem = api_version_problem(version)
            if problem == "malformed":
                raise ValidationError(
                    self.env._(
                        "API version %(version)s is not a Shopify API version "
                        "(YYYY-01, -04, -07 or -10).",
                        version=version,
                    )
                )
            if problem == "too old":
                raise ValidationError(
                    self.env._(
                        "API version %(version)s is too old: inventory writes "
                        "need %(oldest)s or later (idempotency keys and "
                        "compare-and-set).",
                        version=version,
                        oldest=MIN_API_VERSION,
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

    @api.constrains("reconcile_hour")
    def _check_reconcile_hour(self):
        for shop in self:
            if not 0 <= shop.reconcile_hour < 24:
                raise UserError(self.env._("The reconciliation time must be 0-24 h."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("shop_domain"):
                vals["shop_domain"] = vals["shop_domain"].strip().lower()
            if vals.get("access_token") and not vals.get("client_secret"):
                # given an admin token only: it connects with it
                vals.setdefault("connect_method", "admin_token")
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("shop_domain"):
            vals["shop_domain"] = vals["shop_domain"].strip().lower()
        if vals.get("webhook_secret") and "webhook_secret_previous" not in vals:
            self._synco_keep_previous_secret(vals["webhook_secret"])
        if vals.get("client_secret") and "webhook_secret_previous" not in vals:
            self._synco_keep_previous_secret(
                vals["client_secret"], field="client_secret"
            )
        thawed = self.filtered("sync_frozen") if "sync_frozen" in vals else self
        res = super().write(vals)
        if "sync_frozen" in vals and not vals["sync_frozen"] and thawed:
            thawed._synco_resume_pushes()  # issue 23: resume pushes what changed
        if {"client_id", "client_secret", "connect_method"} & set(vals):
            self.env["shopify.shop.token"]._synco_reset(self)
        if RESERVATION_INDEX_FIELDS & set(vals):
            self.env["shopify.location.mapping"]._invalidate_location_index()
        return res

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

    def action_view_webhook_events(self):
        return self._open_related("shopify.webhook.event", self.env._("Webhook Events"))

    def action_view_shopify_orders(self):
        action = self._open_related("sale.order", self.env._("Shopify Orders"))
        action["domain"] = [("shopify_shop_id", "=", self.id)]
        action["context"] = {}
        return action

    def _job_channel(self):
        return f"root.synco_shopify.shop_{self.id}"

    def _notify(self, title, message, kind="success"):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
