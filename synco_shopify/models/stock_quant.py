# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models
from odoo.fields import Domain

# Every path that changes sellable stock ends in a quant write: moves done
# (_update_available_quantity), reservations (_update_reserved_quantity),
# inventory counts (_apply_inventory goes through a move).  The raw-SQL
# paths (_merge_quants, zero-quant clean-up) leave the totals unchanged.
# Each hook also reports how the free quantity (quantity - reserved) of its
# pairs moved: only a product whose free stock went down somewhere can
# lower a Shopify level (decreases first: ``shopify.push.priority``).
TRACKED_FIELDS = {"quantity", "reserved_quantity", "location_id", "product_id"}

# location ids a reservation never gathers from
CONTEXT_EXCLUDE = "synco_reserve_exclude"
# location ids a reservation gathers from exclusively (absent: no such limit)
CONTEXT_ONLY = "synco_reserve_only"


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model_create_multi
    def create(self, vals_list):
        quants = super().create(vals_list)
        quants._synco_track()
        return quants

    def write(self, vals):
        tracked = TRACKED_FIELDS & set(vals)
        if tracked:
            self._synco_track(sign=-1)  # the stock as it leaves
        res = super().write(vals)
        if tracked:
            self._synco_track()
        return res

    def unlink(self):
        self._synco_track(sign=-1)
        return super().unlink()

    def _synco_track(self, sign=1):
        """Report these quants' pairs, their free quantity counted ``sign``
        times: a write reports it before (-1) and after (+1)."""
        free = {}
        for quant in self:
            pair = (quant.product_id.id, quant.location_id.id)
            free[pair] = free.get(pair, 0.0) + sign * (
                quant.quantity - quant.reserved_quantity
            )
        Binding = self.env["shopify.product.binding"]
        Binding._synco_stock_changed(set(free))
        Binding._synco_free_changed(free)

    def _get_gather_domain(
        self,
        product_id,
        location_id,
        lot_id=None,
        package_id=None,
        owner_id=None,
        strict=False,
    ):
        """Odoo's quants to reserve from, within the scope in context.

        What counts is what can be reserved.  A mapping counts its sources'
        internal quants minus its excluded zones.  If Odoo reserved a Shopify
        order from a quarantine that Shopify never counted, defective stock
        would ship, Odoo's figure would not move (only an excluded zone was
        touched), nothing would be pushed and Shopify would show the units
        twice.  So the reservation itself is scoped, the way
        ``product_expiry`` keeps expired lots out: ``stock.move`` puts the
        scope in the context around its reservation, this applies it, and
        Odoo's own removal strategy (FIFO, FEFO, closest, least packages)
        chooses inside it.
        """
        domain = super()._get_gather_domain(
            product_id, location_id, lot_id, package_id, owner_id, strict
        )
        excluded = self.env.context.get(CONTEXT_EXCLUDE)
        if excluded:
            domain &= Domain("location_id", "not in", list(excluded))
        allowed = self.env.context.get(CONTEXT_ONLY)
        if allowed is not None:
            domain &= Domain("location_id", "in", list(allowed))
        return domain
