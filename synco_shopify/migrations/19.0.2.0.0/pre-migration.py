# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Drift gets a life cycle: at most one unresolved drift per level.

Before 19.0.2 every difference added a drift record, so a level may hold
several open ones; the partial unique index on (binding, Shopify location)
could not be created over them, and without it the drift upsert fails.  Each
level's records are folded into its newest one: first seen is the oldest
record's date, last seen the newest's, occurrences their number.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        ALTER TABLE shopify_drift
            ADD COLUMN IF NOT EXISTS occurrences integer,
            ADD COLUMN IF NOT EXISTS date_detected timestamp without time zone,
            ADD COLUMN IF NOT EXISTS date_last_seen timestamp without time zone
        """
    )
    cr.execute(
        """
        WITH levels AS (
            SELECT max(id) AS keep, count(*) AS n,
                   min(create_date) AS first_seen, max(create_date) AS last_seen
              FROM shopify_drift
             GROUP BY binding_id, shopify_location_id
        )
        UPDATE shopify_drift d
           SET occurrences = l.n,
               date_detected = l.first_seen,
               date_last_seen = l.last_seen
          FROM levels l
         WHERE d.id = l.keep
        """
    )
    cr.execute("DELETE FROM shopify_drift WHERE occurrences IS NULL")
