# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Digest scheduling: the weekly checks and digest of each shop.

Mixed into ``shopify.shop`` (``shopify_shop.py`` holds its fields): the
methods run on shop records, ``self`` is a shop.

The digest itself is a ``shopify.digest`` record; its day, hour and
recipients are the shop's fields.
"""

import datetime

import pytz

from odoo import api, fields, models

DIGEST_KEY = "synco_shopify.digest"  # the weekly job's identity: KEY:shop:day


class ShopifyDigestSchedule(models.AbstractModel):
    _name = "shopify.digest.schedule"
    _description = "Shopify Digest Schedule (shop mixin)"

    def action_send_digest_now(self):
        """Compute this week's checks and send the digest at once."""
        self.ensure_one()
        digest = self._synco_run_digest()
        return {
            "type": "ir.actions.act_window",
            "res_model": "shopify.digest",
            "res_id": digest.id,
            "view_mode": "form",
        }

    def action_view_digests(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "synco_shopify.shopify_digest_action"
        )
        action["domain"] = [("shop_id", "=", self.id)]
        return action

    def _job_weekly_digest(self):
        """Job: the weekly checks of this shop, its digest, and its sending."""
        self.ensure_one()
        digest = self._synco_run_digest()
        return digest.name

    def _synco_run_digest(self):
        digest = self.env["shopify.digest"]._synco_build(self)
        digest._synco_send()
        return digest

    def _compute_last_digest_date(self):
        """The day of the last scheduled digest job (its identity names it):
        the cron never writes the shop's row, which a job may be writing."""
        for shop in self:
            job = (
                self.env["queue.job"]
                .sudo()
                .search(
                    [("identity_key", "=like", f"{DIGEST_KEY}:{shop.id}:%")],
                    order="id desc",
                    limit=1,
                )
            )
            day = job.identity_key.rsplit(":", 1)[-1] if job else None
            shop.last_digest_date = fields.Date.to_date(day) if day else False

    @api.model
    def _cron_schedule_digests(self):
        """Hourly: enqueue this week's digest of each shop whose local day and
        hour have come (one job per shop and week), like the reconciliations.

        Nothing is written on the shop's row (a job may be writing it: the
        cron would fail to serialize): the week's job is known by its
        identity, whatever its state.
        """
        now = fields.Datetime.now()
        for shop in self.search([("digest_enabled", "=", True)]):
            local = pytz.utc.localize(now).astimezone(pytz.timezone(shop.tz or "UTC"))
            hour = datetime.time(int(shop.digest_hour), int(shop.digest_hour % 1 * 60))
            if local.weekday() != int(shop.digest_weekday) or local.time() < hour:
                continue
            key = f"{DIGEST_KEY}:{shop.id}:{local.date()}"
            if self.env["queue.job"].sudo().search_count([("identity_key", "=", key)]):
                continue  # scheduled already (done, failed or waiting)
            shop._delay_weekly_digest(local.date())

    def _delay_weekly_digest(self, day):
        self.ensure_one()
        return self.with_delay(
            channel=self._job_channel(),
            identity_key=f"{DIGEST_KEY}:{self.id}:{day}",
            description=self.env._("Shopify weekly digest (%(shop)s)", shop=self.name),
        )._job_weekly_digest()
