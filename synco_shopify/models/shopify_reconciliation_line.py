# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from ..lib import reconciliation as engine

ACTIONS = [
    ("in_sync", "In sync"),
    ("push", "Drift corrected"),
    ("within_threshold", "Within threshold"),
    ("not_stocked", "Not stocked in Shopify"),
    ("unmapped", "Skipped: location not mapped"),
    ("frozen", "Skipped: shop frozen"),
    ("snapshot", "Snapshot"),
]
OUTCOMES = [
    ("none", "No write"),
    ("dry_run", "Dry run: not written"),
    ("applied", "Written"),
    ("stale_resolved", "Written after a concurrent change"),
    ("activated", "Stocked and written"),
    ("unchanged", "Already right"),
    ("held", "Held: Shopify sale not in Odoo yet"),
    ("not_stocked", "Not stocked"),
    ("failed", "Failed"),
]


class ShopifyReconciliationLine(models.Model):
    _name = "shopify.reconciliation.line"
    _description = "Shopify Reconciliation Line"
    _inherit = ["shopify.figure.explained.mixin"]
    _order = "run_id desc, id"

    run_id = fields.Many2one(
        "shopify.reconciliation", required=True, ondelete="cascade", index=True
    )
    shop_id = fields.Many2one(related="run_id.shop_id")
    binding_id = fields.Many2one("shopify.product.binding", ondelete="cascade")
    product_id = fields.Many2one("product.product", index=True)
    sku = fields.Char(related="binding_id.sku", string="SKU")
    shopify_location_id = fields.Many2one("shopify.location", index=True)
    mapping_id = fields.Many2one("shopify.location.mapping", ondelete="set null")
    expected = fields.Integer(help="Odoo's figure for Shopify.")
    shopify_before = fields.Integer()
    delta = fields.Integer(help="Expected minus what Shopify showed.")
    action = fields.Selection(ACTIONS, index=True)
    outcome = fields.Selection(OUTCOMES)
    message = fields.Char()

    @api.model
    def _synco_copy(self, run, rows):
        """Copy the lines of ``run`` in bulk: a catalogue run has hundreds of
        thousands (``rows``: ``engine.Row``).

        ``COPY`` rather than ``INSERT``: the rows are written as text once,
        with no statement to build or parse per line.
        """
        if not rows:
            return
        self.env.flush_all()
        uid = self.env.uid
        now = fields.Datetime.to_string(fields.Datetime.now())
        fixed = (str(run.id), str(uid), str(uid), now, now)
        buffer = engine.copy_lines(rows, fixed)
        self.env.cr.copy_expert(
            "COPY shopify_reconciliation_line (run_id, create_uid, write_uid, "
            "create_date, write_date, binding_id, product_id, "
            "shopify_location_id, mapping_id, expected, shopify_before, delta, "
            "action, outcome, message) FROM STDIN",
            buffer,
        )
        self.invalidate_model()
        run.invalidate_recordset(["line_ids"])
