# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A shop's OAuth tokens: one row per shop, the one place they live.

The lifecycle (fetch, renew ahead of expiry, one refresh on a 401, the
refresh pair stored at once, a refusal remembered) is the client's
:class:`~..lib.shopify.client.oauth.TokenProvider`; this row is its store
for every worker and node.  :class:`DatabaseTokenStore` locks the row
(``SELECT ... FOR UPDATE``) in a cursor of its own, committed as soon as the
token is stored: one caller asks Shopify, the others wait on the row, then
read what it stored.  Only Shopify managers read the row; nothing here is
logged, exported or put in a job's arguments.
"""

import contextlib
import logging
from datetime import UTC, datetime

from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo import SUPERUSER_ID, api, fields, models
from odoo.modules.registry import Registry

_logger = logging.getLogger(__name__)

STATE_COLUMNS = (
    "access_token",
    "scope",
    "expires_at",
    "obtained_at",
    "refresh_token",
    "refresh_expires_at",
    "fetches",
    "refused",
)
TIME_COLUMNS = {"expires_at", "obtained_at", "refresh_expires_at"}


class ShopifyShopToken(models.Model):
    _name = "shopify.shop.token"
    _description = "Shopify Shop Access Token"
    _log_access = False

    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True
    )
    access_token = fields.Char(groups="synco_shopify.group_shopify_manager")
    scope = fields.Char(readonly=True)
    expires_at = fields.Datetime(readonly=True)
    obtained_at = fields.Datetime(readonly=True)
    refresh_token = fields.Char(groups="synco_shopify.group_shopify_manager")
    refresh_expires_at = fields.Datetime(readonly=True)
    fetches = fields.Integer(
        readonly=True, help="Tokens obtained from Shopify for this shop."
    )
    refused = fields.Char(
        readonly=True,
        help="Why Shopify refused the app's credentials; empty when connected.",
    )

    _shop_uniq = models.Constraint("UNIQUE (shop_id)", "One token row per shop.")

    @api.model
    def _synco_store_token(self, shop, token, new_shop=False):
        """Keep a token obtained outside a provider (the install link's code,
        the setup assistant's check), with its refresh token if any.

        Through the row's lock, in a transaction of its own, as a provider
        would: this transaction never holds the row.  A shop created in this
        very transaction (``new_shop``) is seen by nobody else yet: its row is
        created here.
        """
        state = {
            "access_token": token.access_token,
            "scope": token.scope,
            "expires_at": token.expires_at,
            "obtained_at": token.obtained_at,
            "refresh_token": token.refresh_token,
            "refresh_expires_at": token.refresh_expires_at,
        }
        if new_shop:
            vals = {
                k: (_dt(v) if k in TIME_COLUMNS else v or False)
                for k, v in state.items()
            }
            self.sudo().create(dict(vals, shop_id=shop.id, fetches=1))
            return
        store = DatabaseTokenStore(self.env.cr.dbname, shop.id, self.env.cr)
        with store.locked(None) as row:
            row.update(state, refused=None, fetches=(row.get("fetches") or 0) + 1)
        self.invalidate_model()

    @api.model
    def _synco_reset(self, shops, keep_refresh=False, refused=None):
        """Forget the tokens of ``shops`` (new credentials, reconnecting), and
        their refusal, or record ``refused`` (the app uninstalled).

        In a transaction of its own, committed at once: this transaction
        must not hold the row a token provider locks, the same request may
        fetch a token next (*Reconnect*).
        """
        if not shops.ids:
            return
        columns = "access_token = NULL, expires_at = NULL, refused = %s"
        if not keep_refresh:
            columns += ", refresh_token = NULL, refresh_expires_at = NULL"
        with token_cursor(self.env.cr.dbname, shops.ids, self.env.cr) as cr:
            cr.execute(
                f"UPDATE shopify_shop_token SET {columns} WHERE shop_id = ANY(%s)",
                [refused, list(shops.ids)],
            )
        self.invalidate_model()


def _dt(epoch):
    if epoch is None:
        return False
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def _epoch(value):
    if not value:
        return None
    return value.replace(tzinfo=UTC).timestamp()


@contextlib.contextmanager
def token_cursor(dbname, shop_ids, local_cr):
    """A cursor of its own, committed on exit, for the token rows of
    ``shop_ids``; or ``local_cr`` (in a savepoint) when a shop is not
    committed yet: created in this very transaction, nobody else sees it,
    and another connection could not refer to it."""
    cr = Registry(dbname).cursor()
    try:
        if type(cr).__name__ != "TestCursor":
            # read committed: wait on the row, then read the other's token
            cr._cnx.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
        cr.execute("SELECT count(*) FROM shopify_shop WHERE id = ANY(%s)", [shop_ids])
        committed = cr.fetchone()[0] == len(set(shop_ids))
    except Exception:
        cr.close()
        raise
    if not committed and local_cr is not None:
        cr.close()
        with local_cr.savepoint(flush=False):
            yield local_cr
        return
    with cr:
        yield cr
    # the cursor commits on a normal exit and rolls back otherwise


class DatabaseTokenStore:
    """The ``store`` of a :class:`TokenProvider`: the shop's token row."""

    def __init__(self, dbname, shop_id, local_cr=None):
        self.dbname, self.shop_id, self.local_cr = dbname, shop_id, local_cr

    @contextlib.contextmanager
    def locked(self, _key):
        with token_cursor(self.dbname, [self.shop_id], self.local_cr) as cr:
            cr.execute(
                "INSERT INTO shopify_shop_token (shop_id, fetches) VALUES (%s, 0) "
                "ON CONFLICT (shop_id) DO NOTHING",
                [self.shop_id],
            )
            cr.execute(
                f"SELECT {', '.join(STATE_COLUMNS)} FROM shopify_shop_token "
                "WHERE shop_id = %s FOR UPDATE",
                [self.shop_id],
            )
            row = dict(zip(STATE_COLUMNS, cr.fetchone(), strict=True))
            state = {
                k: (_epoch(v) if k in TIME_COLUMNS else v)
                for k, v in row.items()
                if v is not None
            }
            yield state
            values = [
                _dt(state.get(k)) or None if k in TIME_COLUMNS else state.get(k)
                for k in STATE_COLUMNS
            ]
            cr.execute(
                f"UPDATE shopify_shop_token SET "
                f"{', '.join(f'{c} = %s' for c in STATE_COLUMNS)} "
                "WHERE shop_id = %s",
                [*values, self.shop_id],
            )


def credentials_refused_alert(env, shop_id):
    """``on_refused``: one alert, in a transaction of its own (the job that
    met the refusal rolls back and waits)."""

    def alert(message):
        with token_cursor(env.cr.dbname, [shop_id], env.cr) as cr:
            alert_env = (
                env(su=True) if cr is env.cr else api.Environment(cr, SUPERUSER_ID, {})
            )
            alert_env["shopify.shop"].browse(shop_id)._synco_credentials_alert(message)
            alert_env.flush_all()

    return alert
