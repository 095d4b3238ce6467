# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import models

_logger = logging.getLogger(__name__)


class QueueJob(models.Model):
    _inherit = "queue.job"

    def write(self, vals):
        """A shop's job ending *failed* opens (or updates) the alert of its
        function; one ending *done* resolves it."""
        result = super().write(vals)
        if vals.get("state") in ("failed", "done"):
            # monitoring must never break queue_job's own bookkeeping
            try:
                with self.env.cr.savepoint():
                    self._synco_job_alerts(vals["state"])
            except Exception:
                _logger.exception("Shopify job alert not recorded")
        return result

    def _synco_job_alerts(self, state):
        Shop = self.env["shopify.shop"]
        for job in self:
            shop = Shop._synco_shop_of_channel(job.channel)
            if not shop:
                continue
            subject = f"{job.model_name}.{job.method_name}"
            Alert = self.env["shopify.alert"].sudo()
            if state == "done":
                # cheap on the hot path: most shops have no failed-job alert
                if Alert.search_count(
                    [
                        ("shop_id", "=", shop.id),
                        ("kind", "=", "job_failed"),
                        ("subject", "=", subject),
                        ("state", "!=", "resolved"),
                    ],
                    limit=1,
                ):
                    Alert._synco_report(
                        shop, "job_failed", {}, scope=[(None, None, subject)]
                    )
                continue
            error = (job.exc_message or job.exc_name or "").strip()
            Alert._synco_report(
                shop,
                "job_failed",
                {
                    (None, None, subject): {
                        "queue_job_ids": job.ids,
                        "message": self.env._(
                            "%(job)s failed: %(error)s",
                            job=job.name or subject,
                            error=error[:500],
                        ),
                    }
                },
            )
