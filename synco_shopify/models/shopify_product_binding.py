# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools import SQL, mute_logger

from odoo.addons.queue_job import delay as queue_job_delay
from odoo.addons.queue_job.job import PENDING, Job
from odoo.addons.queue_job.utils import must_run_without_delay

from ..lib.shopify import MAX_QUANTITIES_PER_CALL as MAX_LEVELS_PER_CALL

PRECOMMIT_KEY = "synco_shopify.changed_stock"
# above this many products of one shop in one commit, pushes go in batches
BATCH_THRESHOLD = 20
BATCH_THRESHOLD_PARAM = "synco_shopify.push_batch_threshold"


class ShopifyProductBinding(models.Model):
    """Links an Odoo variant to a Shopify variant and its inventory item."""

    _name = "shopify.product.binding"
    _description = "Shopify Product Binding"
    _inherit = ["shopify.push.priority"]
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
    shopify_bundle = fields.Boolean(
        readonly=True,
        help="A Shopify bundle: Shopify computes its stock from its components "
        "and refuses writes to it (NON_MUTABLE_INVENTORY_ITEM). Synco stops "
        "pushing it; uncheck by unbinding and binding again.",
    )
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

    @api.model_create_multi
    def create(self, vals_list):
        bindings = super().create(vals_list)
        bindings.filtered("active")._synco_bindings_changed()
        return bindings

    def write(self, vals):
        res = super().write(vals)
        # a binding (re)activated, or pointed at another variant or item
        if {"active", "product_id", "shopify_inventory_item_gid"} & set(vals):
            self.filtered("active")._synco_bindings_changed()
        return res

    def _synco_bindings_changed(self):
        for shop in self.shop_id:
            self._synco_config_changed(
                shops=shop,
                products=self.filtered(lambda b, s=shop: b.shop_id == s).product_id,
            )

    # ------------------------------------------------------------ stock events
    @api.model
    def _synco_stock_changed(self, pairs):
        """Remember (product id, location id) pairs changed in this transaction.

        The pushes are enqueued once, just before commit: one job per product
        (a picking of 1 000 lines over 15 products gives 15 jobs), or for a
        bigger commit one job per 250 levels; a transaction that rolls back
        enqueues nothing (its precommit hooks are dropped with it).
        """
        if pairs:
            self._synco_precommit_data()["pairs"].update(pairs)

    @api.model
    def _synco_free_changed(self, deltas):
        """Add {(product id, location id): change of free quantity} to this
        transaction's: whose free stock fell may lower a Shopify level."""
        if deltas:
            free = self._synco_precommit_data()["free"]
            for pair, delta in deltas.items():
                free[pair] = free.get(pair, 0.0) + delta

    @api.model
    def _synco_config_changed(self, shops=None, products=None):
        """A configuration change may move the figures of ``products`` (None:
        every bound product) at ``shops`` (None: every shop binding them).

        Buffer rules, mappings, bindings and the location tree call this:
        their products are pushed at commit, through the same path as stock
        changes, so a shop-wide change goes in batches of 250 levels.
        """
        if shops is not None and not shops:
            return
        if products is not None and not products:
            return
        self._synco_precommit_data()["config"].append(
            (
                frozenset(shops.ids) if shops is not None else None,
                frozenset(products.ids) if products is not None else None,
            )
        )

    @api.model
    def _synco_stock_changes(self):
        """The (product id, location id) pairs changed so far in this
        transaction, as ``_synco_stock_changed`` recorded them."""
        data = self.env.cr.precommit.data.get(PRECOMMIT_KEY) or {}
        return frozenset(data.get("pairs", ()))

    @api.model
    def _synco_products_moved(self, product_ids):
        """The products whose figures move with the stock of ``product_ids``:
        those products (the kits holding them: see ``synco_shopify_mrp``)."""
        return set(product_ids)

    @api.model
    def _synco_precommit_data(self):
        """This transaction's pending changes, flushed by one precommit hook."""
        if self.env.context.get("synco_shopify_no_tracking"):
            # the context switch is for benchmarks and bulk loads
            return {"pairs": set(), "config": [], "free": {}}
        precommit = self.env.cr.precommit
        if PRECOMMIT_KEY not in precommit.data:
            precommit.data[PRECOMMIT_KEY] = {"pairs": set(), "config": [], "free": {}}
            precommit.add(self.sudo()._delay_changed_pushes)
        return precommit.data[PRECOMMIT_KEY]

    def _delay_changed_pushes(self):
        """Precommit: enqueue the pushes of what this transaction changed."""
        data = self.env.cr.precommit.data.pop(PRECOMMIT_KEY, None)
        params = self.env["ir.config_parameter"].sudo()
        if not data or params.get_param("synco_shopify.push_paused"):
            return
        bindings = self._synco_changed_bindings(data["pairs"])
        configured = self.browse()
        for shops, products in data["config"]:
            domain = self._synco_pushable_domain()
            if shops is not None:
                domain.append(("shop_id", "in", list(shops)))
            if products is not None:
                domain.append(("product_id", "in", list(products)))
            configured |= self.search(domain)
        down = {pair[0] for pair, delta in data["free"].items() if delta < -1e-6}
        moved = self._synco_products_moved(down) if down else set()
        lowering = bindings.filtered(lambda b: b.product_id.id in moved)
        (bindings | configured)._delay_push_inventory(lowering=lowering | configured)
        if configured:
            self._synco_notify_config_pushes(configured)

    def _synco_notify_config_pushes(self, bindings):
        """Tell the user who changed the configuration what it will push."""
        if self.env.context.get("job_uuid") or self.env.uid == SUPERUSER_ID:
            return  # a job or a script: nobody to tell
        self.env.user._bus_send(
            "simple_notification",
            {
                "type": "info",
                "title": self.env._("Shopify"),
                "message": self.env._(
                    "%(count)s product(s) will be pushed to %(shops)s with the "
                    "new configuration.",
                    count=len(bindings),
                    shops=", ".join(bindings.shop_id.mapped("name")),
                ),
            },
        )

    def _synco_changed_bindings(self, pairs):
        """The bindings whose figures the changed (product, location) pairs move."""
        if not pairs:
            return self.browse()
        index = self.env["shopify.location.mapping"]._get_location_index()
        wanted = set()
        for product_id, location_id in pairs:
            for shop_id in index.get(location_id, ()):
                wanted.add((shop_id, product_id))
        if not wanted:
            return self.browse()
        bindings = self.search(
            self._synco_pushable_domain()
            + [
                ("shop_id", "in", list({shop for shop, _p in wanted})),
                ("product_id", "in", list({product for _s, product in wanted})),
            ]
        )
        return bindings.filtered(lambda b: (b.shop_id.id, b.product_id.id) in wanted)

    @api.model
    def _synco_pushable_domain(self):
        return [
            ("active", "=", True),
            ("shopify_bundle", "=", False),
            ("shop_id.active", "=", True),
            ("shop_id.sync_frozen", "=", False),
            ("shop_id.policy_inventory", "=", "odoo_to_shopify"),
        ]

    def _delay_push_inventory(self, refresh=False, lowering=None):
        """Enqueue the pushes of these bindings, per shop: one job per product,
        or above the batch threshold one job per 250 levels.

        :param refresh: read Shopify's current levels first instead of
            trusting the last value we wrote (*Push All*)
        :param lowering: the bindings whose push may lower a level (None:
            any); the others' can't (decreases first)
        :return: the number of products enqueued
        """
        params = self.env["ir.config_parameter"].sudo()
        threshold = int(params.get_param(BATCH_THRESHOLD_PARAM, BATCH_THRESHOLD))
        for shop in self.shop_id:
            of_shop = self.filtered(lambda b, s=shop: b.shop_id == s)
            for group, urgency in of_shop._synco_push_groups(refresh, lowering):
                if len(group) > threshold:
                    group._delay_batch_pushes(refresh=refresh, urgency=urgency)
                else:
                    group._delay_pushes(refresh=refresh, urgency=urgency)
        return len(self)

    def _synco_push_targets(self, mappings):
        """{binding: {shopify.location: Odoo's figure}} over ``mappings``
        (``shopify.shop._synco_pushed_mappings``: a paused one shows 0)."""
        active = mappings.filtered(lambda m: m.state == "active")
        expected = active._compute_shopify_available(self.product_id)
        return {
            binding: {
                m.shopify_location_id: expected[m][binding.product_id.id]
                if m in active
                else 0
                for m in mappings
            }
            for binding in self
        }

    def _delay_batch_pushes(self, refresh=False, urgency=None):
        """Big commits (a 500-line picking): one job per ≤ 250 levels.

        Each product alone costs one Shopify call; grouped, 250 levels go in
        one call for the price of one (bench push: 500 products, 2 calls
        instead of 500).  A batch is the same job method on several bindings
        of one shop.

        :param urgency: job options of ``_synco_push_groups``
        """
        shop = self.shop_id
        shop.ensure_one()
        locations = len(shop._synco_pushed_mappings())
        size = max(1, MAX_LEVELS_PER_CALL // max(1, locations))
        kind = (
            "push_refresh" if refresh else self._synco_push_kind("push_batch", urgency)
        )
        batches = []
        for start in range(0, len(self), size):
            batch = self[start : start + size]
            digest = hashlib.sha1(str(sorted(batch.ids)).encode()).hexdigest()[:16]
            options = {
                "channel": shop._job_channel(),
                "identity_key": f"synco_shopify.{kind}:{shop.id}:{digest}",
                "description": self.env._(
                    "Shopify push: %(count)s products to %(shop)s",
                    count=len(batch),
                    shop=shop.name,
                ),
                **(urgency or {}),
            }
            batches.append((batch, options))
        self._store_push_jobs(batches, refresh)

    def _delay_push(self, refresh=False, urgency=None):
        """Enqueue the push of this product to its shop; collapses while pending."""
        self.ensure_one()
        delayed = self.with_delay(**self._push_job_options(refresh, urgency))
        return delayed._job_push_inventory(**_refresh_kwargs(refresh))

    def _delay_settle(self, settle, description, urgency=None):
        """Enqueue a push of these bindings (of one shop) that first settles
        their levels (see ``shopify.inventory.level._synco_settle``).

        Never collapsed into another push: ``settle`` is this job's own.
        ``urgency``: job options of a push that goes first (a correction
        lowering a level Shopify offers too high), kept when delayed.
        """
        bindings = self.filtered("active")
        if not bindings:
            return None
        shop = bindings.shop_id
        shop.ensure_one()
        return bindings.with_delay(
            channel=shop._job_channel(),
            description=description,
            priority=(urgency or {}).get("priority"),
        )._job_push_inventory(settle=settle)

    def _delay_pushes(self, refresh=False, urgency=None):
        """Enqueue one push per binding, unless one will run after our commit.

        A picking of 500 products enqueues 500 jobs at commit time; through
        ``with_delay`` each costs three queries (pending identity, uuid,
        insert), most of what the stock hooks added to validating the
        picking.  Here the same jobs (queue_job's own ``Job``, same identity
        key, channel and description) are checked against the pending ones
        in one query and stored in one ``create``.

        :param urgency: job options of ``_synco_push_groups``
        """
        self._store_push_jobs(
            [(b, b._push_job_options(refresh, urgency)) for b in self], refresh
        )

    @api.model
    def _store_push_jobs(self, jobs, refresh=False):
        """Store push jobs [(bindings, job options)] in one query, each
        collapsing only into a job that will read our commit (see
        ``_lock_pending_pushes``), batches included: through ``with_delay``
        a batch of 60 products counted right after their quants were
        created collapsed into the creation's job, already running on the
        older snapshot, and the count never reached Shopify.
        """
        kwargs = _refresh_kwargs(refresh)
        if must_run_without_delay(self.env) or queue_job_delay.Job is not Job:
            # queue_job__no_delay runs the jobs at once, and trap_jobs()
            # replaces delay.Job to record them: with_delay handles both
            for bindings, options in jobs:
                bindings.with_delay(**options)._job_push_inventory(**kwargs)
            return
        pending = self._lock_pending_pushes(
            [options["identity_key"] for _bindings, options in jobs]
        )
        new = [
            Job(bindings._job_push_inventory, kwargs=kwargs, **options)
            for bindings, options in jobs
            if options["identity_key"] not in pending
        ]
        if new:
            JobModel = self.env["queue.job"]
            JobModel.with_context(
                _job_edit_sentinel=JobModel.EDIT_SENTINEL
            ).sudo().create([job._store_values(create=True) for job in new])

    @api.model
    def _lock_pending_pushes(self, identity_keys):
        """The keys among ``identity_keys`` whose job stays pending until we commit.

        A change may only collapse into a job that reads the stock after the
        change commits.  ``with_delay`` looks under this transaction's
        snapshot, where a job the runner took meanwhile still looks pending,
        and the change was lost until the next one (a count applied while
        the push of its quant's creation ran).  Locking the pending rows
        holds the runner's pending-to-enqueued update until our commit; a
        row it already holds (skipped) or changed since our snapshot (a
        serialization failure) gets a new job instead.

        The rows are *updated*, not only locked: a running push whose
        snapshot predates our commit then fails to lock them for a take-over
        (``_lock_pending_jobs`` leaves them to the runner) instead of taking
        them over and pushing stock without our change.
        """
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                cr.execute(
                    SQL(
                        "UPDATE queue_job SET identity_key = identity_key "
                        "WHERE id IN (SELECT id FROM queue_job "
                        "WHERE identity_key IN %s AND state = %s "
                        "FOR NO KEY UPDATE SKIP LOCKED) "
                        "RETURNING identity_key",
                        tuple(identity_keys),
                        PENDING,
                    )
                )
                return {key for (key,) in cr.fetchall()}
        except psycopg2.errors.SerializationFailure:
            return set()

    def _push_job_options(self, refresh=False, urgency=None):
        self.ensure_one()
        # a refresh must not collapse into a plain push that trusts memory
        kind = "push_refresh" if refresh else self._synco_push_kind("push", urgency)
        return {
            **(urgency or {}),
            "channel": self.shop_id._job_channel(),
            "identity_key": f"synco_shopify.{kind}:{self.id}",
            "description": self.env._(
                "Shopify push: %(sku)s to %(shop)s",
                sku=self.sku or self.product_id.display_name,
                shop=self.shop_id.name,
            ),
        }

    # --------------------------------------------------------------------- job
    def _job_push_inventory(self, refresh=False, settle=None):
        """Job: bring every mapped Shopify location of the shop to Odoo's figure.

        For one product or a batch of one shop's products: recomputes their
        availability for each active mapping (one grouped read), skips the
        locations whose figure Shopify already holds (as far as our last
        confirmed write or read tells, or as read now with ``refresh``), and
        writes the others with compare-and-set, 250 levels per
        ``inventorySetQuantities`` call.  A paused mapping's location, fed by
        no other active mapping, is taken out of sale (0).

        :param settle: what an order import, edit, cancellation or poll left
            for this push to apply to the levels once it holds their locks
            (``shopify.inventory.level._synco_settle``)
        """
        existing = self.exists()
        if not existing:  # unbound while the push waited
            return self.env._("Nothing to push: the products are no longer bound.")
        shop = existing.shop_id
        shop.ensure_one()
        # a refresh reads Shopify first, a settle is this job's own: neither
        # takes over the plain pushes pending
        taken = (
            self.browse() if refresh or settle else existing._take_over_pending_pushes()
        )
        bindings = (
            (existing | taken)
            .exists()
            .filtered(lambda b: b.active and not b.shopify_bundle)
        )
        mappings = shop._synco_pushed_mappings()
        if not (bindings and shop.active and mappings) or not (
            bindings._push_allowed()
        ):
            if settle:  # nothing pushes these levels: settle them anyway
                existing.sudo().level_ids._synco_settle(settle)
            if not mappings:
                return self.env._("Nothing to push: the shop has no active mapping.")
            return self.env._("Nothing to push: binding or shop inactive/frozen.")
        targets = bindings._synco_push_targets(mappings)
        summary = shop._push_levels(
            targets,
            refresh=refresh,
            settle=settle,
            urgent=self._synco_job_urgent(taken),
        ).summary()
        if taken:
            summary += " " + self.env._(
                "(with %(count)s product(s) of pending pushes taken over)",
                count=len(taken - self),
            )
        return summary

    def _push_allowed(self):
        shop = self.shop_id
        shop.ensure_one()
        return not shop.sync_frozen and shop.policy_inventory == "odoo_to_shopify"


def _refresh_kwargs(refresh):
    """Job arguments: a plain push keeps the signature it always had."""
    return {"refresh": True} if refresh else {}
