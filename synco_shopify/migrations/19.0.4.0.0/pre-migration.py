# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shops connected before 19.0.4 keep their admin token.

19.0.4 adds ``shopify.shop.connect_method``, whose default for a new shop is
the client-credentials grant (a Dev Dashboard app).  The column is created
here, before the ORM would fill it with that default, and every existing
shop gets ``admin_token``: the static token it was set up with keeps working,
untouched.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        "ALTER TABLE shopify_shop ADD COLUMN IF NOT EXISTS connect_method varchar"
    )
    cr.execute(
        "UPDATE shopify_shop SET connect_method = 'admin_token' "
        "WHERE connect_method IS NULL"
    )
