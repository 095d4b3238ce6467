# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Decreases first: the order in which pushes wait (issue 24).

Mixed into ``shopify.product.binding``, whose enqueuers and take-over ask
it: ``self`` is bindings.

A push that lowers a Shopify level takes risk away (Shopify offers units
Odoo no longer has until it lands); one that raises it only adds sales.
So at enqueue time, once per commit, Odoo's new figures are compared with
what Shopify is known to hold (``lib.push.lowers``): the pushes that lower
a level get a queue_job priority of their own (the runner takes a
channel's pending jobs by priority, then date), identity keys of their own
(they never collapse into a push that waits), and short retries; the
others wait a short window, so that in a burst one running push takes
many of them over and writes them in one call per 250 levels.  Held
units, compare-and-set and idempotency are the push's own: unchanged.

``synco_shopify.push_decreases_first`` = ``0`` turns it off: every push
as before (one priority, no window).
"""

import datetime

from odoo import models
from odoo.tools import SQL

DECREASES_FIRST_PARAM = "synco_shopify.push_decreases_first"
DECREASE_PRIORITY = 5  # queue_job runs the smaller first; its default is 10
# the other pushes wait this long (seconds), so that a running push takes
# them over together
INCREASE_WINDOW_PARAM = "synco_shopify.push_increase_window"
INCREASE_WINDOW = 1.0
# the direction of a bigger commit is not read (a shop-wide change)
LOWERING_LIMIT = 2000


class ShopifyPushPriority(models.AbstractModel):
    _name = "shopify.push.priority"
    _description = "Shopify Push Priority (binding mixin)"

    def _synco_push_groups(self, refresh=False, candidates=None):
        """These bindings (of one shop) by the urgency of their push:
        ``[(bindings, job options)]``.

        The pushes that lower a level Shopify holds run first under
        identity keys of their own; the others wait
        ``synco_shopify.push_increase_window`` seconds.  A refresh reads
        Shopify first, its direction is unknown: as before.

        :param candidates: the bindings whose push may lower a level (None:
            any): only a product whose free stock went down, or whose
            configuration changed, can (the figure never falls when free
            stock rises), so a receipt or a delivery validated after its
            reservation reads nothing
        """
        if refresh or not self._synco_decreases_first():
            return [(self, {})]
        maybe = self if candidates is None else self & candidates
        lowering = maybe._synco_lowering() if maybe else self.browse()
        window = self._synco_increase_window()
        later = {"eta": datetime.timedelta(seconds=window)} if window > 0 else {}
        groups = [(lowering, {"priority": DECREASE_PRIORITY}), (self - lowering, later)]
        return [(bindings, urgency) for bindings, urgency in groups if bindings]

    def _synco_lowering(self):
        """Those of these bindings (of one shop) whose push lowers a level
        Shopify holds: Odoo's figures now against our last write or read
        (``shopify.inventory.level._synco_lowered_bindings``).

        Once per commit: one availability aggregate and one read of the
        levels, whatever the number of products.
        """
        mappings = self.shop_id[:1]._synco_pushed_mappings()
        if not mappings or len(self) > LOWERING_LIMIT:
            return self.browse()
        targets = {
            (binding.id, location.id): figure
            for binding, per_location in self._synco_push_targets(mappings).items()
            for location, figure in per_location.items()
        }
        Level = self.env["shopify.inventory.level"].sudo()
        ids = Level._synco_lowered_bindings(targets)
        return self.filtered(lambda b: b.id in ids)

    def _synco_correction_urgency(self, lowers):
        """The job options of a corrective push whose direction is known
        (a level webhook showed Shopify above or below Odoo's figure): one
        that ``lowers`` the level goes first, as a decrease does."""
        if lowers and self._synco_decreases_first():
            return {"priority": DECREASE_PRIORITY}
        return None

    def _synco_decreases_first(self):
        params = self.env["ir.config_parameter"].sudo()
        return params.get_param(DECREASES_FIRST_PARAM, "1") != "0"

    def _synco_increase_window(self):
        """How long the pushes that don't go first wait (seconds; 0 with
        decreases first off): a running push takes over those within it."""
        if not self._synco_decreases_first():
            return 0.0
        params = self.env["ir.config_parameter"].sudo()
        return max(0.0, float(params.get_param(INCREASE_WINDOW_PARAM, INCREASE_WINDOW)))

    def _synco_push_kind(self, kind, urgency):
        """The identity key's kind: a push that goes first has its own."""
        if (urgency or {}).get("priority"):
            return kind.replace("push", "push_first", 1)
        return kind

    def _synco_job_urgent(self):
        """Whether the job running this push goes first: its retries then
        come sooner (``shopify.shop._push_levels``)."""
        job_uuid = self.env.context.get("job_uuid")
        if not job_uuid:
            return False
        self.env.cr.execute(
            SQL("SELECT priority FROM queue_job WHERE uuid = %s", job_uuid)
        )
        row = self.env.cr.fetchone()
        return bool(row) and row[0] <= DECREASE_PRIORITY
