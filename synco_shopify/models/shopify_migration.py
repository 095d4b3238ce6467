# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The migration path: new mappings without downtime, in five steps.

Mixed into ``shopify.shop`` (``shopify_shop.py`` holds its fields): the
methods run on shop records, ``self`` is a shop.

Freeze and snapshot Shopify, create the new mappings as drafts, dry-run
them, check, then activate them and run the first reconciliation.
"""

from odoo import models
from odoo.exceptions import UserError


class ShopifyMigration(models.AbstractModel):
    _name = "shopify.migration"
    _description = "Shopify Mapping Migration (shop mixin)"

    def action_migration_freeze(self):
        """Step 1: stop every write and keep Shopify's levels as they are."""
        self.ensure_one()
        self.write({"sync_frozen": True, "migration_state": "frozen"})
        run = self._create_run(dry_run=True, trigger="migration", mode="snapshot")
        run._job_run()
        return run._open_form()

    def action_migration_dry_run(self):
        """Step 3: what the draft (and active) mappings would write."""
        self.ensure_one()
        self._check_migrating("frozen", "dry_run")
        mappings = self.mapping_ids.filtered(lambda m: m.state in ("draft", "active"))
        if not mappings.filtered(lambda m: m.state == "draft"):
            raise UserError(
                self.env._(
                    "Create the new mappings as drafts first (step 2): the dry "
                    "run shows what they would write."
                )
            )
        run = self._create_run(dry_run=True, mappings=mappings, trigger="migration")
        run._job_run()
        self.migration_state = "dry_run"
        return run._open_form()

    def action_migration_activate(self):
        """Step 5: activate the drafts, resume, and run the first reconciliation."""
        self.ensure_one()
        self._check_migrating("dry_run")
        drafts = self.mapping_ids.filtered(lambda m: m.state == "draft")
        replaced = self.mapping_ids.filtered(
            lambda m: (
                m.state == "active"
                and m.shopify_location_id in drafts.shopify_location_id
            )
        )
        replaced.action_pause()
        drafts.action_activate()
        self.write({"sync_frozen": False, "migration_state": "activated"})
        run = self._create_run(trigger="migration")
        run._delay_run()
        return run._open_form()

    def action_migration_done(self):
        self.migration_state = "none"

    def _check_migrating(self, *states):
        if self.migration_state not in states:
            raise UserError(
                self.env._(
                    "Follow the migration steps in order: this step is not "
                    "available now (%(state)s).",
                    state=dict(self._fields["migration_state"].selection).get(
                        self.migration_state
                    ),
                )
            )
