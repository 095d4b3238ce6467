# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import threading
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import SyncoCase


class _SlackStub:
    """A Slack incoming webhook on loopback: records the JSON it is sent."""

    def __init__(self, status=200):
        self.status = status
        self.bodies = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                stub.bodies.append(
                    (self.headers.get("Content-Type"), self.rfile.read(length))
                )
                answer = b"ok" if stub.status == 200 else b"internal_error"
                self.send_response(stub.status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T0/B0/x"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@tagged("post_install", "-at_install")
class TestDigest(SyncoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Binding = cls.env["shopify.product.binding"]
        Level = cls.env["shopify.inventory.level"]
        cls.tee.standard_price = 10.0
        cls.mug.standard_price = 4.0
        cls.cap = cls._product("SYN-TEST-CAP")
        cls.cap.standard_price = 2.0
        cls.bindings = {}
        for number, product in enumerate((cls.tee, cls.mug, cls.cap), start=41):
            cls.bindings[product] = Binding.create(
                {
                    "shop_id": cls.shop.id,
                    "product_id": product.id,
                    "sku": product.default_code,
                    "shopify_inventory_item_gid": f"gid://shopify/InventoryItem/{number}",
                }
            )

        def level(product, location, odoo, shopify):
            return Level.create(
                {
                    "binding_id": cls.bindings[product].id,
                    "shopify_location_id": location.id,
                    "expected_qty": odoo,
                    "shopify_available": shopify,
                    "shopify_known": True,
                }
            )

        # NJ: tee 100/100, mug 50/0 (suppressed); TX: tee 0/7 (oversell),
        # cap 20/20
        level(cls.tee, cls.loc_nj, 100, 100)
        level(cls.mug, cls.loc_nj, 50, 0)
        level(cls.tee, cls.loc_tx, 0, 7)
        level(cls.cap, cls.loc_tx, 20, 20)
        cls.manager = cls.env["res.partner"].create(
            {"name": "Ops Manager", "email": "ops@example.com"}
        )
        cls.shop.digest_partner_ids = cls.manager
        cls.Digest = cls.env["shopify.digest"]

    def slack(self, status=200):
        stub = _SlackStub(status)
        self.addCleanup(stub.stop)
        self.shop.slack_webhook_url = stub.url
        return stub

    def test_weekly_figures(self):
        digest = self.Digest._synco_build(self.shop, date(2026, 11, 26))
        self.assertEqual(digest.week_start, date(2026, 11, 23))  # Monday
        self.assertEqual(digest.levels_checked, 4)
        # Odoo 100×10 + 50×4 + 20×2 = 1240; Shopify 100×10 + 7×10 + 20×2 = 1110
        self.assertAlmostEqual(digest.value_odoo, 1240.0)
        self.assertAlmostEqual(digest.value_shopify, 1110.0)
        self.assertAlmostEqual(digest.value_gap, -130.0)
        self.assertAlmostEqual(digest.value_gap_percent, -130.0 / 12.4, places=2)
        self.assertEqual((digest.suppressed_count, digest.oversell_count), (1, 1))
        oversell = digest.lines_of("oversell")
        self.assertEqual(
            (oversell.product_id, oversell.shopify_location_id, oversell.shopify_qty),
            (self.tee, self.loc_tx, 7),
        )
        self.assertEqual(digest.lines_of("suppressed").product_id, self.mug)
        by_location = {
            line.shopify_location_id: line for line in digest.lines_of("location")
        }
        self.assertAlmostEqual(by_location[self.loc_nj].value_odoo, 1200.0)
        self.assertAlmostEqual(by_location[self.loc_tx].value_shopify, 110.0)
        # above the 2 % limit: a weekly alert
        alert = self.env["shopify.alert"].search(
            [("shop_id", "=", self.shop.id), ("kind", "=", "value_gap")]
        )
        self.assertEqual((alert.severity, alert.state), ("weekly", "open"))
        # the next week: the trend against this one; the gap closed, resolved
        for level in self.env["shopify.inventory.level"].search(
            [("shop_id", "=", self.shop.id)]
        ):
            level.shopify_available = level.expected_qty
        later = self.Digest._synco_build(self.shop, date(2026, 12, 1))
        self.assertNotEqual(later, digest)
        self.assertAlmostEqual(later.value_gap_percent, 0.0)
        self.assertAlmostEqual(later.value_gap_trend, 130.0 / 12.4, places=2)
        self.assertEqual(alert.state, "resolved")
        # computing the same week again replaces its figures, no second record
        self.assertEqual(self.Digest._synco_build(self.shop, date(2026, 12, 3)), later)

    def test_email_and_slack(self):
        stub = self.slack()
        action = self.shop.action_send_digest_now()
        digest = self.Digest.browse(action["res_id"])
        # the e-mail, queued through mail.mail to the digest recipients
        mail = digest.mail_id
        self.assertEqual(mail.state, "outgoing")
        self.assertEqual(mail.recipient_ids, self.manager)
        self.assertIn(digest.name, mail.subject)
        body = mail.body_html
        for figure in ("1,240.00", "1,110.00", "-10.48 %", "SYN-TEST-TEE", "7"):
            self.assertIn(figure, body)
        self.assertIn("SYN-TEST-MUG", body)
        # Slack: one JSON POST, Block Kit
        self.assertEqual(len(stub.bodies), 1)
        content_type, raw = stub.bodies[0]
        self.assertEqual(content_type, "application/json")
        payload = json.loads(raw)
        self.assertEqual(payload["blocks"][0]["type"], "header")
        self.assertIn(self.shop.name, payload["blocks"][0]["text"]["text"])
        fields = " ".join(f["text"] for f in payload["blocks"][1]["fields"])
        self.assertIn("1,240.00", fields)
        self.assertIn("*Oversell risks*\n1", fields)
        text = json.dumps(payload["blocks"][2:])
        self.assertIn("SYN-TEST-TEE", text)
        self.assertIn("Shopify 7", text)
        self.assertEqual((digest.slack_state, digest.slack_attempts), ("sent", 1))

    def test_slack_failure_is_recorded_not_fatal(self):
        stub = self.slack(status=500)
        action = self.shop.action_send_digest_now()
        digest = self.Digest.browse(action["res_id"])
        self.assertTrue(digest.exists())
        self.assertTrue(digest.mail_id)  # the e-mail went anyway
        self.assertEqual(len(stub.bodies), 3)  # retried
        self.assertEqual(digest.slack_state, "failed")
        self.assertEqual(digest.slack_attempts, 3)
        self.assertIn("HTTP 500", digest.slack_error)
        self.assertIn("Slack post failed", digest.message_ids[0].body)
        # Slack back: retry from the digest
        stub.status = 200
        digest.action_retry_slack()
        self.assertEqual(digest.slack_state, "sent")

    def test_cron_enqueues_at_the_local_day_and_hour(self):
        self.shop.write({"tz": "America/New_York", "digest_weekday": "0"})
        Shop = self.env["shopify.shop"]

        def digest_jobs(utc):
            with (
                patch.object(fields.Datetime, "now", return_value=utc),
                trap_jobs() as trap,
            ):
                Shop._cron_schedule_digests()
                Shop._cron_schedule_digests()
            return [
                job
                for job in trap.enqueued_jobs
                if job.method_name == "_job_weekly_digest"
                and job.recordset == self.shop
            ]

        # Monday 2026-11-30 07:00 in New York is 12:00 UTC: too early
        self.assertFalse(digest_jobs(datetime(2026, 11, 30, 12, 0)))
        # 08:30 local: once, in the shop's channel
        jobs = digest_jobs(datetime(2026, 11, 30, 13, 30))
        self.assertEqual(len(jobs), 1)
        self.assertEqual(jobs[0].channel, self.shop._job_channel())
        # Tuesday: not the digest day
        self.assertFalse(digest_jobs(datetime(2026, 12, 1, 13, 30)))

    def test_cron_schedules_the_week_without_writing_the_shop(self):
        """The week's job, not a field of the shop's row, says it is
        scheduled: a job writing the shop meanwhile can't make the cron fail
        to serialize (issue 23)."""
        self.shop.write({"tz": "UTC", "digest_weekday": "0"})
        self.env.flush_all()
        written = self.shop.write_date
        Shop = self.env["shopify.shop"]
        Job = self.env["queue.job"]
        key = f"synco_shopify.digest:{self.shop.id}:2026-11-30"
        for hour in (9, 10):  # Monday 09:00, then the next tick
            with patch.object(
                fields.Datetime, "now", return_value=datetime(2026, 11, 30, hour)
            ):
                Shop._cron_schedule_digests()
            self.env.flush_all()
            self.assertEqual(Job.search_count([("identity_key", "=", key)]), 1)
            # the job ran meanwhile: still not scheduled twice
            Job.search([("identity_key", "=", key)]).state = "done"
        self.assertEqual(self.shop.write_date, written)
        self.shop.invalidate_recordset(["last_digest_date"])
        self.assertEqual(self.shop.last_digest_date, date(2026, 11, 30))

    def test_weekly_checks_queries_do_not_grow_with_the_catalogue(self):
        Binding = self.env["shopify.product.binding"]
        Level = self.env["shopify.inventory.level"]

        def grow(count, start):
            products = self.env["product.product"].create(
                [
                    {"name": f"W{i}", "default_code": f"W{i}", "is_storable": True}
                    for i in range(start, start + count)
                ]
            )
            for product in products:
                product.standard_price = 3.0
            bindings = Binding.create(
                [
                    {
                        "shop_id": self.shop.id,
                        "product_id": product.id,
                        "sku": product.default_code,
                        "shopify_inventory_item_gid": f"gid://shopify/InventoryItem/"
                        f"{9000 + start + index}",
                    }
                    for index, product in enumerate(products)
                ]
            )
            Level.create(
                [
                    {
                        "binding_id": binding.id,
                        "shopify_location_id": location.id,
                        "expected_qty": index % 5,
                        "shopify_available": (index + 1) % 5,
                        "shopify_known": True,
                    }
                    for index, binding in enumerate(bindings)
                    for location in (self.loc_nj, self.loc_tx, self.loc_pool)
                ]
            )

        def queries(day):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            digest = self.Digest._synco_build(self.shop, day)
            self.env.flush_all()
            return self.cr.sql_log_count - before, digest

        # each measure follows a build of the same data (warm caches); the
        # value-gap alert, whose state changes the queries, kept out
        self.shop.value_gap_alert_percent = 1000
        grow(20, 0)
        self.Digest._synco_build(self.shop, date(2026, 11, 2))
        small, digest = queries(date(2026, 11, 9))
        self.assertEqual(len(digest.lines_of("oversell")), 10)
        grow(300, 20)
        self.Digest._synco_build(self.shop, date(2026, 11, 16))
        large, digest = queries(date(2026, 11, 23))
        self.assertEqual(digest.levels_checked, 4 + 3 * 320)
        self.assertEqual(small, large, (small, large))
        self.assertLessEqual(large, 25)

    def test_new_immediate_alerts_reach_slack_after_commit(self):
        stub = self.slack()
        self.env["shopify.alert"]._synco_check_levels(
            self.shop, read={(self.bindings[self.tee], self.loc_nj): (None, -3)}
        )
        self.assertFalse(stub.bodies)  # not before the commit
        self.env.cr.postcommit.run()
        self.assertEqual(len(stub.bodies), 1)
        payload = json.loads(stub.bodies[0][1])
        self.assertIn("1 new Synco alert(s) for Test Shop", payload["text"])
        self.assertIn("Shopify shows -3", payload["blocks"][0]["text"]["text"])
        # a repeat notifies nobody
        self.env["shopify.alert"]._synco_check_levels(
            self.shop, read={(self.bindings[self.tee], self.loc_nj): (None, -4)}
        )
        self.env.cr.postcommit.run()
        self.assertEqual(len(stub.bodies), 1)
