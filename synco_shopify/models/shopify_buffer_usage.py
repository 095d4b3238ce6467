# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Buffer utilisation: is each safety buffer ever used, or does it only hide stock?

The guide's fourth weekly check: "a 50-unit buffer on stock that never gets
within 50 of zero hides real inventory".  Nothing else records the figure
before the buffer, so a daily snapshot does: per shop, mapping, winning
buffer rule and day, how many products the rule covered, how many came
within the buffer of zero, and the units it withheld.  The weekly digest
reads the last seven days of snapshots.
"""

from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib import availability

# days of snapshots a rule needs before it can be called "never used"
FULL_WEEK = 7


class ShopifyBufferUsage(models.Model):
    """One day of one buffer rule at one mapping.

    Recorded in bulk by :meth:`_synco_record` from the same steps the push
    runs: the free stock per source (``_synco_free_by_source``), the
    mapping's aggregation (the pre-buffer figure), and the rule that wins for
    each product (``shopify.buffer.rule._get_buffer_rules``, so a product,
    category, mapping or shop-wide rule is credited exactly where it is the
    one applied; a rule that loses everywhere covers nothing).

    An *observation* is one bound product at one mapping on one day; it is
    *near zero* when its pre-buffer figure came within the buffer of zero
    (nothing left to offer once the buffer is withheld, see
    ``lib.availability.buffer_usage``).
    """

    _name = "shopify.buffer.usage"
    _description = "Shopify Buffer Usage (daily)"
    _order = "date desc, shop_id, buffer_rule_id, mapping_id"

    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True)
    date = fields.Date(required=True, index=True, readonly=True)
    mapping_id = fields.Many2one(
        "shopify.location.mapping", required=True, ondelete="cascade", readonly=True
    )
    shopify_location_id = fields.Many2one(
        related="mapping_id.shopify_location_id", store=True
    )
    buffer_rule_id = fields.Many2one(
        "shopify.buffer.rule",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    product_count = fields.Integer(
        string="Products Covered",
        readonly=True,
        help="Bound products at this mapping for which this rule was the one "
        "applied that day.",
    )
    near_zero_count = fields.Integer(
        string="Near Zero",
        readonly=True,
        help="Of those, the products whose figure before the buffer came within "
        "the buffer of zero: once withheld, nothing was left to offer.",
    )
    withheld_units = fields.Float(
        string="Units Withheld",
        readonly=True,
        help="What Shopify would have been offered without the buffer minus "
        "what it was offered with it, summed over the products.",
    )

    _rule_mapping_day_uniq = models.Constraint(
        "UNIQUE (buffer_rule_id, mapping_id, date)",
        "One buffer usage record per rule, mapping and day.",
    )

    @api.model
    def _synco_record(self, shop, day=None):
        """Record ``day``'s usage of every buffer rule of ``shop``.

        Today's snapshot (in the shop's timezone) by default; recording a day
        again replaces it.  The active mappings and the shop's active bindings
        are read in one pass: a bounded number of queries whatever the size
        of the catalogue (one grouped read of the quants, one of the rules'
        products and categories).

        :return: the records written
        """
        usage, shop = self.sudo(), shop.sudo()
        day = day or fields.Date.context_today(shop.with_context(tz=shop.tz))
        mappings = shop.mapping_ids.filtered(lambda m: m.state == "active")
        products = usage._synco_bound_products(shop)
        stats = usage._synco_count(mappings, products) if products else {}
        usage.search([("shop_id", "=", shop.id), ("date", "=", day)]).unlink()
        return usage.create(
            [
                {
                    "shop_id": shop.id,
                    "date": day,
                    "buffer_rule_id": rule_id,
                    "mapping_id": mapping_id,
                    "product_count": covered,
                    "near_zero_count": near,
                    "withheld_units": withheld,
                }
                for (rule_id, mapping_id), (covered, near, withheld) in stats.items()
            ]
        )

    @api.model
    def _synco_count(self, mappings, products):
        """{(rule id, mapping id): [covered, near zero, units withheld]}.

        The push's own steps: one read of the free stock per source for every
        mapping and product, the winning rule of each pair, then the plain
        arithmetic of ``lib.availability`` on the pre-buffer figure.  Pairs
        no rule covers are left out.
        """
        stats = defaultdict(lambda: [0, 0, 0.0])
        free = mappings._synco_free_by_source(products)
        rules = self.env["shopify.buffer.rule"]._get_buffer_rules(mappings, products)
        buffers = {
            rule: (rule.buffer_percent, rule.buffer_units)
            for rule in set(rules.values())
            if rule
        }
        for mapping in mappings:
            sources = mapping.source_ids
            for product_id in products.ids:
                rule = rules[mapping.id, product_id]
                if not rule:
                    continue
                pre_buffer = availability.aggregate(
                    [free[mapping, s, product_id] for s in sources],
                    mapping.aggregation,
                )
                near, withheld = availability.buffer_usage(pre_buffer, *buffers[rule])
                counts = stats[rule.id, mapping.id]
                counts[0] += 1
                counts[1] += near
                counts[2] += withheld
        return stats

    @api.model
    def _synco_bound_products(self, shop):
        """The products of the shop's active bindings, in one query."""
        self.env["shopify.product.binding"].flush_model(
            ["shop_id", "product_id", "active"]
        )
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT product_id FROM shopify_product_binding "
                "WHERE shop_id = %s AND active ORDER BY product_id",
                shop.id,
            )
        )
        return self.env["product.product"].browse(
            [row[0] for row in self.env.cr.fetchall()]
        )

    @api.model
    def _synco_week(self, shop, day):
        """Each rule's last seven days up to ``day`` (included), in one query.

        :return: ``(days with a snapshot, [figures per rule])``, the figures
            a dict: ``rule`` (record), ``days`` (days the rule was recorded),
            ``near_days`` (days on which at least one of its products came
            within the buffer of zero), ``near_percent`` (the share of its
            observations, product × mapping × day, near zero), ``withheld``
            (units withheld per recorded day, on average), ``never_used``
            (a full week recorded, never near zero, units withheld).

        A day without a snapshot counts neither as used nor as unused: it is
        left out of the shares, and a rule missing a day of the week is not
        called never used.  Rules archived since are left out.
        """
        self.flush_model()
        first = day - timedelta(days=FULL_WEEK - 1)
        self.env.cr.execute(
            SQL(
                """
                SELECT buffer_rule_id,
                       COUNT(DISTINCT date),
                       COUNT(DISTINCT date) FILTER (WHERE near_zero_count > 0),
                       SUM(product_count), SUM(near_zero_count),
                       SUM(withheld_units),
                       (SELECT COUNT(DISTINCT date) FROM shopify_buffer_usage
                         WHERE shop_id = %(shop)s
                           AND date BETWEEN %(first)s AND %(last)s)
                  FROM shopify_buffer_usage
                 WHERE shop_id = %(shop)s AND date BETWEEN %(first)s AND %(last)s
                 GROUP BY buffer_rule_id
                """,
                shop=shop.id,
                first=first,
                last=day,
            )
        )
        rows = self.env.cr.fetchall()
        Rule = self.env["shopify.buffer.rule"].sudo().with_context(active_test=False)
        rules = Rule.browse([row[0] for row in rows])  # prefetched together
        result = []
        for rule, row in zip(rules, rows, strict=True):
            _id, days, near_days, covered, near, withheld, _days = row
            if not rule.active:
                continue  # archived since: no longer judged
            average = (withheld or 0.0) / days
            result.append(
                {
                    "rule": rule,
                    "days": days,
                    "near_days": near_days,
                    "near_percent": 100.0 * near / covered if covered else 0.0,
                    "withheld": average,
                    "never_used": days >= FULL_WEEK and not near_days and average > 0,
                }
            )
        return (rows[0][6] if rows else 0), result
