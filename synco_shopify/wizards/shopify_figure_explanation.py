# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from odoo import api, fields, models

from ..lib import availability


class ShopifyFigureExplanation(models.TransientModel):
    """ "Why this number?": one product at one Shopify location, spelled out.

    Nothing here computes a figure: every value shown is read from the steps
    the push itself runs (``shopify.location.mapping._synco_free_by_source``,
    ``_synco_read_quants``, ``shopify.buffer.rule._get_buffer_rules``,
    ``lib.availability``), and the final figure is the one
    ``_compute_shopify_available`` returns.
    """

    _name = "shopify.figure.explanation"
    _description = "Shopify Figure Explained"
    _order = "shop_id, shopify_location_id, product_id"

    product_id = fields.Many2one("product.product", required=True, readonly=True)
    shopify_location_id = fields.Many2one(
        "shopify.location", required=True, readonly=True
    )
    shop_id = fields.Many2one(related="shopify_location_id.shop_id")
    mapping_id = fields.Many2one(
        "shopify.location.mapping",
        compute="_compute_figures",
        help="The mapping whose figure Shopify shows at this location.",
    )
    level_id = fields.Many2one("shopify.inventory.level", compute="_compute_figures")
    odoo_qty = fields.Integer(
        string="Odoo's Figure",
        compute="_compute_figures",
        help="What Odoo's stock gives now, buffer included, before held sales.",
    )
    held_qty = fields.Integer(
        string="Held Shopify Sales",
        compute="_compute_figures",
        help="Units Shopify sold whose order Odoo has not imported yet.",
    )
    target_qty = fields.Integer(
        string="A Push Writes",
        compute="_compute_figures",
        help="Odoo's figure minus the held sales: what the next push writes.",
    )
    shopify_qty = fields.Integer(
        string="Shopify (last known)",
        related="level_id.shopify_available",
    )
    shopify_known = fields.Boolean(related="level_id.shopify_known")
    last_push_date = fields.Datetime(related="level_id.last_push_date")
    last_outcome = fields.Selection(related="level_id.last_outcome")
    status = fields.Selection(
        [
            ("active", "Pushed"),
            ("paused", "Paused: taken out of sale"),
            ("draft", "Draft mapping: dry run only"),
            ("none", "No mapping"),
        ],
        compute="_compute_figures",
    )
    explanation_html = fields.Html(
        string="Explanation", compute="_compute_explanation_html", sanitize=False
    )

    @api.depends("product_id", "shopify_location_id")
    def _compute_display_name(self):
        for line in self:
            line.display_name = self.env._(
                "Why this number? %(product)s at %(location)s",
                product=line.product_id.display_name,
                location=line.shopify_location_id.name,
            )

    @api.depends("product_id", "shopify_location_id")
    def _compute_figures(self):
        """Batched: one engine run per set of mappings, not one per line."""
        Level = self.env["shopify.inventory.level"].sudo()
        levels = {
            (lvl.product_id, lvl.shopify_location_id): lvl
            for lvl in Level.search(
                [
                    ("product_id", "in", self.product_id.ids),
                    ("shopify_location_id", "in", self.shopify_location_id.ids),
                ]
            )
        }
        todo = defaultdict(lambda: self.env["product.product"])
        for line in self:
            mapping, status = line._synco_mapping()
            line.mapping_id = mapping
            line.status = status
            line.level_id = levels.get((line.product_id, line.shopify_location_id))
            if status in ("active", "draft"):
                todo[mapping] |= line.product_id
        figures = {}
        for mapping, products in todo.items():
            figures[mapping] = mapping._compute_shopify_available(products)[mapping]
        for line in self:
            odoo_qty = 0
            if line.status in ("active", "draft"):
                odoo_qty = figures[line.mapping_id][line.product_id.id]
            line.odoo_qty = odoo_qty
            line.held_qty = line.level_id.held_qty
            line.target_qty = (
                line.level_id._synco_target(odoo_qty) if line.level_id else odoo_qty
            )

    @api.depends("product_id", "shopify_location_id")
    def _compute_explanation_html(self):
        for line in self:
            line.explanation_html = self.env["ir.qweb"]._render(
                "synco_shopify.figure_explanation", {"why": line._synco_explain()}
            )

    def action_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Why This Number?"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    @api.model
    def _synco_open(self, pairs, title=None, as_list=False):
        """The action showing ``pairs`` [(product, shopify.location)].

        One pair opens its explanation (unless ``as_list``); several open a
        list to pick from.
        """
        lines = self.create(
            [
                {"product_id": product.id, "shopify_location_id": location.id}
                for product, location in dict.fromkeys(pairs)
            ]
        )
        if len(lines) == 1 and not as_list:
            return lines.action_open()
        return {
            "type": "ir.actions.act_window",
            "name": title or self.env._("Shopify Figures"),
            "res_model": self._name,
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", lines.ids)],
            "target": "current",
        }

    def _synco_mapping(self):
        """(mapping, status): which mapping sets the figure at the location.

        As the push decides it (``shopify.shop._synco_pushed_mappings``): the
        active mapping, else a paused one (0), else a draft one, which only a
        dry run reads.
        """
        self.ensure_one()
        mappings = self.shopify_location_id.shop_id.mapping_ids.filtered(
            lambda m: m.shopify_location_id == self.shopify_location_id
        )
        for state in ("active", "paused", "draft"):
            found = mappings.filtered(lambda m, s=state: m.state == s)[:1]
            if found:
                return found, state
        return mappings.browse(), "none"

    def _synco_explain(self):
        """Every step from quants to the figure pushed, as plain values.

        :return: a dict read by the ``synco_shopify.figure_explanation``
            template and by the tests
        """
        self.ensure_one()
        mapping, product = self.mapping_id, self.product_id
        why = {
            "line": self,
            "mapping": mapping,
            "product": product,
            "status": self.status,
            "sources": [],
            "excluded": [],
            "buffer": {},
            "steps": {},
            "notes": [],
        }
        if not mapping:
            return why
        counted = mapping._get_source_location_ids()
        zones = {}
        Location = self.env["stock.location"].sudo().with_context(active_test=False)
        for zone in mapping.excluded_location_ids:
            zones[zone] = set(Location.search([("id", "child_of", zone.id)]).ids)
        location_ids = set().union(*counted.values(), *zones.values())
        rows = {
            location_id: (quantity, reserved)
            for _p, location_id, quantity, reserved in mapping._synco_read_quants(
                product, location_ids
            )
        }

        def quants(ids):
            lines = [
                {
                    "location": Location.browse(location_id),
                    "quantity": rows[location_id][0],
                    "reserved": rows[location_id][1],
                    "free": rows[location_id][0] - rows[location_id][1],
                }
                for location_id in sorted(ids & rows.keys())
            ]
            return sorted(lines, key=lambda q: q["location"].complete_name or "")

        free = mapping._synco_free_by_source(product)
        for source in mapping.source_ids:
            source_quants = quants(counted[source])
            why["sources"].append(
                {
                    "source": source,
                    "quants": source_quants,
                    "quantity": sum(q["quantity"] for q in source_quants),
                    "reserved": sum(q["reserved"] for q in source_quants),
                    "free": free[mapping, source, product.id],
                }
            )
        for zone, ids in zones.items():
            zone_quants = quants(ids)
            why["excluded"].append(
                {
                    "zone": zone,
                    "quants": zone_quants,
                    "quantity": sum(q["quantity"] for q in zone_quants),
                    "free": sum(q["free"] for q in zone_quants),
                }
            )
        Rule = self.env["shopify.buffer.rule"]
        why["buffer"] = Rule._synco_explain_buffer(mapping, product)
        rule = why["buffer"]["rule"]
        why["buffer"]["level"] = rule and _selection_label(rule, "level")
        why["steps"] = availability.explain(
            [s["free"] for s in why["sources"]],
            mapping.aggregation,
            rule.buffer_percent if rule else 0.0,
            rule.buffer_units if rule else 0.0,
        )
        why["aggregation"] = _selection_label(mapping, "aggregation")
        why["odoo_qty"] = self.odoo_qty
        why["notes"] = mapping._synco_explain_notes(product, free)
        why["last_drop"] = self.level_id._synco_drop_message() if self.level_id else ""
        return why


def _selection_label(record, field_name):
    field = record._fields[field_name]
    return dict(field._description_selection(record.env))[record[field_name]]
