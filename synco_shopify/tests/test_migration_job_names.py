# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""19.0.3.0.0: jobs stored under the old method names run under the new ones.

Each renamed job is enqueued as queue_job stores it, then written back to its
old name by SQL, as a database of 19.0.2 holds it; the migration then runs on
those rows.
"""

import importlib.util
from pathlib import Path

from odoo.tests import tagged

from odoo.addons.queue_job.job import Job

from .common import SyncoCase

MIGRATION = (
    Path(__file__).resolve().parent.parent
    / "migrations"
    / "19.0.3.0.0"
    / "pre-migration.py"
)


def load_migration():
    spec = importlib.util.spec_from_file_location(
        "synco_shopify_pre_migration_19_0_3_0_0", MIGRATION
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestMigrationJobNames(SyncoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.migration = load_migration()
        cls.event = cls.env["shopify.webhook.event"]._store(
            cls.shop,
            {"X-Shopify-Topic": "shop/update", "X-Shopify-Event-Id": "evt-mig"},
            b"{}",
        )
        cls.binding = cls.env["shopify.product.binding"].create(
            {
                "shop_id": cls.shop.id,
                "product_id": cls.tee.id,
                "sku": cls.tee.default_code,
                "shopify_inventory_item_gid": "gid://shopify/InventoryItem/21",
            }
        )
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.env["res.partner"].create({"name": "Old job"}).id,
                "shopify_shop_id": cls.shop.id,
                "shopify_order_gid": "gid://shopify/Order/4242",
            }
        )
        cls.picking = cls.env["stock.picking"].create(
            {
                "picking_type_id": cls.wh_nj.out_type_id.id,
                "location_id": cls.wh_nj.lot_stock_id.id,
                "location_dest_id": cls.env.ref("stock.stock_location_customers").id,
            }
        )
        # what each job runs on, with the arguments its enqueuer passes
        cls.records = {
            "shopify.webhook.event": cls.event,
            "shopify.shop": cls.shop,
            "shopify.product.binding": cls.binding,
            "sale.order": cls.order,
            "stock.picking": cls.picking,
        }

    def _enqueue_old(self, model, old, new, *args, **kwargs):
        """A job of ``model.new``, stored as 19.0.2 stored ``model.old``."""
        delayable = self.records[model].with_delay(
            channel=self.shop._job_channel(),
            identity_key=f"synco_shopify.migration:{model}.{new}",
        )
        uuid = getattr(delayable, new)(*args, **kwargs).uuid
        self.env.flush_all()
        self.env.cr.execute(
            """
            UPDATE queue_job
               SET method_name = %(old)s,
                   func_string = replace(func_string, %(new_call)s, %(old_call)s),
                   channel_method_name = %(old_name)s
             WHERE uuid = %(uuid)s
            RETURNING func_string
            """,
            {
                "old": old,
                "new_call": f").{new}(",
                "old_call": f").{old}(",
                "old_name": f"<{model}>.{old}",
                "uuid": uuid,
            },
        )
        self.assertIn(f").{old}(", self.env.cr.fetchone()[0])
        self.env.invalidate_all()
        return uuid

    def _migrate(self, version="19.0.2.0.0"):
        self.env.flush_all()
        self.migration.migrate(self.env.cr, version)
        self.env.invalidate_all()
        self.env.registry.clear_cache()  # queue_job's job_config by name

    def _job(self, uuid):
        return self.env["queue.job"].search([("uuid", "=", uuid)])

    def test_every_renamed_job_is_migrated(self):
        """Every job of the rename table, in every state, loads its new method."""
        states = ["pending", "enqueued", "started", "failed", "cancelled", "done"]
        jobs = []
        for index, (model, old, new) in enumerate(self.migration.RENAMED_JOBS):
            with self.subTest(job=f"{model}.{new}"):
                self.assertTrue(
                    hasattr(self.records[model], new),
                    f"{model}.{new} is named in the migration but not defined",
                )
                uuid = self._enqueue_old(model, old, new)
                self.env.cr.execute(
                    "UPDATE queue_job SET state = %s WHERE uuid = %s",
                    [states[index % len(states)], uuid],
                )
                jobs.append((model, old, new, uuid))
        self._migrate()
        for model, _old, new, uuid in jobs:
            with self.subTest(job=f"{model}.{new}"):
                row = self._job(uuid)
                self.assertEqual(row.method_name, new)
                self.assertEqual(row.channel_method_name, f"<{model}>.{new}")
                self.assertTrue(
                    row.func_string.startswith(f"{model}({row.records.id},).{new}("),
                    row.func_string,
                )
                job = Job.load(self.env, uuid)
                self.assertEqual(job.func.__name__, new)
                self.assertEqual(job.func.__self__, self.records[model])
                self.assertEqual(job.job_config.job_function_id, row.job_function_id.id)

    def test_the_order_jobs_run_after_the_migration(self):
        """The webhook event, alignment and fulfilment jobs perform as before."""
        event = self._enqueue_old("shopify.webhook.event", "_process", "_job_process")
        align = self._enqueue_old(
            "sale.order",
            "_synco_shopify_align_location",
            "_job_shopify_align_location",
            client=None,
        )
        fulfil = self._enqueue_old(
            "stock.picking", "_synco_shopify_fulfil", "_job_shopify_fulfil"
        )
        self.assertEqual(
            self._job(align).func_string,
            f"sale.order({self.order.id},)._synco_shopify_align_location(client=None)",
        )
        self._migrate()
        self.assertEqual(
            self._job(align).func_string,
            f"sale.order({self.order.id},)._job_shopify_align_location(client=None)",
        )
        results = {}
        for uuid in (event, align, fulfil):
            job = Job.load(self.env, uuid)
            job.perform()
            results[job.method_name] = job.result
        self.assertEqual(
            results,
            {
                "_job_process": "Topic shop/update is not used.",
                "_job_shopify_align_location": (
                    "Nothing to align: the order is not open."
                ),
                "_job_shopify_fulfil": "Nothing to do: False.",
            },
        )
        self.assertEqual(self.event.state, "ignored")

    def test_job_functions_and_alerts_follow(self):
        """The job function (retry pattern, channel) and a failed job's alert."""
        function = self.env.ref("synco_shopify.job_function_process_webhook_event")
        self.env.cr.execute(
            "UPDATE queue_job_function SET method = '_process', "
            "name = '<shopify.webhook.event>._process' WHERE id = %s",
            [function.id],
        )
        Alert = self.env["shopify.alert"]
        Alert._synco_report(
            self.shop,
            "job_failed",
            {(None, None, "shopify.webhook.event._process"): {"message": "boom"}},
        )
        alert = Alert.search(
            [("shop_id", "=", self.shop.id), ("kind", "=", "job_failed")]
        )
        self.assertEqual(alert.subject, "shopify.webhook.event._process")
        self._migrate()
        self.assertEqual(function.method, "_job_process")
        self.assertEqual(function.name, "<shopify.webhook.event>._job_process")
        config = self.env["queue.job.function"].job_config(
            "<shopify.webhook.event>._job_process"
        )
        self.assertEqual(config.job_function_id, function.id)
        self.assertEqual(alert.subject, "shopify.webhook.event._job_process")
        self.assertEqual(
            alert.dedup_key,
            Alert._synco_key(
                "job_failed", subject="shopify.webhook.event._job_process"
            ),
        )
        self.assertTrue(alert.name.endswith("shopify.webhook.event._job_process"))
        # the job's success now resolves the alert, as before the rename
        Alert._synco_report(
            self.shop,
            "job_failed",
            {},
            scope=[(None, None, "shopify.webhook.event._job_process")],
        )
        self.assertEqual(alert.state, "resolved")

    def test_a_new_database_is_left_alone(self):
        uuid = self._enqueue_old("shopify.webhook.event", "_process", "_job_process")
        self._migrate(version=None)
        self.assertEqual(self._job(uuid).method_name, "_process")
