# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shopify down for a while: told once, healed without anyone (issue 23).

Mixed into ``shopify.shop`` (``shopify_shop.py`` holds its fields): the
methods run on shop records, ``self`` is a shop.

While Shopify can't be reached (HTTP 5xx, timeouts, refused connections)
every job waits and runs again without spending a retry
(``job_errors.retryable_job_error``).  Each minute,
:meth:`_cron_check_reachability` asks each shop one cheap question (its
identity, as *Test Connection* reads it), without retrying; Shopify
unreachable means that question failing minute after minute:

* the first failure is remembered (a system parameter per shop, written
  only here: no job ever writes it, nothing contends for it);
* failing for ``synco_shopify.outage_alert_minutes`` (5) minutes opens one
  alert, "Shopify unreachable since …";
* the first answer afterwards resolves it, brings the waiting jobs of the
  shop forward to now, and pushes every level that changed meanwhile (the
  pushes compare Odoo's figures with the last ones written, as on resuming
  a frozen shop): Shopify is right within minutes, not at the nightly run.
"""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.queue_job.job import PENDING

from ..lib.shopify.errors import ShopifyError
from .job_errors import is_unreachable

_logger = logging.getLogger(__name__)

SINCE_PARAM = "synco_shopify.unreachable_since.%s"  # per shop id
ALERT_MINUTES_PARAM = "synco_shopify.outage_alert_minutes"
ALERT_MINUTES = 5.0
ALERT_KIND = "unreachable"


class ShopifyReachability(models.AbstractModel):
    _name = "shopify.reachability"
    _description = "Shopify Reachability (shop mixin)"

    @api.model
    def _cron_check_reachability(self):
        """Each minute: is every active shop's Shopify answering?"""
        for shop in self.search([("access_token", "!=", False)]):
            shop._synco_check_reachability()

    def _synco_unreachable_since(self):
        """When the calls to this shop started failing, or None."""
        self.ensure_one()
        value = self.env["ir.config_parameter"].sudo().get_param(SINCE_PARAM % self.id)
        return fields.Datetime.to_datetime(value) if value else None

    def _synco_check_reachability(self):
        """Ask Shopify once; open, keep or resolve the outage of this shop.

        :return: True when Shopify answered
        """
        self.ensure_one()
        params = self.env["ir.config_parameter"].sudo()
        since = self._synco_unreachable_since()
        now = fields.Datetime.now()
        try:
            client = self._get_client()
            client.max_retries = 0  # one question a minute: no retries
            client.shop_info()
        except UserError:
            return False  # no token: nothing to ask
        except ShopifyError as exc:
            if not is_unreachable(exc):
                return False  # refused or throttled: Shopify is there
            if not since:
                params.set_param(SINCE_PARAM % self.id, fields.Datetime.to_string(now))
                return False
            minutes = float(params.get_param(ALERT_MINUTES_PARAM, ALERT_MINUTES))
            if now - since >= timedelta(minutes=minutes):
                self._synco_report_unreachable(since, exc)
            return False
        if since:
            params.set_param(SINCE_PARAM % self.id, False)
            self._synco_recovered(since)
        return True

    def _synco_report_unreachable(self, since, exc):
        message = self.env._(
            "Shopify unreachable since %(since)s (UTC): every call fails "
            "(%(error)s). Pushes wait and spend no retry; they are written "
            "once Shopify answers again.",
            since=fields.Datetime.to_string(since),
            error=str(exc)[:200],
        )
        self.env["shopify.alert"]._synco_report(
            self, ALERT_KIND, {(None, None, None): {"message": message}}
        )

    def _synco_recovered(self, since):
        """Shopify answers again: resolve, run the waiting jobs, push what
        changed during the outage."""
        _logger.info(
            "%s: Shopify answers again (unreachable since %s)", self.name, since
        )
        self.env["shopify.alert"]._synco_report(self, ALERT_KIND, {}, scope="all")
        self._synco_run_waiting_jobs()
        if not self.sync_frozen:
            self._synco_resume_pushes()

    def _synco_run_waiting_jobs(self):
        """The shop's jobs waiting for their next try run now (never one the
        runner holds: it has them already)."""
        self.env.cr.execute(
            SQL(
                "UPDATE queue_job SET eta = NULL WHERE id IN (SELECT id FROM "
                "queue_job WHERE channel = %s AND state = %s AND eta IS NOT NULL "
                "FOR NO KEY UPDATE SKIP LOCKED)",
                self._job_channel(),
                PENDING,
            )
        )
        self.env["queue.job"].invalidate_model(["eta"])
