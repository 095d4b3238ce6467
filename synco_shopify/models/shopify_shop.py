# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import contextlib
import logging
import re
from dataclasses import dataclass, field

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, mute_logger

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.shopify import (
    DEFAULT_API_VERSION,
    MIN_API_VERSION,
    CostThrottle,
    Outcome,
    QuantityChange,
    ShopifyClient,
    ShopifyError,
    ShopifyRetryableError,
    ShopifyUserErrors,
    api_version_problem,
    to_gid,
)
from .locking import lock_rows
from .shopify_throttle_state import STORE_PARAM, DatabaseThrottleStore

_logger = logging.getLogger(__name__)

SHOP_DOMAIN_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
# a held sale triggers an order poll this much later: Shopify's order search
# lags a little behind its inventory
HELD_POLL_DELAY = 60


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

    # ------------------------------------------------------------ connection
    def _get_client(self):
        """The one adapter between the models and the plain-Python client."""
        self.ensure_one()
        shop = self.sudo()
        if not shop.access_token:
            raise UserError(
                self.env._(
                    "Shop %(shop)s has no access token: paste the Admin API "
                    "token of its custom app first.",
                    shop=shop.name,
                )
            )
        return ShopifyClient(
            shop.shop_domain,
            shop.access_token,
            shop.api_version,
            base_url=shop.api_base_url or None,
            throttle=self._synco_throttle(),
        )

    def _synco_throttle(self):
        """The bucket estimate every node shares: in the database by default,
        or a file per host (``synco_shopify.throttle_store`` = ``file``)."""
        param = self.env["ir.config_parameter"].sudo().get_param(STORE_PARAM)
        if param == "file":
            return CostThrottle()
        return CostThrottle(DatabaseThrottleStore(self.env.cr.dbname))

    @contextlib.contextmanager
    def _user_api_errors(self):
        """Buttons: an API failure becomes a message the user can act on."""
        try:
            yield
        except ShopifyError as exc:
            raise UserError(
                self.env._(
                    "Shopify answered with an error for %(shop)s: %(error)s",
                    shop=self.name,
                    error=exc,
                )
            ) from exc

    def _job_channel(self):
        return f"root.synco_shopify.shop_{self.id}"

    def action_test_connection(self):
        self.ensure_one()
        with self._user_api_errors():
            info = self._get_client().shop_info()
        throttle = info["throttle"]
        return self._notify(
            self.env._("Connected to %(name)s", name=info["name"]),
            self.env._(
                "%(domain)s, API %(version)s, currency %(currency)s; query "
                "budget %(max)s points restoring %(rate)s/s.",
                domain=info["myshopify_domain"],
                version=info["api_version"],
                currency=info["currency"],
                max=throttle["maximum_available"],
                rate=throttle["restore_rate"],
            ),
        )

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
                ("is_storable", "=", True),
                ("company_id", "in", (False, self.company_id.id)),
            ]
        )
        by_sku = {p.default_code: p for p in products}
        with self._user_api_errors():
            found = self._get_client().find_variants_by_sku(list(by_sku))
        Binding = self.env["shopify.product.binding"].with_context(active_test=False)
        bound = {
            b.product_id: b for b in self.with_context(active_test=False).binding_ids
        }
        created = 0
        for sku, variant in found.items():
            product = by_sku.get(sku)
            if not product:
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
        return self._notify(
            self.env._("Products bound"),
            self.env._(
                "%(found)s of %(asked)s SKUs found in Shopify, %(created)s new "
                "bindings.",
                found=len(found),
                asked=len(by_sku),
                created=created,
            ),
        )

    def action_push_all(self):
        """Enqueue a push of every bound product, reading Shopify's levels first.

        After Shopify changed outside Odoo (a manual edit in its admin, a
        restored backup) our memory of its levels is wrong: the pushes read
        them rather than skip what we believe is there.
        """
        self.ensure_one()
        if self.sync_frozen:
            raise UserError(self.env._("The shop is frozen: resume it first."))
        count = self.binding_ids.filtered("active")._synco_enqueue(refresh=True)
        return self._notify(
            self.env._("Pushes enqueued"),
            self.env._(
                "%(count)s products will be read from Shopify and pushed.",
                count=count,
            ),
        )

    def _synco_pushed_mappings(self):
        """The mappings whose Shopify locations a push writes.

        The active ones, and the paused ones whose location no active mapping
        feeds: a paused mapping takes its location out of sale (0) rather
        than leave a figure nobody keeps true.
        """
        self.ensure_one()
        active = self.mapping_ids.filtered(lambda m: m.state == "active")
        paused = self.mapping_ids.filtered(
            lambda m: (
                m.state == "paused"
                and m.shopify_location_id not in active.shopify_location_id
            )
        )
        # one paused mapping per location is enough to write its 0
        seen = set()
        for mapping in paused:
            if mapping.shopify_location_id in seen:
                paused -= mapping
            seen.add(mapping.shopify_location_id)
        return active | paused

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

    # ---------------------------------------------------------------- pushing
    def _push_levels(
        self,
        targets,
        reason="correction",
        known=None,
        client=None,
        refresh=False,
        evidence=True,
        observe=True,
        settle=None,
    ):
        """Write Odoo's figures to Shopify, compare-and-set, 250 per call (or
        as one bulk operation from the shop's ``bulk_write_threshold`` levels).

        :param targets: {binding: {shopify.location: Odoo's figure}}
        :param known: {(binding, shopify.location): Shopify's current value,
            None when not stocked} when the caller has just read them
            (reconciliation), so they are not read again
        :param client: the caller's client, so its statistics add up
        :param refresh: read every level first instead of trusting the
            value we last wrote (*Push All*)
        :param evidence: whether a drop in the ``known`` values may be a
            Shopify sale Odoo hasn't seen
        :param observe: tell drift and alerts what the push saw and left (a
            reconciliation tells them itself, as its own)
        :param settle: applied to the levels once locked (see
            ``shopify.inventory.level._synco_settle``)
        :return: a :class:`PushResult`

        Levels Shopify already holds (per our last confirmed write or read)
        are skipped; levels never seen are read first, so even the first
        write is a compare-and-set.  Units Shopify sold that Odoo has not
        imported yet are *held*: a compare-and-set conflict (or a read)
        showing Shopify's level below our last write keeps them out of this
        push and of every later one, until the order is imported (or a poll
        shows there is none), and triggers an order poll at once.  Units
        that appeared in Shopify are ignored: Odoo owns quantities.
        """
        self.ensure_one()
        result = PushResult()
        if not targets:
            return result
        levels = self._prepare_levels(targets)
        if settle:
            self.env["shopify.inventory.level"].union(*levels.values())._synco_settle(
                settle
            )
        holding = self._synco_holds_sales()
        seen = {}  # {(binding, location): Shopify's value, as read}
        for (binding, location), value in (known or {}).items():
            if value is not None:
                seen[binding, location] = value
                result.held += levels[binding, location]._synco_absorb(
                    value, evidence=holding and evidence
                )
        client = client or self._get_client()
        try:
            result.held += self._read_levels(
                client, targets, levels, skip=known or {}, refresh=refresh, seen=seen
            )
            pending = {}
            for binding, per_location in targets.items():
                for location, quantity in per_location.items():
                    level = levels[binding, location]
                    level.expected_qty = quantity
                    target = level._synco_target(quantity)
                    if level.shopify_known and level.shopify_available == target:
                        result.unchanged += 1
                        result.outcomes[binding, location] = (
                            ("held", level._synco_held_message())
                            if target < quantity
                            else ("unchanged", None)
                        )
                        continue
                    key = (
                        to_gid("InventoryItem", binding.shopify_inventory_item_gid),
                        to_gid("Location", location.shopify_gid),
                    )
                    pending[key] = (binding, location, level, target)
            if pending:
                self._write_levels(client, pending, reason, holding, result)
        except ShopifyRetryableError as exc:
            raise RetryableJobError(
                str(exc), seconds=int(getattr(exc, "retry_after", 0) or 30)
            ) from exc
        if observe:
            self._synco_observe_levels(targets, levels, seen)
        if result.held:
            self._synco_sales_not_imported(result.held)
        return result

    def _synco_observe_levels(self, targets, levels, seen=None):
        """Tell drift and alerts what the push saw and left.

        Shopify's figure is the value it holds after the push (for a write
        that failed, the one it held before); Odoo's is the figure pushed,
        held sales taken out.  Agreement resolves open drift; the values
        ``seen`` when read ({(binding, location): value}) are checked for
        negative levels, what the push leaves for oversell risk.
        """
        observations = []
        for binding, per_location in targets.items():
            for location, quantity in per_location.items():
                level = levels[binding, location]
                if level.shopify_known:
                    observations.append(
                        (
                            binding,
                            location,
                            level._synco_target(quantity),
                            level.shopify_available,
                        )
                    )
        self.env["shopify.drift"].sudo()._synco_observe(self, observations, "push")
        self.env["shopify.alert"]._synco_check_levels(
            self,
            read={key: (None, value) for key, value in (seen or {}).items()},
            left={(b, loc): (odoo, shopify) for b, loc, odoo, shopify in observations},
        )

    def _prepare_levels(self, targets):
        """{(binding, shopify.location): level} for the targets, created when
        missing and locked for the rest of the transaction."""
        Level = self.env["shopify.inventory.level"].sudo()
        bindings = self.env["shopify.product.binding"].union(*targets)
        levels = {
            (lvl.binding_id, lvl.shopify_location_id): lvl
            for lvl in Level.search([("binding_id", "in", bindings.ids)])
        }
        missing = [
            {"binding_id": b.id, "shopify_location_id": loc.id}
            for b, per_location in targets.items()
            for loc in per_location
            if (b, loc) not in levels
        ]
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                created = Level.create(missing)
        except psycopg2.errors.UniqueViolation as exc:
            # Another push of the same product, started before this one's
            # snapshot could see its commit (two stock commits in a row: the
            # first job was already running), created them: run again on
            # fresh data rather than fail the job.
            raise RetryableJobError(
                "Levels created by a concurrent push; retrying.", seconds=1
            ) from exc
        for lvl in created:
            levels[lvl.binding_id, lvl.shopify_location_id] = lvl
        self._lock_levels(Level.union(*levels.values()))
        return levels

    def _write_levels(self, client, pending, reason, holding, result):
        """Send the pending levels, compare-and-set, and record each outcome.

        :param pending: {(item gid, location gid): (binding, location, level,
            target)}
        """
        changes = [
            QuantityChange(
                item,
                loc,
                target,
                lvl.shopify_available if lvl.shopify_known else None,
            )
            for (item, loc), (_b, _l, lvl, target) in pending.items()
        ]
        sold = {}  # (item, location) → units Shopify sold meanwhile

        def on_stale(change, current):
            if current == change.quantity:
                # Shopify already shows the figure: most likely our own write
                # whose transaction died with its worker (a server killed
                # mid-push), not a sale: nothing to write, nothing to hold
                return None
            if change.change_from is not None and current < change.change_from:
                key = (change.inventory_item_id, change.location_id)
                sold[key] = sold.get(key, 0) + change.change_from - current
            return _keep_shopify_sales(change, current)

        bindings = self.env["shopify.product.binding"].union(
            *(binding for binding, _l, _lvl, _t in pending.values())
        )
        write = client.set_available
        if 0 < self.bulk_write_threshold <= len(changes):
            write = client.set_available_bulk
        outcome = write(
            changes,
            reason=reason,
            reference_uri=self._reference_uri(bindings),
            on_stale=on_stale,
        )
        result.bulk_operations += outcome.bulk_operations
        result.calls += outcome.calls
        result.cost += outcome.actual_cost
        now = fields.Datetime.now()
        for item in outcome.outcomes:
            key = (
                to_gid("InventoryItem", item.change.inventory_item_id),
                to_gid("Location", item.change.location_id),
            )
            binding, location, level, _target = pending[key]
            vals = {
                "last_push_date": now,
                "last_outcome": item.status,
                "last_message": item.message or False,
            }
            if holding and sold.get(key):
                vals.update(level._synco_hold_vals(sold[key]))
                result.held += sold[key]
            if item.ok:
                vals.update(shopify_available=item.quantity, shopify_known=True)
                result.pushed += 1
            elif item.status == Outcome.NOT_STOCKED:
                vals.update(self._activate(client, item.change, level))
                result.pushed += vals["last_outcome"] == "activated"
                result.failed += vals["last_outcome"] != "activated"
            elif item.status == Outcome.DROPPED:
                vals["last_outcome"] = "unchanged"
                if item.current is not None:
                    vals.update(shopify_available=item.current, shopify_known=True)
            else:
                result.failed += 1
            level.write(vals)
            result.outcomes[binding, location] = (
                vals["last_outcome"],
                vals["last_message"] or None,
            )

    def _synco_holds_sales(self):
        """Whether Shopify sales are held until their order is imported.

        Only for a shop whose orders Odoo imports: otherwise no order would
        ever release them.
        """
        self.ensure_one()
        return self.policy_reservation == "shopify_triggers_odoo"

    def _synco_sales_not_imported(self, units):
        """Shopify sold units Odoo has no order for: fetch the orders now.

        The poll waits a little (Shopify's order search lags behind its
        inventory) rather than the 15 minutes of the scheduled one.
        """
        _logger.info(
            "%s: %s unit(s) sold in Shopify without an order in Odoo; held, "
            "order poll enqueued",
            self.shop_domain,
            units,
        )
        self._delay_poll_orders(eta=HELD_POLL_DELAY)

    def _lock_levels(self, levels):
        """One push of a level at a time, each on data fresher than the last.

        Two pushes of one product can overlap: a job runs, a stock change
        enqueues another, the second worker starts it.  The later one,
        holding our last write as it was before the earlier one committed,
        would take the earlier write for a Shopify sale and subtract it
        again (Odoo 6, Shopify 2).  Locking the levels stops it before any
        call to Shopify: lock not available while the earlier one runs, a
        serialization failure once it committed over our snapshot; queue_job
        retries both, on fresh data.
        """
        if not levels:
            return
        lock_rows(
            self.env.cr,
            "shopify_inventory_level",
            SQL("id IN %s", tuple(levels.ids)),
            "Levels pushed by a concurrent job; pushing again on fresh data.",
        )

    def _read_levels(self, client, targets, levels, skip=(), refresh=False, seen=None):
        """Read the levels never seen (with ``refresh``, all of them).

        :param seen: a dict filled with {(binding, location): value read}
        :return: the units newly held (sales seen in a read)
        """
        wanted = [
            (b, loc)
            for b, per_location in targets.items()
            for loc in per_location
            if (refresh or not levels[b, loc].shopify_known) and (b, loc) not in skip
        ]
        if not wanted:
            return 0
        current = client.read_available(
            list({b.shopify_inventory_item_gid for b, _loc in wanted}),
            list({loc.shopify_gid for _b, loc in wanted}),
        )
        held = 0
        evidence = self._synco_holds_sales()
        for binding, location in wanted:
            value = current.get(
                (binding.shopify_inventory_item_gid, location.shopify_gid)
            )
            if value is not None:
                if seen is not None:
                    seen[binding, location] = value
                held += levels[binding, location]._synco_absorb(value, evidence)
        return held

    def _activate(self, client, change, level):
        """The mapping says the item belongs here: stock it, with Odoo's figure."""
        try:
            client.activate(
                change.inventory_item_id, change.location_id, available=change.quantity
            )
        except ShopifyUserErrors as exc:
            return {"last_outcome": "not_stocked", "last_message": str(exc)[:250]}
        return {
            "last_outcome": "activated",
            "shopify_available": change.quantity,
            "shopify_known": True,
        }

    def _reference_uri(self, bindings):
        """Where Shopify's inventory history points back to in Odoo."""
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        if len(bindings) == 1:
            return f"{base}/odoo/shopify.product.binding/{bindings.id}"
        return f"{base}/odoo/shopify.shop/{self.id}"

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


def _keep_shopify_sales(change, current):
    """Target after a compare-and-set conflict.

    Shopify's level moved from ``change.change_from`` to ``current`` since we
    last saw it.  Units that left its pool (an order, most likely) are kept
    out: Odoo will reserve them when the order arrives.  Units that appeared
    there are ignored: Odoo owns quantities.
    """
    drift = current - change.change_from
    return max(0, change.quantity + min(0, drift))


@dataclass
class PushResult:
    pushed: int = 0
    unchanged: int = 0
    failed: int = 0
    held: int = 0  # units newly held for Shopify sales Odoo hasn't imported
    calls: int = 0
    cost: float = 0.0
    bulk_operations: int = 0
    # {(binding, shopify.location): (outcome, message)} for every target
    outcomes: dict = field(default_factory=dict)

    def summary(self):
        held = f", {self.held} unit(s) held for unimported sales" if self.held else ""
        bulk = (
            f" ({self.bulk_operations} bulk operation(s))"
            if self.bulk_operations
            else ""
        )
        return (
            f"{self.pushed} level(s) pushed, {self.unchanged} unchanged, "
            f"{self.failed} failed{held}; {self.calls} call(s){bulk}, "
            f"cost {self.cost:g}"
        )
