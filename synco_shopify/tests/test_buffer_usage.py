# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
from datetime import date, datetime, timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..lib import availability
from .common import SyncoCase
from .test_digest import _SlackStub

WEEK = [date(2026, 11, 24) + timedelta(days=n) for n in range(7)]  # Tue..Mon


@tagged("post_install", "-at_install")
class TestBufferUsage(SyncoCase):
    """Buffer utilisation from real quants and real rules, day by day.

    Stock: the tee 100 at NJ on the first four days then 8 (its 10-unit rule
    near zero on 3 of 7 days), 50 at TX; the mug 200 at NJ and 150 at TX, the
    cap 100 at both, never near their buffers.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cap = cls._product("SYN-TEST-CAP")
        for number, product in enumerate((cls.tee, cls.mug, cls.cap), start=61):
            cls.env["shopify.product.binding"].create(
                {
                    "shop_id": cls.shop.id,
                    "product_id": product.id,
                    "sku": product.default_code,
                    "shopify_inventory_item_gid": f"gid://shopify/InventoryItem/{number}",
                }
            )
        cls.map_nj = cls._mapping(cls.loc_nj, cls.wh_nj.lot_stock_id)
        cls.map_tx = cls._mapping(cls.loc_tx, cls.wh_tx.lot_stock_id)
        Rule = cls.env["shopify.buffer.rule"]
        # product > category > mapping > shop-wide
        cls.rule_tee = Rule.create(
            {"shop_id": cls.shop.id, "product_id": cls.tee.id, "buffer_units": 10}
        )
        cls.rule_apparel = Rule.create(
            {
                "shop_id": cls.shop.id,
                "product_categ_id": cls.categ_apparel.id,
                "buffer_units": 3,
            }
        )
        cls.rule_shop = Rule.create({"shop_id": cls.shop.id, "buffer_units": 20})
        cls.rule_tx = Rule.create(
            {"shop_id": cls.shop.id, "mapping_id": cls.map_tx.id, "buffer_percent": 10}
        )
        cls.Usage = cls.env["shopify.buffer.usage"]
        cls.Alert = cls.env["shopify.alert"]

    def setUp(self):
        super().setUp()
        nj, tx = self.wh_nj.lot_stock_id, self.wh_tx.lot_stock_id
        for product, location, quantity in (
            (self.tee, nj, 100),
            (self.tee, tx, 50),
            (self.mug, nj, 200),
            (self.mug, tx, 150),
            (self.cap, nj, 100),
            (self.cap, tx, 100),
        ):
            self._stock(product, location, quantity)

    def record_week(self, days=WEEK):
        """Record each day; the tee at NJ drops to 8 from the fifth (WEEK[4])."""
        dropped = False
        for day in days:
            if day >= WEEK[4] and not dropped:
                self._stock(self.tee, self.wh_nj.lot_stock_id, -92)
                dropped = True
            self.Usage._synco_record(self.shop, day)

    def figures(self, day=WEEK[-1]):
        days, figures = self.Usage._synco_week(self.shop, day)
        return days, {f["rule"]: f for f in figures}

    def alerts(self, **domain):
        return self.Alert.search(
            [("shop_id", "=", self.shop.id), ("kind", "=", "buffer_unused")]
            + [(name, "=", value) for name, value in domain.items()]
        )

    def test_buffer_usage_arithmetic(self):
        # 60 on hand, 50 units: 10 offered, 50 withheld, not near zero
        self.assertEqual(availability.buffer_usage(60, 0, 50), (False, 50))
        # 30 on hand, 50 units: nothing offered, the 30 withheld: near zero
        self.assertEqual(availability.buffer_usage(30, 0, 50), (True, 30))
        # out of stock: near zero, nothing withheld
        self.assertEqual(availability.buffer_usage(-4, 0, 5), (True, 0))
        # a percentage shrinks with the stock: near zero at its last unit only
        self.assertEqual(availability.buffer_usage(200, 5, 0), (False, 10))
        self.assertEqual(availability.buffer_usage(1, 5, 0), (True, 1))

    def test_snapshot_attributes_each_pair_to_the_winning_rule(self):
        records = self.Usage._synco_record(self.shop, WEEK[0])
        by_key = {(r.buffer_rule_id, r.mapping_id): r for r in records}
        # the tee: its own rule at both mappings (a product rule beats all)
        self.assertEqual(
            (
                by_key[self.rule_tee, self.map_nj].product_count,
                by_key[self.rule_tee, self.map_nj].withheld_units,
                by_key[self.rule_tee, self.map_tx].withheld_units,
            ),
            (1, 10, 10),
        )
        # mug and cap: the shop-wide rule at NJ, the TX mapping's rule at TX
        shop_nj = by_key[self.rule_shop, self.map_nj]
        self.assertEqual((shop_nj.product_count, shop_nj.withheld_units), (2, 40))
        tx = by_key[self.rule_tx, self.map_tx]
        self.assertEqual((tx.product_count, tx.withheld_units), (2, 15 + 10))
        # the category rule loses to the tee's own everywhere: nothing
        self.assertEqual(len(records), 4)
        self.assertNotIn(self.rule_apparel, records.buffer_rule_id)
        self.assertFalse(any(records.mapped("near_zero_count")))
        # recording a day again replaces it
        again = self.Usage._synco_record(self.shop, WEEK[0])
        self.assertFalse(records.exists())
        self.assertEqual(
            self.Usage.search_count([("shop_id", "=", self.shop.id)]), len(again)
        )

    def test_weekly_shares_and_never_used(self):
        self.record_week()
        days, figures = self.figures()
        self.assertEqual(days, 7)
        tee = figures[self.rule_tee]
        # near zero at NJ on days 5, 6, 7: 3 of 7 days, 3 of 14 observations
        self.assertEqual((tee["days"], tee["near_days"]), (7, 3))
        self.assertAlmostEqual(tee["near_percent"], 100.0 * 3 / 14)
        # withheld 10 + 10 on four days, 8 + 10 on three
        self.assertAlmostEqual(tee["withheld"], (4 * 20 + 3 * 18) / 7)
        self.assertFalse(tee["never_used"])
        shop_rule = figures[self.rule_shop]
        self.assertEqual((shop_rule["near_days"], shop_rule["withheld"]), (0, 40))
        self.assertTrue(shop_rule["never_used"])
        self.assertTrue(figures[self.rule_tx]["never_used"])
        self.assertNotIn(self.rule_apparel, figures)

    def test_missing_days_are_not_unused(self):
        # no snapshot on Thursday: six days, nobody is called never used
        self.record_week([d for d in WEEK if d != WEEK[2]])
        days, figures = self.figures()
        self.assertEqual((days, figures[self.rule_shop]["days"]), (6, 6))
        self.assertFalse(figures[self.rule_shop]["never_used"])
        # the share of days counts the recorded ones only: 3 of 6
        self.assertEqual(figures[self.rule_tee]["near_days"], 3)
        digest = self.env["shopify.digest"]._synco_build(self.shop, WEEK[-1])
        self.assertEqual((digest.buffer_days, digest.buffer_unused_count), (6, 0))
        self.assertFalse(self.alerts())

    def test_digest_figures_and_alerts(self):
        Digest = self.env["shopify.digest"]
        self.record_week()
        digest = Digest._synco_build(self.shop, WEEK[-1])
        self.assertEqual(
            (
                digest.buffer_days,
                digest.buffer_rule_count,
                digest.buffer_unused_count,
            ),
            (7, 3, 2),
        )
        self.assertAlmostEqual(digest.buffer_hidden_units, 40 + 25)
        lines = digest.lines_of("buffer")
        # never-used first, the most hidden first; then the used tee rule
        self.assertEqual(
            lines.buffer_rule_id.ids,
            [self.rule_shop.id, self.rule_tx.id, self.rule_tee.id],
        )
        self.assertEqual(
            (lines[2].days_near_zero, lines[2].days_observed, lines[2].never_used),
            (3, 7, False),
        )
        # one weekly alert per never-used rule, with its hidden units
        alerts = self.alerts()
        self.assertEqual(alerts.buffer_rule_id, self.rule_shop | self.rule_tx)
        self.assertEqual(set(alerts.mapped("severity")), {"weekly"})
        shop_alert = alerts.filtered(lambda a: a.buffer_rule_id == self.rule_shop)
        self.assertIn("40.0 units a day", shop_alert.message)
        self.assertEqual(shop_alert.shopify_location_id, self.loc_nj.browse())
        tx_alert = alerts - shop_alert
        self.assertEqual(tx_alert.shopify_location_id, self.loc_tx)
        # the next week, still unused: the same alerts, updated
        next_week = [d + timedelta(days=7) for d in WEEK]
        for day in next_week:
            self.Usage._synco_record(self.shop, day)
        shop_alert.action_acknowledge()
        Digest._synco_build(self.shop, next_week[-1])
        self.assertEqual(self.alerts(), alerts)
        self.assertEqual(
            (shop_alert.state, shop_alert.occurrences), ("acknowledged", 2)
        )
        # the rule's percentage edited: same scope, same alert
        self.rule_tx.buffer_percent = 8
        # the mug runs out at NJ one day: the shop-wide rule was used,
        # resolved; the TX rule archived: resolved too
        self._stock(self.mug, self.wh_nj.lot_stock_id, -200)
        self.Usage._synco_record(self.shop, next_week[-1])
        Digest._synco_build(self.shop, next_week[-1])
        self.assertEqual((shop_alert.state, tx_alert.state), ("resolved", "open"))
        self.assertEqual(tx_alert.occurrences, 3)
        self.rule_tx.active = False
        Digest._synco_build(self.shop, next_week[-1])
        self.assertEqual(tx_alert.state, "resolved")
        self.assertTrue(tx_alert.date_resolved)

    def test_mail_and_slack_show_the_figures(self):
        self.record_week()
        stub = _SlackStub()
        self.addCleanup(stub.stop)
        self.shop.slack_webhook_url = stub.url
        self.shop.digest_partner_ids = self.env["res.partner"].create(
            {"name": "Ops", "email": "ops@example.com"}
        )
        with patch.object(fields.Date, "context_today", return_value=WEEK[-1]):
            digest = self.env["shopify.digest"]._synco_build(self.shop)
        digest._synco_send()
        body = digest.mail_id.body_html
        self.assertIn("Buffer utilisation", body)
        self.assertIn("2 of", body)
        self.assertIn("65.00", body)  # units hidden a day: 40 + 25
        self.assertIn(self.rule_shop.display_name, body)
        self.assertIn("never used", body)
        self.assertIn("3/7", body)  # the tee's rule
        payload = json.loads(stub.bodies[0][1])
        text = json.dumps(payload["blocks"])
        self.assertIn("2 of 3 rule(s) never used", text)
        self.assertIn("hiding 65.0 units a day", text)
        self.assertIn("near zero on 3/7 days", text)
        self.assertIn(self.rule_tx.display_name, text)

    def test_queries_do_not_grow_with_the_catalogue(self):
        Binding = self.env["shopify.product.binding"]
        stock = self.wh_nj.lot_stock_id

        def grow(count, start):
            products = self.env["product.product"].create(
                [
                    {"name": f"B{i}", "default_code": f"B{i}", "is_storable": True}
                    for i in range(start, start + count)
                ]
            )
            Binding.create(
                [
                    {
                        "shop_id": self.shop.id,
                        "product_id": product.id,
                        "sku": product.default_code,
                        "shopify_inventory_item_gid": f"gid://shopify/InventoryItem/"
                        f"{7000 + start + index}",
                    }
                    for index, product in enumerate(products)
                ]
            )
            for index, product in enumerate(products):
                self._stock(product, stock, index % 40 or -1)

        def queries(day):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            self.Usage._synco_record(self.shop, day)
            digest = self.env["shopify.digest"]._synco_build(self.shop, day)
            self.env.flush_all()
            return self.cr.sql_log_count - before, digest

        grow(20, 0)
        queries(WEEK[0])
        small, digest = queries(WEEK[1])
        self.assertEqual(digest.buffer_days, 2)
        small_covered = sum(
            self.Usage.search([("date", "=", WEEK[1])]).mapped("product_count")
        )
        grow(200, 20)
        queries(WEEK[2])
        large, digest = queries(WEEK[3])
        self.assertEqual((digest.buffer_days, digest.buffer_rule_count), (4, 3))
        large_covered = sum(
            self.Usage.search([("date", "=", WEEK[3])]).mapped("product_count")
        )
        self.assertEqual(large_covered - small_covered, 2 * 200)
        self.assertEqual(small, large, (small, large))

    def test_scheduled_with_the_daily_reconciliation(self):
        self.shop.tz = "UTC"
        Shop = self.env["shopify.shop"]
        with (
            patch.object(
                fields.Datetime, "now", return_value=datetime(2026, 11, 30, 3, 0)
            ),
            trap_jobs() as trap,
        ):
            Shop._cron_schedule_reconciliations()
            Shop._cron_schedule_reconciliations()
        jobs = [
            job
            for job in trap.enqueued_jobs
            if job.method_name == "_job_record_buffer_usage"
            and job.recordset == self.shop
        ]
        self.assertEqual(len(jobs), 1)
        self.assertEqual(jobs[0].args, ("2026-11-30",))
        self.assertEqual(jobs[0].channel, self.shop._job_channel())
        jobs[0].perform()
        records = self.Usage.search([("shop_id", "=", self.shop.id)])
        self.assertEqual(set(records.mapped("date")), {date(2026, 11, 30)})
        self.assertEqual(len(records), 4)

    def test_purge_keeps_the_shop_retention(self):
        self.Usage._synco_record(self.shop, date(2026, 9, 1))
        self.Usage._synco_record(self.shop, date(2026, 11, 20))
        self.shop.buffer_usage_keep_weeks = 8
        with patch.object(fields.Date, "today", return_value=date(2026, 12, 1)):
            purged = self.env["shopify.shop"]._cron_purge_buffer_usage()
        self.assertEqual(purged, 4)
        self.assertEqual(
            set(self.Usage.search([("shop_id", "=", self.shop.id)]).mapped("date")),
            {date(2026, 11, 20)},
        )
