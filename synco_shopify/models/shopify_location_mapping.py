# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

from ..lib import availability
from .shopify_location_mapping_source import COUNTED_USAGE

# what a push writes: active mappings, and paused ones (their location: 0)
PUSHED_STATES = ("active", "paused")
# the mapping fields that change the figures Shopify shows
PUSH_FIELDS = {
    "state",
    "source_ids",
    "excluded_location_ids",
    "aggregation",
    "shopify_location_id",
    "show_withheld_stock",
}


def _in_subtree(location, ancestor):
    """Whether ``location`` is ``ancestor`` or one of its descendants."""
    return location.parent_path.startswith(ancestor.parent_path)


class ShopifyLocationMapping(models.Model):
    """Which Odoo stock feeds one Shopify location, and how it is combined.

    One-to-one: one source, a warehouse's stock location.  One-to-many: several
    bins of a warehouse, with quarantine or reserve zones excluded.
    Many-to-one: several warehouses or suppliers combined by the aggregation
    rule (``sum`` for a 3PL pool, ``max`` for drop-ship suppliers).
    """

    _name = "shopify.location.mapping"
    _description = "Shopify Location Mapping"
    _inherit = ["shopify.uncounted.stock"]
    _order = "shop_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True, readonly=False)
    sequence = fields.Integer(default=10)
    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True)
    shopify_location_id = fields.Many2one(
        "shopify.location",
        required=True,
        ondelete="cascade",
        index=True,
        domain="[('shop_id', '=', shop_id)]",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("active", "Active"), ("paused", "Paused")],
        required=True,
        default="draft",
        copy=False,
        help="Only active mappings push to Shopify. Drafts can be dry-run.",
    )
    source_ids = fields.One2many(
        "shopify.location.mapping.source", "mapping_id", string="Sources", copy=True
    )
    excluded_location_ids = fields.Many2many(
        "stock.location",
        "shopify_mapping_excluded_location_rel",
        "mapping_id",
        "location_id",
        string="Excluded Locations",
        help="Subtrees that never count: quarantine, defective, safety reserve.",
    )
    aggregation = fields.Selection(
        [
            ("sum", "Sum (pooled stock)"),
            ("max", "Largest single source (drop-ship)"),
            ("min", "Smallest source"),
        ],
        required=True,
        default="sum",
        help="How the sources combine. Never sum drop-ship suppliers: an order "
        "can't be split between them, so use the largest single source.",
    )
    show_withheld_stock = fields.Boolean(
        string="Show Withheld Stock in Shopify",
        help="Show the units Odoo keeps out of sale in Shopify's Unavailable "
        "states: excluded zones as quality control (or damaged, as set on the "
        "zone), the buffer as safety stock. Switched off, Synco clears what "
        "it set.",
    )
    drift_threshold = fields.Integer(
        default=0,
        help="Reconciliation leaves a Shopify level alone when it differs from "
        "the expected one by at most this many units (0: exact).",
    )
    pattern = fields.Selection(
        [
            ("one_to_one", "One-to-one"),
            ("one_to_many", "One-to-many"),
            ("many_to_one", "Many-to-one"),
        ],
        compute="_compute_pattern",
    )
    shared_location_warning = fields.Text(compute="_compute_shared_location_warning")
    uncounted_qty = fields.Float(
        string="Uncounted Units",
        compute="_compute_uncounted",
        digits="Product Unit",
        help="Free units (on hand minus reserved) in the mapping's warehouses "
        "that neither this mapping nor another active mapping of the shop "
        "counts, excluded locations apart.",
    )
    uncounted_product_count = fields.Integer(
        string="Uncounted Products", compute="_compute_uncounted"
    )
    uncounted_location_ids = fields.Many2many(
        "stock.location",
        string="Uncounted Locations",
        compute="_compute_uncounted",
        help="Locations holding that stock.",
    )
    uncounted_receipt_location_ids = fields.Many2many(
        "stock.location",
        string="Uncounted Receipt Destinations",
        compute="_compute_uncounted",
        help="Where the warehouses' receipts land, when no mapping counts it.",
    )
    uncounted_warning = fields.Text(compute="_compute_uncounted")

    _drift_threshold_positive = models.Constraint(
        "CHECK (drift_threshold >= 0)", "The drift threshold can't be negative."
    )

    @api.depends("shopify_location_id.name")
    def _compute_name(self):
        for mapping in self:
            if not mapping.name and mapping.shopify_location_id:
                mapping.name = mapping.shopify_location_id.name

    @api.depends("source_ids.location_id", "excluded_location_ids")
    def _compute_pattern(self):
        for mapping in self:
            sources = mapping.source_ids.location_id
            warehouses = sources.warehouse_id
            if len(sources) > 1 and (
                len(warehouses) > 1 or "supplier" in sources.mapped("usage")
            ):
                mapping.pattern = "many_to_one"
            elif len(sources) > 1 or mapping.excluded_location_ids:
                mapping.pattern = "one_to_many"
            else:
                mapping.pattern = "one_to_one"

    @api.depends("source_ids.location_id", "excluded_location_ids", "state")
    def _compute_shared_location_warning(self):
        """Warn (without refusing) when stock is offered at two Shopify locations.

        A shop may share a retail store's stock with its online location on
        purpose, but the same units are then sold twice over: say so.
        """
        others = self.search([("state", "!=", "draft"), ("source_ids", "!=", False)])
        counted = {m: m._get_counted_location_ids() for m in others | self}
        for mapping in self:
            lines = []
            mine = counted[mapping]
            for other in others - mapping._origin:
                if mine & counted[other]:
                    lines.append(
                        self.env._(
                            "Some stock counted here is also offered at "
                            "%(location)s (%(shop)s): the same units can be sold "
                            "twice.",
                            location=other.shopify_location_id.name,
                            shop=other.shop_id.name,
                        )
                    )
            mapping.shared_location_warning = "\n".join(lines) or False

    @api.constrains("source_ids", "excluded_location_ids", "state")
    def _check_sources(self):
        for mapping in self:
            sources = mapping.source_ids.location_id
            if not sources:
                raise ValidationError(
                    self.env._(
                        "Mapping %(mapping)s has no source: add the warehouse, "
                        "locations or suppliers whose stock feeds it.",
                        mapping=mapping.display_name,
                    )
                )
            for source in mapping.source_ids:
                for other in mapping.source_ids - source:
                    if _in_subtree(source.location_id, other.location_id):
                        raise ValidationError(
                            self.env._(
                                "Mapping %(mapping)s would count %(location)s "
                                "twice: it is a source and lies inside the "
                                "source %(other)s.",
                                mapping=mapping.display_name,
                                location=source.location_id.display_name,
                                other=other.location_id.display_name,
                            )
                        )
            for excluded in mapping.excluded_location_ids:
                parents = sources.filtered(lambda s, e=excluded: _in_subtree(e, s))
                if not parents or excluded in sources:
                    raise ValidationError(
                        self.env._(
                            "Mapping %(mapping)s excludes %(location)s, which is "
                            "not inside any of its sources: only part of an "
                            "included location can be excluded.",
                            mapping=mapping.display_name,
                            location=excluded.display_name,
                        )
                    )

    @api.constrains("state", "shopify_location_id")
    def _check_one_active_per_location(self):
        for mapping in self.filtered(lambda m: m.state == "active"):
            clash = self.search(
                [
                    ("id", "!=", mapping.id),
                    ("state", "=", "active"),
                    ("shopify_location_id", "=", mapping.shopify_location_id.id),
                ],
                limit=1,
            )
            if clash:
                raise ValidationError(
                    self.env._(
                        "%(location)s already has an active mapping "
                        "(%(other)s): a Shopify location shows one figure, so "
                        "only one mapping can feed it.",
                        location=mapping.shopify_location_id.display_name,
                        other=clash.display_name,
                    )
                )

    @api.constrains("shop_id", "shopify_location_id")
    def _check_shop(self):
        for mapping in self:
            if mapping.shopify_location_id.shop_id != mapping.shop_id:
                raise ValidationError(
                    self.env._(
                        "%(location)s belongs to another shop.",
                        location=mapping.shopify_location_id.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        mappings = super().create(vals_list)
        self._invalidate_location_index()
        mappings._synco_push_figures()
        return mappings

    def write(self, vals):
        # a mapping leaving the active state (paused) changes figures too
        was_pushed = self.filtered(lambda m: m.state in PUSHED_STATES)
        res = super().write(vals)
        self._invalidate_location_index()
        if PUSH_FIELDS & set(vals):
            (was_pushed | self)._synco_push_figures()
        return res

    def unlink(self):
        res = super().unlink()
        self._invalidate_location_index()
        return res

    def _synco_push_figures(self):
        """The figures these mappings give have changed: push their shops.

        Every bound product may move (a new source, an exclusion, another
        rule): the shop's products are pushed at commit, in batches.
        """
        shops = self.filtered(lambda m: m.state in PUSHED_STATES).shop_id
        if shops:
            self.env["shopify.product.binding"]._synco_config_changed(shops=shops)

    def action_activate(self):
        self.state = "active"

    def action_pause(self):
        self.state = "paused"

    def action_draft(self):
        self.state = "draft"

    # ---------------------------------------------------------- change index
    @api.model
    @tools.ormcache()
    def _get_location_index(self):
        """{stock.location id: shop ids whose active mappings count it}.

        Consulted at the end of every transaction that moved stock, so it is
        cached per registry and dropped whenever mappings, their sources or
        the location tree change.
        """
        index = {}
        mappings = self.sudo().search(
            [("state", "=", "active"), ("shop_id.active", "=", True)]
        )
        Location = self.env["stock.location"].sudo()
        for mapping in mappings:
            counted = mapping._get_counted_location_ids()
            if mapping.show_withheld_stock and mapping.excluded_location_ids:
                # its excluded zones are shown in Shopify too (issue 22)
                counted |= set(
                    Location.search(
                        [("id", "child_of", mapping.excluded_location_ids.ids)]
                    ).ids
                )
            for location_id in counted:
                index.setdefault(location_id, set()).add(mapping.shop_id.id)
        return {loc: frozenset(shops) for loc, shops in index.items()}

    @api.model
    def _invalidate_location_index(self):
        self.env.registry.clear_cache()

    @api.model
    @tools.ormcache()
    def _get_reservation_index(self):
        """What the active mappings allow Odoo to reserve (see ``stock.move``).

        One immutable entry per active mapping of an active shop::

            (shop id, shop never picks excluded zones (bool),
             parent paths of the sources, counted location ids,
             ((parent path, location ids) of each excluded subtree, ...))

        Read by every reservation, so cached per registry with the location
        index and dropped with it (``_invalidate_location_index``).
        """
        index = []
        Location = self.env["stock.location"].sudo().with_context(active_test=False)
        mappings = self.sudo().search(
            [("state", "=", "active"), ("shop_id.active", "=", True)]
        )
        for mapping in mappings:
            zones = tuple(
                (
                    zone.parent_path,
                    frozenset(Location.search([("id", "child_of", zone.id)]).ids),
                )
                for zone in mapping.excluded_location_ids
            )
            index.append(
                (
                    mapping.shop_id.id,
                    mapping.shop_id.reserve_counted_stock_only,
                    tuple(mapping.source_ids.location_id.mapped("parent_path")),
                    frozenset(mapping._get_counted_location_ids()),
                    zones,
                )
            )
        return tuple(index)

    # ------------------------------------------------------------ availability
    def _get_source_location_ids(self):
        """{source: set of counted stock.location ids} for this mapping.

        Each source counts its subtree, restricted to the usage that holds
        sellable stock (internal below a warehouse, supplier for drop-ship;
        transit never), minus the excluded subtrees.
        """
        self.ensure_one()
        Location = self.env["stock.location"].sudo().with_context(active_test=False)
        excluded = set()
        if self.excluded_location_ids:
            excluded = set(
                Location.search(
                    [("id", "child_of", self.excluded_location_ids.ids)]
                ).ids
            )
        result = {}
        for source in self.source_ids:
            location = source.location_id
            usage = COUNTED_USAGE.get(location.usage)
            ids = Location.search(
                [("id", "child_of", location.id), ("usage", "=", usage)]
            ).ids
            result[source] = set(ids) - excluded
        return result

    def _get_counted_location_ids(self):
        self.ensure_one()
        return set().union(*self._get_source_location_ids().values())

    def _compute_shopify_available(self, products):
        """What each mapping should show in Shopify for each product.

        :param products: product.product recordset (any size)
        :return: {mapping: {product id: int}} — every product of ``products``
            gets a figure, 0 when it has no stock in the mapping's sources.

        One SQL aggregate of stock.quant covers every mapping, source and
        product (``_synco_free_table``), the buffers are resolved per rule
        rather than per record, and the per-product arithmetic runs on plain
        numbers (``availability.shopify_available_many``): reconciling a
        whole catalogue costs a handful of queries, not one per product.
        """
        table = self._synco_free_table(products)
        buffers = self.env["shopify.buffer.rule"]._get_buffers(self, products)
        product_ids = products.ids
        result = {}
        for mapping in self:
            result[mapping] = availability.shopify_available_many(
                product_ids,
                [table[mapping.id, sid] for sid in mapping.source_ids.ids],
                mapping.aggregation,
                [buffers[mapping.id, pid] for pid in product_ids],
            )
        return result

    def _synco_free_table(self, products):
        """{(mapping id, source id): {product id: free}} for these mappings.

        The figure of each product at each source, before the aggregation
        rule and the buffer: Σ (quantity − reserved) of its counted quants,
        summed by PostgreSQL for every mapping, source and product in one
        query.  Every (mapping, source) of ``self`` has a column; a product
        without counted stock there is absent from it (it reads 0).

        The extension point for products whose figure is not read from their
        own quants: ``synco_shopify_mrp`` swaps kits for their components,
        calls this, and builds the kits' figures from theirs.
        """
        keys = []  # column number → (mapping id, source id)
        location_keys = []  # (stock.location id, column number)
        for mapping in self:
            for source, location_ids in mapping._get_source_location_ids().items():
                location_keys += [(loc, len(keys)) for loc in location_ids]
                keys.append((mapping.id, source.id))
        table = {key: {} for key in keys}
        for column, product_id, quantity, reserved in self._synco_sum_quants(
            products, location_keys
        ):
            table[keys[column]][product_id] = quantity - reserved
        return table

    def _synco_free_by_source(self, products):
        """{(mapping, source, product id): free quantity} for these mappings.

        ``_synco_free_table`` keyed by records, as "why this number?" and the
        reports read it.  A defaultdict: a product without counted stock at a
        source reads 0.
        """
        table = self._synco_free_table(products)
        mappings = {mapping.id: mapping for mapping in self}
        sources = {source.id: source for source in self.source_ids}
        free = defaultdict(float)
        for (mapping_id, source_id), column in table.items():
            mapping, source = mappings[mapping_id], sources[source_id]
            for product_id, quantity in column.items():
                free[mapping, source, product_id] = quantity
        return free

    @api.model
    def _synco_read_quants(self, products, location_ids):
        """[(product id, location id, quantity, reserved)] summed per pair.

        The counted quants of one location each ("why this number?" reads
        the counted locations plus the excluded zones of one product).
        """
        rows = self._synco_sum_quants(
            products, [(location_id, location_id) for location_id in location_ids]
        )
        return [
            (product, location, qty, reserved)
            for location, product, qty, reserved in rows
        ]

    @api.model
    def _synco_sum_quants(self, products, location_keys):
        """[(key, product id, quantity, reserved)] summed per key and product.

        The one read of stock the figures come from.

        :param location_keys: iterable of (stock.location id, int key): the
            quants of each location are summed under its key (a location may
            carry several keys, one per mapping source counting it)
        :return: one row per (key, product) holding counted quants, the sums
            as floats

        The quants are those of ``_synco_quant_domain`` (the expiry bridge
        leaves out expired lots) for ``products``; PostgreSQL joins them to
        the keys and sums, so no quant or group becomes a record.
        """
        location_keys = list(location_keys)
        if not (products and location_keys):
            return []
        Quant = self.env["stock.quant"].sudo()
        Quant.flush_model(
            ["product_id", "location_id", "quantity", "reserved_quantity"]
        )
        query = Quant._search(
            Domain("product_id", "in", products.ids) & self._synco_quant_domain()
        )
        locations, keys = zip(*location_keys, strict=True)
        query.add_join(
            "JOIN",
            "synco_key",
            SQL(
                "(SELECT unnest(%s::int[]) AS location_id, unnest(%s::int[]) AS key)",
                list(locations),
                list(keys),
            ),
            SQL("synco_key.location_id = stock_quant.location_id"),
        )
        query.groupby = SQL("synco_key.key, stock_quant.product_id")
        return self.env.execute_query(
            query.select(
                SQL(
                    "synco_key.key, stock_quant.product_id, "
                    # a quant counted in inventory mode and not applied yet
                    # has no quantity (NULL): it holds nothing
                    "COALESCE(SUM(stock_quant.quantity), 0)::float8, "
                    "COALESCE(SUM(stock_quant.reserved_quantity), 0)::float8"
                )
            )
        )

    def _synco_explain_notes(self, product, free):
        """Lines "why this number?" adds for ``product`` at this mapping.

        :param free: what ``_synco_free_by_source`` returned for it
        :return: a list of strings (none here).  The hook for figures not
            read from the product's own quants: ``synco_shopify_mrp`` names
            the component that limits a kit at each source.
        """
        self.ensure_one()
        return []

    @api.model
    def _synco_quant_domain(self):
        """Extra conditions a quant must meet to count (all quants: TRUE).

        ``synco_shopify_product_expiry`` leaves out the lots past their
        removal date, which Odoo no longer reserves.
        """
        return Domain.TRUE

    # -------------------------------------------------------------- velocity
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
