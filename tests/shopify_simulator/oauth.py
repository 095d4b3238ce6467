"""OAuth as Shopify speaks it: the token endpoint, the authorize page, uninstall.

``POST /admin/oauth/access_token`` takes a form-encoded or JSON body and
grants (shopify.dev, ``apps/build/authentication-authorization``):

* ``grant_type=client_credentials`` + ``client_id`` + ``client_secret``:
  ``{access_token, scope, expires_in}`` (86399 s by default);
* ``client_id`` + ``client_secret`` + ``code`` (+ ``expiring=1``): the
  authorization-code grant; expiring offline tokens come with
  ``refresh_token`` and ``refresh_token_expires_in``; a code works once;
* ``grant_type=refresh_token`` + ``refresh_token``: a new pair; the refresh
  token used is retired.

``GET /admin/oauth/authorize`` is the merchant approving the app: it
redirects to ``redirect_uri`` with ``code``, ``hmac``, ``host``, ``shop``,
``state`` and ``timestamp``, the hmac keyed by the client secret.

Each simulated shop has its own app (a Dev Dashboard app installed on the
merchant's store): client ID ``<name>-client-id``, client secret the shop's
webhook secret (Shopify signs an app's webhooks with its client secret).
The static ``shpat_`` token of a legacy custom app keeps working.
Uninstalling revokes every token of the shop, sends ``app/uninstalled`` and
removes the app's webhook subscriptions, as Shopify does.  Tokens are not
kept in the state file.
"""

import base64
import collections
import hashlib
import hmac
import json
import secrets
import time
from urllib.parse import parse_qs, urlencode

DEFAULT_TTLS = {
    "client_credentials": 86399,  # 24 h
    "offline": 3600,  # expiring offline token: 60 min
    "refresh": 90 * 86400,  # refresh token: 90 days
}
CODE_TTL = 600


def _error(error, description):
    return 400, {"error": error, "error_description": description}


