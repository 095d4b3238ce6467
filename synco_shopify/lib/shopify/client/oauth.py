"""The token endpoint: ``POST https://{shop}/admin/oauth/access_token``.

HTTP of the OAuth grants (the values are :mod:`..oauth`'s), with the
session conventions of :mod:`.transport`: form-encoded, as shopify.dev shows
it, a ``User-Agent``, the ``(connect, read)`` timeout.  Nothing secret is
logged: the request body holds the client secret and the answer the tokens.
"""

import contextlib
import logging
import threading
import time

import requests

from ..errors import ShopifyCredentialsRefused, ShopifyRetryableError
from ..oauth import (
    TOKEN_PATH,
    Token,
    client_credentials_body,
    parse_token_response,
    refresh_token_body,
)
from .transport import USER_AGENT, _retry_after, _short

_logger = logging.getLogger(__name__)


def request_token(
    shop_domain, body, *, base_url=None, session=None, timeout=(5, 30), now=None
):
    """Send one grant; return its :class:`~..oauth.Token`.

    :param body: from :func:`~..oauth.client_credentials_body` and friends
    :raise ShopifyCredentialsRefused: Shopify refused the credentials, the
        code or the refresh token (HTTP 400, 401, 403 or 404)
    :raise ShopifyRetryableError: network trouble, 429, 5xx, unreadable answer
    """
    base = (base_url or f"https://{shop_domain}").rstrip("/")
    own = session is None
    session = session if session is not None else requests.Session()
    grant = body.get("grant_type") or "authorization_code"
    try:
        resp = session.post(
            base + TOKEN_PATH,
            data=body,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise ShopifyRetryableError(
            f"{grant} grant for {shop_domain}: network error {type(exc).__name__}",
            operation="access_token",
        ) from exc
    finally:
        if own:
            session.close()
    status = resp.status_code
    if status == 429 or status >= 500:
        raise ShopifyRetryableError(
            f"{grant} grant for {shop_domain}: HTTP {status}",
            retry_after=_retry_after(resp.headers.get("Retry-After")),
            status=status,
            operation="access_token",
        )
    if status >= 400:
        raise ShopifyCredentialsRefused(
            f"Shopify refused the {grant} grant for {shop_domain} "
            f"(HTTP {status}: {_error_text(resp)})",
            status=status,
            operation="access_token",
        )
    try:
        token = parse_token_response(resp.json(), now=now)
    except ValueError as exc:
        raise ShopifyRetryableError(
            f"{grant} grant for {shop_domain}: unreadable answer (HTTP {status})",
            status=status,
            operation="access_token",
        ) from exc
    _logger.info(
        "%s: %s grant gave a token for %s s",
        shop_domain,
        grant,
        "ever"
        if token.expires_at is None
        else round(token.expires_at - token.obtained_at),
    )
    return token


def _error_text(resp):
    """Shopify's ``error`` / ``error_description`` / ``errors``, never a token."""
    try:
        data = resp.json()
    except ValueError:
        return _short(resp.text, 120)
    if not isinstance(data, dict):
        return _short(str(data), 120)
    parts = [
        str(data[key])
        for key in ("error", "error_description", "errors")
        if data.get(key)
    ]
    return _short("; ".join(parts), 200) or "no detail"


class MemoryTokenStore:
    """Token state per shop in this process (tests, scripts); the Odoo side
    keeps it in a database row every worker and node shares."""

    def __init__(self):
        self._locks = {}
        self._guard = threading.Lock()
        self.states = {}

    @contextlib.contextmanager
    def locked(self, key):
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            state = dict(self.states.get(key) or {})
            yield state
            self.states[key] = state


class TokenProvider:
    """A shop's token, fetched once for every client sharing ``store``.

    The token provider of :class:`~.ShopifyClient` for the client-credentials
    grant (``method="client_credentials"``) and expiring offline tokens of
    the install link (``method="install_link"``: refresh-token grant).
    ``store.locked(key)`` yields the shop's state (a dict) under an exclusive
    lock and keeps what was written to it: one caller fetches, the others
    wait, then reuse what it stored.  A token is renewed ``margin`` seconds
    before it expires (:meth:`~..oauth.Token.renew_at`); each refresh stores
    the new pair at once, since a refresh token works once.

    A refused grant is remembered in the state: later calls raise
    :class:`ShopifyCredentialsRefused` without asking Shopify again, until
    :meth:`reset` (the shop reconnected); ``on_refused(message)`` is called
    once, by the caller that met the refusal.
    """

    def __init__(
        self,
        shop_domain,
        method,
        client_id,
        client_secret,
        store,
        *,
        base_url=None,
        session=None,
        timeout=(5, 30),
        margin=300,
        clock=time.time,
        on_refused=None,
    ):
        if method not in ("client_credentials", "install_link"):
            raise ValueError(f"no token grant for {method!r}")
        self.shop_domain = shop_domain
        self.method = method
        self.client_id, self.client_secret = client_id, client_secret
        self.store = store
        self.base_url, self.session, self.timeout = base_url, session, timeout
        self.margin, self.clock = margin, clock
        self.on_refused = on_refused
        self._token = None  # the last Token this provider saw

    def token(self):
        if self._token is not None and self._token.fresh(self.clock(), self.margin):
            return self._token.access_token
        return self._obtain(stale=None)

    def refresh(self, stale):
        """A new token: Shopify answered 401 to ``stale``."""
        self._token = None
        return self._obtain(stale=stale or "")

    def _obtain(self, stale):
        refused = None
        with self.store.locked(self.shop_domain) as state:
            held = _token_of(state)
            if state.get("refused"):
                refused, first = state["refused"], False
            elif (
                held is not None
                and held.access_token != stale
                and (held.fresh(self.clock(), self.margin))
            ):
                self._token = held  # another worker fetched it meanwhile
                return held.access_token
            else:
                try:
                    token = self._grant(state)
                except ShopifyCredentialsRefused as exc:
                    refused, first = exc.message, True
                    state["refused"] = refused
                else:
                    state.update(
                        access_token=token.access_token,
                        scope=token.scope,
                        expires_at=token.expires_at,
                        obtained_at=token.obtained_at,
                        fetches=(state.get("fetches") or 0) + 1,
                    )
                    if token.refresh_token:  # the pair, in one write
                        state.update(
                            refresh_token=token.refresh_token,
                            refresh_expires_at=token.refresh_expires_at,
                        )
                    self._token = _token_of(state)
                    return token.access_token
        if first and self.on_refused:
            self.on_refused(refused)
        raise ShopifyCredentialsRefused(refused, status=401, operation="access_token")

    def _grant(self, state):
        if not self.client_id or not self.client_secret:
            raise ShopifyCredentialsRefused(
                f"{self.shop_domain} has no client ID and secret"
            )
        if self.method == "client_credentials":
            body = client_credentials_body(self.client_id, self.client_secret)
        else:
            if not state.get("refresh_token"):
                raise ShopifyCredentialsRefused(
                    f"{self.shop_domain} has no refresh token: open the install "
                    f"link again"
                )
            body = refresh_token_body(
                self.client_id, self.client_secret, state["refresh_token"]
            )
        return request_token(
            self.shop_domain,
            body,
            base_url=self.base_url,
            session=self.session,
            timeout=self.timeout,
            now=self.clock(),
        )


def _token_of(state):
    if not state.get("access_token"):
        return None
    return Token(
        access_token=state["access_token"],
        scope=state.get("scope") or "",
        expires_at=state.get("expires_at"),
        refresh_token=state.get("refresh_token"),
        refresh_expires_at=state.get("refresh_expires_at"),
        obtained_at=state.get("obtained_at") or 0.0,
    )
