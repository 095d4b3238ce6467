# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL


class ShopifyBufferRule(models.Model):
    """Safety stock withheld from Shopify, as a percentage and/or units.

    A rule applies to a shop, optionally narrowed to one mapping and to a
    product category (and its sub-categories) or a single product.  For each
    product at each mapping the most specific matching rule wins, and only
    that one applies (rules never add up):

    product > category (the nearest one) > shop-wide; on a tie, a rule naming
    the mapping beats the one that does not.
    """

    _name = "shopify.buffer.rule"
    _description = "Shopify Safety Buffer Rule"
    _order = "shop_id, sequence, id"
    _check_company_auto = True

    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    mapping_id = fields.Many2one(
        "shopify.location.mapping",
        ondelete="cascade",
        domain="[('shop_id', '=', shop_id)]",
        help="Leave empty to apply to every mapping of the shop.",
    )
    product_categ_id = fields.Many2one(
        "product.category",
        string="Product Category",
        help="Applies to the category and its sub-categories.",
    )
    product_id = fields.Many2one("product.product", check_company=True)
    buffer_percent = fields.Float(
        string="Buffer (%)",
        help="Share of the available quantity withheld, applied first.",
    )
    buffer_units = fields.Float(
        string="Buffer (units)",
        help="Units withheld after the percentage.",
    )
    level = fields.Selection(
        [
            ("shop", "Shop"),
            ("mapping", "Mapping"),
            ("category", "Product category"),
            ("product", "Product"),
        ],
        compute="_compute_level",
        store=True,
    )

    _scope_uniq = models.UniqueIndex(
        "(shop_id, COALESCE(mapping_id, 0), COALESCE(product_categ_id, 0), "
        "COALESCE(product_id, 0)) WHERE active",
        "There is already an active buffer rule for this scope.",
    )

    @api.depends("mapping_id", "product_categ_id", "product_id")
    def _compute_level(self):
        for rule in self:
            if rule.product_id:
                rule.level = "product"
            elif rule.product_categ_id:
                rule.level = "category"
            elif rule.mapping_id:
                rule.level = "mapping"
            else:
                rule.level = "shop"

    @api.depends("level", "buffer_percent", "buffer_units")
    def _compute_display_name(self):
        for rule in self:
            scope = (
                rule.product_id.display_name
                or rule.product_categ_id.display_name
                or rule.mapping_id.display_name
                or rule.shop_id.display_name
            )
            rule.display_name = (
                f"{scope}: {rule.buffer_percent:g} % + {rule.buffer_units:g}"
            )

    @api.constrains("buffer_percent", "buffer_units")
    def _check_buffer(self):
        for rule in self:
            if not 0 <= rule.buffer_percent <= 100:
                raise ValidationError(
                    self.env._(
                        "A buffer of %(percent)s %% is impossible: it must lie "
                        "between 0 and 100 %%.",
                        percent=rule.buffer_percent,
                    )
                )
            if rule.buffer_units < 0:
                raise ValidationError(
                    self.env._("A buffer can't be a negative number of units.")
                )

    @api.constrains("mapping_id", "shop_id")
    def _check_mapping_shop(self):
        for rule in self:
            if rule.mapping_id and rule.mapping_id.shop_id != rule.shop_id:
                raise ValidationError(
                    self.env._("The buffer's mapping belongs to another shop.")
                )

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        rules._synco_push_scope()
        return rules

    def write(self, vals):
        self._synco_push_scope()  # what the rules covered before
        res = super().write(vals)
        self._synco_push_scope()
        return res

    def unlink(self):
        self._synco_push_scope()
        return super().unlink()

    def _synco_push_scope(self):
        """Push the products these rules cover, at commit.

        A product rule moves one product, a category rule the category's
        products, a shop or mapping rule every bound product of the shop
        (in batches of 250 levels).
        """
        Binding = self.env["shopify.product.binding"]
        for shop in self.shop_id:
            rules = self.filtered(lambda r, s=shop: r.shop_id == s)
            if rules.filtered(lambda r: not r.product_id and not r.product_categ_id):
                Binding._synco_config_changed(shops=shop)
                continue
            products = rules.product_id
            if rules.product_categ_id:
                products |= self.env["product.product"].search(
                    [("categ_id", "child_of", rules.product_categ_id.ids)]
                )
            Binding._synco_config_changed(shops=shop, products=products)

    def _specificity(self, categ_depth):
        """Sort key: a higher tuple is a more specific rule."""
        return (
            bool(self.product_id),
            categ_depth if self.product_categ_id else -1,
            bool(self.mapping_id),
        )

    @api.model
    def _get_buffers(self, mappings, products):
        """{(mapping id, product id): (percent, units)} for every pair."""
        winners = self._synco_winning_rule_ids(mappings, products)
        rules = self.browse({rule_id for rule_id in winners.values() if rule_id})
        buffers = {rule.id: (rule.buffer_percent, rule.buffer_units) for rule in rules}
        buffers[0] = (0.0, 0.0)
        return {key: buffers[rule_id] for key, rule_id in winners.items()}

    @api.model
    def _get_buffer_rules(self, mappings, products):
        """{(mapping id, product id): the winning rule, or None} for every pair.

        The push reads its buffers from the same winners (``_get_buffers``),
        and "why this number?" the rule it names as the winner.
        """
        winners = self._synco_winning_rule_ids(mappings, products)
        rules = {rule.id: rule for rule in self.browse(set(winners.values()) - {0})}
        return {key: rules.get(rule_id) for key, rule_id in winners.items()}

    @api.model
    def _synco_winning_rule_ids(self, mappings, products):
        """{(mapping id, product id): id of the winning rule, 0 for none}.

        Rules are few, products many: the candidate rules are ranked once per
        (mapping, category), and each product only looks up its own rule or
        its category's, as plain ids (no record per product).
        """
        rules = self.search([("shop_id", "in", mappings.shop_id.ids)])
        product_categ = self._synco_product_categories(products)
        categ_chain = {}
        for categ in self.env["product.category"].browse(
            set(product_categ.values()) - {None}
        ):
            # a category's depth in the tree is its specificity: nearest wins
            chain = [int(x) for x in categ.parent_path.split("/") if x]
            categ_chain[categ.id] = {cid: depth for depth, cid in enumerate(chain)}
        result = {}
        for mapping in mappings:
            shop_rules = rules.filtered(
                lambda r, m=mapping: (
                    r.shop_id == m.shop_id and (not r.mapping_id or r.mapping_id == m)
                )
            )
            product_rules = {}
            for rule in shop_rules.filtered("product_id"):
                current = product_rules.get(rule.product_id.id)
                if not current or rule._specificity(0) > current._specificity(0):
                    product_rules[rule.product_id.id] = rule
            general = shop_rules.filtered(lambda r: not r.product_id)
            by_categ = {
                categ_id: self._synco_category_winner(
                    general, categ_chain.get(categ_id)
                )
                for categ_id in set(product_categ.values())
            }
            by_product = {pid: rule.id for pid, rule in product_rules.items()}
            mapping_id = mapping.id
            for pid, categ_id in product_categ.items():
                result[mapping_id, pid] = by_product.get(pid) or by_categ[categ_id]
        return result

    @api.model
    def _synco_category_winner(self, general, depths):
        """Id of the rule of ``general`` (no product) that wins for a product
        of the category whose chain is ``depths`` ({category id: depth}), or 0.
        """
        depths = depths or {}
        candidates = [
            (rule._specificity(depths.get(rule.product_categ_id.id, -1)), rule)
            for rule in general
            if not rule.product_categ_id or rule.product_categ_id.id in depths
        ]
        return max(candidates, key=lambda c: c[0])[1].id if candidates else 0

    @api.model
    def _synco_product_categories(self, products):
        """{product id: category id (or None)}, in one query whatever the
        number of products (``categ_id`` is related through the template)."""
        if not products:
            return {}
        self.env["product.product"].flush_model(["product_tmpl_id"])
        self.env["product.template"].flush_model(["categ_id"])
        rows = self.env.execute_query(
            SQL(
                "SELECT pp.id, pt.categ_id FROM product_product pp "
                "JOIN product_template pt ON pt.id = pp.product_tmpl_id "
                "WHERE pp.id = ANY(%s)",
                products.ids,
            )
        )
        categories = dict(rows)
        return {pid: categories.get(pid) for pid in products.ids}

    @api.model
    def _synco_explain_buffer(self, mapping, product):
        """The buffer rule that applies to ``product`` at ``mapping``, and why.

        The winner is the one the push uses (``_get_buffer_rules``); every
        other rule that matches the product is listed with the reason it lost.

        :return: {"rule": winning rule or None, "others": [(rule, reason)]}
        """
        rule = self._get_buffer_rules(mapping, product)[mapping.id, product.id]
        categ = product.categ_id
        depths = {
            int(cid): depth
            for depth, cid in enumerate(
                x for x in (categ.parent_path or "").split("/") if x
            )
        }
        others = []
        candidates = self.search(
            [
                ("shop_id", "=", mapping.shop_id.id),
                ("mapping_id", "in", [False, mapping.id]),
                ("id", "!=", rule.id if rule else 0),
            ]
        )
        for other in candidates:
            if other.product_id and other.product_id != product:
                continue
            if other.product_categ_id and other.product_categ_id.id not in depths:
                continue
            others.append((other, rule._synco_beats(other, depths) if rule else ""))
        return {"rule": rule, "others": others}

    def _synco_alert_key(self):
        """(product, Shopify location, subject) of this rule's alerts: its scope,
        which stays the same when its percentage or units are edited."""
        self.ensure_one()
        return (
            self.product_id or None,
            self.mapping_id.shopify_location_id or None,
            self.product_categ_id.display_name or None,
        )

    def _synco_beats(self, other, depths):
        """Why this rule (the winner) is preferred to ``other``."""
        self.ensure_one()
        if self.product_id and not other.product_id:
            return self.env._(
                "A rule for the product itself beats any category or shop-wide rule."
            )
        if self.product_categ_id and not other.product_categ_id:
            return self.env._(
                "A category rule beats a rule that names no product or category."
            )
        if (
            self.product_categ_id
            and other.product_categ_id
            and self.product_categ_id != other.product_categ_id
        ):
            return self.env._(
                "%(near)s is nearer to the product than %(far)s: the nearest "
                "category wins.",
                near=self.product_categ_id.display_name,
                far=other.product_categ_id.display_name,
            )
        return self.env._(
            "Both cover the product alike: the rule naming this mapping beats the "
            "shop-wide one."
        )