class OAuthMixin:
    """The OAuth endpoints of the simulated shops."""

    def _oauth_init(self):
        self.token_ttls = dict(DEFAULT_TTLS)
        self.oauth_tokens = {}  # token -> {"shop", "expires"}
        self.refresh_tokens = {}  # token -> {"shop", "expires"}
        self.oauth_codes = {}  # code -> {"shop", "expires", "used"}
        self.uninstalled = set()
        self.grants = collections.Counter()  # (shop, grant) -> tokens issued
        self.token_requests = 0  # answered or refused

    # -- apps -------------------------------------------------------------------------

    @staticmethod
    def client_id(shop):
        return f"{shop.domain.split('.')[0]}-client-id"

    @staticmethod
    def client_secret(shop):
        return shop.webhook_secret

    def _app_shop(self, client_id, host=None):
        """The shop of the app ``client_id``; on a shop's own host, only it."""
        for shop in self.store.shops.values():
            if self.client_id(shop) == client_id:
                if host in self.store.shops and host != shop.domain:
                    return None
                return shop
        return None

    def set_token_ttls(self, **ttls):
        """``client_credentials``, ``offline``, ``refresh`` lifetimes (s)."""
        with self.lock:
            for name, value in ttls.items():
                if name not in DEFAULT_TTLS:
                    raise KeyError(f"no token lifetime {name!r}")
                if value is not None:
                    self.token_ttls[name] = float(value)
            return dict(self.token_ttls)

    def shop_for_access_token(self, token):
        """The shop an access token (OAuth or static) opens, or None."""
        with self.lock:
            grant = self.oauth_tokens.get(token) if token else None
            if grant is not None:
                if grant["expires"] is not None and grant["expires"] < time.time():
                    return None
                return self.store.shops.get(grant["shop"])
            shop = self.store.shop_for_token(token)
            if shop is not None and shop.domain in self.uninstalled:
                return None
            return shop

    # -- the token endpoint -----------------------------------------------------------

    @staticmethod
    def parse_token_body(raw, content_type):
        if "json" in (content_type or ""):
            data = json.loads(raw or b"{}")
            return (
                {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
            )
        return {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}

    def token_request(self, body, host=None):
        """(status, payload) of ``POST /admin/oauth/access_token``."""
        with self.lock:
            self.token_requests += 1
            shop = self._app_shop(body.get("client_id"), host)
            if shop is None or not hmac.compare_digest(
                self.client_secret(shop), body.get("client_secret") or ""
            ):
                return _error("invalid_client", "Client authentication failed")
            if shop.domain in self.uninstalled:
                return _error("invalid_grant", "The app is not installed on this shop")
            grant = body.get("grant_type") or (
                "authorization_code" if body.get("code") else None
            )
            if grant == "client_credentials":
                return 200, self._issue(shop, grant, self.token_ttls[grant])
            if grant == "authorization_code":
                code = self.oauth_codes.get(body.get("code") or "")
                if (
                    code is None
                    or code["shop"] != shop.domain
                    or code["used"]
                    or code["expires"] < time.time()
                ):
                    return _error(
                        "invalid_grant",
                        "The authorization code was not found or was already used",
                    )
                code["used"] = True
                if body.get("expiring") in ("1", "true"):
                    return 200, self._issue(
                        shop, grant, self.token_ttls["offline"], refresh=True
                    )
                return 200, self._issue(shop, grant, None)
            if grant == "refresh_token":
                old = self.refresh_tokens.pop(body.get("refresh_token") or "", None)
                if (
                    old is None
                    or old["shop"] != shop.domain
                    or (old["expires"] < time.time())
                ):
                    return _error("invalid_grant", "The refresh token is invalid")
                return 200, self._issue(
                    shop, grant, self.token_ttls["offline"], refresh=True
                )
            return _error("unsupported_grant_type", f"grant_type {grant!r}")

    def _issue(self, shop, grant, ttl, refresh=False):
        now = time.time()
        token = "shpat_" + secrets.token_hex(16)
        self.oauth_tokens[token] = {
            "shop": shop.domain,
            "expires": None if ttl is None else now + ttl,
        }
        self.grants[shop.domain, grant] += 1
        answer = {"access_token": token, "scope": ",".join(shop.scopes)}
        if ttl is not None:
            answer["expires_in"] = int(ttl)
        if refresh:
            refresh_token = "shprt_" + secrets.token_hex(16)
            self.refresh_tokens[refresh_token] = {
                "shop": shop.domain,
                "expires": now + self.token_ttls["refresh"],
            }
            answer["refresh_token"] = refresh_token
            answer["refresh_token_expires_in"] = int(self.token_ttls["refresh"])
        return answer

    # -- the authorize page -----------------------------------------------------------

    def authorize(self, query):
        """``Location`` of the redirect after the merchant approved the app
        (approving installs it again), or (400, message)."""
        with self.lock:
            shop = self._app_shop(query.get("client_id"))
            if shop is None or not query.get("redirect_uri"):
                return 400, "Oauth error invalid_request: unknown client_id"
            self.uninstalled.discard(shop.domain)
            code = secrets.token_hex(16)
            self.oauth_codes[code] = {
                "shop": shop.domain,
                "expires": time.time() + CODE_TTL,
                "used": False,
            }
            store = shop.domain.split(".")[0]
            params = {
                "code": code,
                "host": base64.b64encode(
                    f"admin.shopify.com/store/{store}".encode()
                ).decode(),
                "shop": shop.domain,
                "state": query.get("state") or "",
                "timestamp": str(int(time.time())),
            }
            params["hmac"] = callback_hmac(params, self.client_secret(shop))
            return 302, f"{query['redirect_uri']}?{urlencode(params)}"

    # -- uninstall ---------------------------------------------------------------------

    def uninstall(self, shop=None):
        """The merchant uninstalls the app: tokens revoked, ``app/uninstalled``
        sent, the app's webhook subscriptions removed."""
        with self.lock:
            shop = self.shop(shop)
            self.uninstalled.add(shop.domain)
            for tokens in (self.oauth_tokens, self.refresh_tokens):
                for token in [t for t, g in tokens.items() if g["shop"] == shop.domain]:
                    del tokens[token]
            payload = {
                "id": shop.number,
                "name": shop.name,
                "email": shop.email,
                "domain": shop.domain,
                "myshopify_domain": shop.domain,
                "currency": shop.currency,
            }
            self._emit(shop, "APP_UNINSTALLED", payload)
            shop.webhooks.clear()
            return {"uninstalled": shop.domain}

    def install(self, shop=None):
        """The merchant installs the app again (static token valid again)."""
        with self.lock:
            shop = self.shop(shop)
            self.uninstalled.discard(shop.domain)
            return {"installed": shop.domain}

    def oauth_stats(self):
        with self.lock:
            return {
                "grants": [
                    {"shop": shop, "grant": grant, "count": count}
                    for (shop, grant), count in sorted(self.grants.items())
                ],
                "ttls": dict(self.token_ttls),
                "requests": self.token_requests,
                "uninstalled": sorted(self.uninstalled),
            }


def callback_hmac(params, secret):
    """Shopify's ``hmac`` of a redirect: hex HMAC-SHA256 of the sorted
    ``key=value`` pairs joined by ``&``, ``hmac`` itself left out."""
    message = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "hmac")
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
