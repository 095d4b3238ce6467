"""Shopify's OAuth, as plain values: no HTTP, no ORM.

Three ways to hold a shop's Admin API access (shopify.dev,
``apps/build/authentication-authorization``):

* **client credentials** -- a Dev Dashboard app installed on the merchant's
  own store exchanges its client ID and secret for a token
  (``grant_type=client_credentials``) that lives 24 hours;
* **authorization code** -- the install link: Shopify redirects to us with a
  ``code`` (signed by ``hmac``, bound to our ``state``), which we exchange
  for an *expiring offline token* (``expiring=1``: 60 minutes) and its
  refresh token; each refresh (``grant_type=refresh_token``) returns a new
  pair, and the refresh token used is retired;
* **admin token** -- the legacy custom app's static token: nothing here.

The POST to ``/admin/oauth/access_token`` is in ``client/oauth.py``.
"""

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from .errors import ShopifyError

TOKEN_PATH = "/admin/oauth/access_token"
AUTHORIZE_PATH = "/admin/oauth/authorize"
SHOP_DOMAIN_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
# a callback older than this is refused (Shopify signs ``timestamp``)
CALLBACK_MAX_AGE = 600
# clocks differ a little: a timestamp this far in the future still passes
CLOCK_SKEW = 60
# the install link's ``state`` expires after this
STATE_TTL = 1800


class OAuthCallbackError(ShopifyError):
    """The OAuth callback is not Shopify's answer to our install link."""


@dataclass
class Token:
    """An access token as Shopify granted it; times are epoch seconds."""

    access_token: str
    scope: str = ""
    expires_at: float | None = None  # None: never expires (static token)
    refresh_token: str | None = None
    refresh_expires_at: float | None = None
    obtained_at: float = 0.0

    def renew_at(self, margin=300):
        """When to renew: ``margin`` seconds before expiry, or at 90 % of a
        lifetime shorter than ten margins (a 30 s token renews after 27 s)."""
        if self.expires_at is None:
            return None
        lifetime = max(0.0, self.expires_at - self.obtained_at)
        return self.expires_at - min(margin, lifetime / 10)

    def fresh(self, now, margin=300):
        renew = self.renew_at(margin)
        return renew is None or now < renew


def client_credentials_body(client_id, client_secret):
    return {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
    }


def authorization_code_body(client_id, client_secret, code, expiring=True):
    body = {"client_id": client_id, "client_secret": client_secret, "code": code}
    if expiring:
        body["expiring"] = "1"
    return body


def refresh_token_body(client_id, client_secret, refresh_token):
    return {
        "grant_type": "refresh_token",
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
    }


def parse_token_response(data, now=None):
    """:class:`Token` from the JSON of ``/admin/oauth/access_token``.

    :raise ValueError: no ``access_token`` in it
    """
    now = time.time() if now is None else now
    if not isinstance(data, dict) or not data.get("access_token"):
        raise ValueError("the answer holds no access_token")

    def _at(field):
        value = data.get(field)
        try:
            return now + float(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    return Token(
        access_token=str(data["access_token"]),
        scope=str(data.get("scope") or ""),
        expires_at=_at("expires_in"),
        refresh_token=data.get("refresh_token") or None,
        refresh_expires_at=_at("refresh_token_expires_in"),
        obtained_at=now,
    )


def valid_shop_domain(shop):
    return bool(shop) and bool(SHOP_DOMAIN_RE.match(shop))


# ------------------------------------------------------------------- state
def _state_signature(secret, shop, nonce, expiry):
    message = f"{shop}|{nonce}|{expiry}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def make_state(secret, shop, now=None, ttl=STATE_TTL, nonce=None):
    """A ``state`` bound to ``shop``, signed with our server ``secret``,
    that expires ``ttl`` seconds from ``now``: ``nonce.expiry.signature``."""
    if not secret:
        raise ValueError("a server secret is required to sign the state")
    now = time.time() if now is None else now
    nonce = nonce or secrets.token_hex(12)
    expiry = int(now + ttl)
    return f"{nonce}.{expiry}.{_state_signature(secret, shop, nonce, expiry)}"


def check_state(secret, state, shop, now=None):
    """Return the nonce of a ``state`` we signed for ``shop``.

    :raise OAuthCallbackError: forged (bad signature, other shop) or expired
    """
    now = time.time() if now is None else now
    parts = (state or "").split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        raise OAuthCallbackError("the state is not one Synco issued")
    nonce, expiry, signature = parts
    expected = _state_signature(secret, shop, nonce, int(expiry))
    if not hmac.compare_digest(expected, signature):
        raise OAuthCallbackError("the state is forged or was issued for another shop")
    if now > int(expiry):
        raise OAuthCallbackError("the state has expired: open the install link again")
    return nonce


# ---------------------------------------------------------------- install
def install_url(shop, client_id, scopes, redirect_uri, state, base_url=None):
    """The authorize URL of Shopify's authorization-code grant (offline)."""
    base = (base_url or f"https://{shop}").rstrip("/")
    query = urlencode(
        {
            "client_id": client_id,
            "scope": ",".join(scopes),
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{base}{AUTHORIZE_PATH}?{query}"


def query_hmac(params, client_secret):
    """Shopify's ``hmac`` of a redirect's query: HMAC-SHA256 (hex), keyed by
    the client secret, of the other parameters sorted, ``key=value`` joined
    by ``&`` (``signature`` and ``hmac`` left out)."""
    message = "&".join(
        f"{key}={params[key]}"
        for key in sorted(params)
        if key not in ("hmac", "signature")
    )
    return hmac.new(
        client_secret.encode(), message.encode(), hashlib.sha256
    ).hexdigest()


def verify_callback(params, client_secret, now=None, max_age=CALLBACK_MAX_AGE):
    """Check a callback's shop, ``hmac`` and ``timestamp``; return the shop.

    ``params`` maps each query parameter to its (single) value.  The
    ``state`` is checked apart (:func:`check_state`), with our own secret.

    :raise OAuthCallbackError: with what is wrong
    """
    now = time.time() if now is None else now
    shop = params.get("shop") or ""
    if not valid_shop_domain(shop):
        raise OAuthCallbackError(f"{shop!r} is not a *.myshopify.com shop domain")
    if not params.get("code"):
        raise OAuthCallbackError("the callback holds no code")
    given = params.get("hmac") or ""
    if not client_secret or not hmac.compare_digest(
        query_hmac(params, client_secret), given
    ):
        raise OAuthCallbackError("the hmac does not match: not signed by Shopify")
    try:
        stamp = int(params.get("timestamp") or "")
    except ValueError:
        raise OAuthCallbackError("the callback holds no timestamp") from None
    if stamp < now - max_age or stamp > now + CLOCK_SKEW:
        raise OAuthCallbackError("the callback's timestamp is too old or in the future")
    return shop
