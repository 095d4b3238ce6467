"""OAuth through the simulator: each grant, renewal, 401, rotation, refusals.

The pure checks (state, callback hmac, timestamp, shop domain) of
``lib/shopify/oauth.py``, the token endpoint of ``client/oauth.py`` and the
:class:`TokenProvider` that :class:`ShopifyClient` asks for its token, all
against the simulator's ``/admin/oauth/access_token`` and authorize page.
"""

import tests.conftest  # noqa: F401  (addon path)

# isort: split
import threading
import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from odoo.addons.synco_shopify.lib.shopify import (
    CostThrottle,
    MemoryThrottleStore,
    ShopifyClient,
    ShopifyCredentialsRefused,
    oauth,
)
from odoo.addons.synco_shopify.lib.shopify.client.oauth import (
    MemoryTokenStore,
    TokenProvider,
    request_token,
)

from tests.shopify_simulator import DEMO_DOMAIN, DEMO_TOKEN, Simulator

SERVER_SECRET = "odoo-database-secret"


@pytest.fixture(scope="module")
def sim_module():
    simulator = Simulator(fixture="demo").start()
    yield simulator
    simulator.stop()


@pytest.fixture
def sim(sim_module):
    sim_module.reset("demo")
    yield sim_module


def app(sim):
    shop = sim.shop(DEMO_DOMAIN)
    return sim.client_id(shop), sim.client_secret(shop)


def grants(sim, grant):
    return sum(g["count"] for g in sim.oauth_stats()["grants"] if g["grant"] == grant)


class Clock:
    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now


def provider(sim, method="client_credentials", store=None, **kwargs):
    client_id, secret = app(sim)
    return TokenProvider(
        DEMO_DOMAIN,
        kwargs.pop("method", method),
        kwargs.pop("client_id", client_id),
        kwargs.pop("client_secret", secret),
        store if store is not None else MemoryTokenStore(),
        base_url=sim.base_url,
        **kwargs,
    )


def client(sim, token):
    return ShopifyClient(
        DEMO_DOMAIN,
        token,
        base_url=sim.base_url,
        throttle=CostThrottle(MemoryThrottleStore()),
        backoff_base=0.01,
    )


def install(sim, redirect="https://odoo.example.com/synco_shopify/oauth/callback"):
    """The merchant follows our install link: (callback params, state)."""
    client_id, _secret = app(sim)
    state = oauth.make_state(SERVER_SECRET, DEMO_DOMAIN)
    url = oauth.install_url(
        DEMO_DOMAIN, client_id, ["read_inventory"], redirect, state, sim.base_url
    )
    resp = requests.get(url, allow_redirects=False, timeout=5)
    assert resp.status_code == 302
    location = urlparse(resp.headers["Location"])
    assert location.path == "/synco_shopify/oauth/callback"
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert set(params) == {"code", "hmac", "host", "shop", "state", "timestamp"}
    return params, state


# ------------------------------------------------------------- client credentials
def test_client_credentials_token_obtained_and_used(sim):
    keeper = provider(sim)
    with client(sim, keeper) as api:
        assert api.shop_info()["myshopify_domain"] == DEMO_DOMAIN
        api.shop_info()
    assert grants(sim, "client_credentials") == 1
    state = keeper.store.states[DEMO_DOMAIN]
    assert state["fetches"] == 1
    assert 86000 < state["expires_at"] - state["obtained_at"] <= 86399


def test_json_body_accepted(sim):
    client_id, secret = app(sim)
    resp = requests.post(
        f"{sim.base_url}/admin/oauth/access_token",
        json={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
        },
        timeout=5,
    )
    assert resp.status_code == 200
    assert set(resp.json()) == {"access_token", "scope", "expires_in"}


def test_renewed_before_expiry(sim):
    sim.set_token_ttls(client_credentials=30)
    clock = Clock()
    keeper = provider(sim, clock=clock)
    first = keeper.token()
    clock.now += 20  # 10 s before expiry: still fresh (margin 3 s)
    assert keeper.token() == first
    clock.now += 8  # 2 s before expiry: inside the margin
    second = keeper.token()
    assert second != first
    assert grants(sim, "client_credentials") == 2


def test_401_refreshes_once_and_retries(sim):
    keeper = provider(sim)
    with client(sim, keeper) as api:
        api.shop_info()
        # Shopify revokes the token early (a rotated secret, say)
        sim.oauth_tokens.clear()
        assert api.shop_info()["myshopify_domain"] == DEMO_DOMAIN
        assert api.stats.token_refreshes == 1
    assert grants(sim, "client_credentials") == 2
    statuses = [e["http_status"] for e in sim.log]
    assert statuses == [200, 401, 200]


def test_expired_token_gets_shopifys_401(sim):
    sim.set_token_ttls(client_credentials=0.2)
    token = request_token(
        DEMO_DOMAIN,
        oauth.client_credentials_body(*app(sim)),
        base_url=sim.base_url,
    )
    time.sleep(0.3)
    resp = requests.post(
        f"{sim.base_url}/admin/api/2026-07/graphql.json",
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": token.access_token},
        timeout=5,
    )
    assert resp.status_code == 401
    assert resp.json() == {
        "errors": "[API] Invalid API key or access token (unrecognized "
        "login or wrong password)"
    }


def test_one_fetch_for_many_threads(sim):
    store = MemoryTokenStore()
    tokens = []

    def work():
        tokens.append(provider(sim, store=store).token())

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tokens)) == 1
    assert grants(sim, "client_credentials") == 1


def test_wrong_client_secret_refused_once_stores_nothing(sim):
    refusals = []
    keeper = provider(sim, client_secret="wrong", on_refused=refusals.append)
    with client(sim, keeper) as api:
        with pytest.raises(ShopifyCredentialsRefused, match="invalid_client"):
            api.shop_info()
        with pytest.raises(ShopifyCredentialsRefused):
            api.shop_info()
    state = keeper.store.states[DEMO_DOMAIN]
    assert "access_token" not in state
    assert len(refusals) == 1  # one alert, whatever the calls
    assert grants(sim, "client_credentials") == 0
    # the second call did not ask Shopify again
    assert len(sim.log) == 0
    assert sim.oauth_stats()["requests"] == 1


def test_static_token_unchanged(sim):
    with client(sim, DEMO_TOKEN) as api:
        assert api.shop_info()["myshopify_domain"] == DEMO_DOMAIN


# -------------------------------------------------------- install link (code)
def test_install_link_code_exchange_and_rotation(sim):
    client_id, secret = app(sim)
    params, state = install(sim)
    assert oauth.verify_callback(params, secret) == DEMO_DOMAIN
    oauth.check_state(SERVER_SECRET, params["state"], DEMO_DOMAIN)
    body = oauth.authorization_code_body(client_id, secret, params["code"])
    token = request_token(DEMO_DOMAIN, body, base_url=sim.base_url)
    assert token.refresh_token and token.refresh_expires_at
    assert 3590 < token.expires_at - token.obtained_at <= 3600
    store = MemoryTokenStore()
    store.states[DEMO_DOMAIN] = {
        "access_token": token.access_token,
        "expires_at": token.expires_at,
        "obtained_at": token.obtained_at,
        "refresh_token": token.refresh_token,
    }
    keeper = provider(sim, method="install_link", store=store)
    with client(sim, keeper) as api:
        api.shop_info()
        sim.oauth_tokens.clear()  # the access token expired early
        api.shop_info()
    rotated = store.states[DEMO_DOMAIN]["refresh_token"]
    assert rotated != token.refresh_token
    assert grants(sim, "refresh_token") == 1
    # the used refresh token is retired
    with pytest.raises(ShopifyCredentialsRefused, match="invalid_grant"):
        request_token(
            DEMO_DOMAIN,
            oauth.refresh_token_body(client_id, secret, token.refresh_token),
            base_url=sim.base_url,
        )


def test_replayed_code_refused(sim):
    client_id, secret = app(sim)
    params, _state = install(sim)
    body = oauth.authorization_code_body(client_id, secret, params["code"])
    request_token(DEMO_DOMAIN, body, base_url=sim.base_url)
    with pytest.raises(ShopifyCredentialsRefused, match="already used"):
        request_token(DEMO_DOMAIN, body, base_url=sim.base_url)


def test_wrong_hmac_refused(sim):
    _client_id, secret = app(sim)
    params, _state = install(sim)
    params["hmac"] = "0" * 64
    with pytest.raises(oauth.OAuthCallbackError, match="hmac"):
        oauth.verify_callback(params, secret)
    params, _state = install(sim)
    params["shop"] = "evil.myshopify.com"  # hmac no longer matches
    with pytest.raises(oauth.OAuthCallbackError, match="hmac"):
        oauth.verify_callback(params, secret)


def test_bad_shop_and_old_timestamp_refused(sim):
    _client_id, secret = app(sim)
    params, _state = install(sim)
    with pytest.raises(oauth.OAuthCallbackError, match="too old"):
        oauth.verify_callback(params, secret, now=time.time() + 3600)
    params["shop"] = "evil.example.com"
    with pytest.raises(oauth.OAuthCallbackError, match="shop domain"):
        oauth.verify_callback(params, secret)


def test_forged_or_expired_state_refused():
    state = oauth.make_state(SERVER_SECRET, DEMO_DOMAIN, now=1000, ttl=60)
    assert oauth.check_state(SERVER_SECRET, state, DEMO_DOMAIN, now=1030)
    with pytest.raises(oauth.OAuthCallbackError, match="expired"):
        oauth.check_state(SERVER_SECRET, state, DEMO_DOMAIN, now=1061)
    with pytest.raises(oauth.OAuthCallbackError, match="forged"):
        oauth.check_state("another-secret", state, DEMO_DOMAIN, now=1030)
    with pytest.raises(oauth.OAuthCallbackError, match="forged"):
        oauth.check_state(SERVER_SECRET, state, "other.myshopify.com", now=1030)
    nonce, expiry, signature = state.split(".")
    with pytest.raises(oauth.OAuthCallbackError, match="forged"):
        oauth.check_state(
            SERVER_SECRET,
            f"{nonce}.{int(expiry) + 9999}.{signature}",
            DEMO_DOMAIN,
            now=1030,
        )
    with pytest.raises(oauth.OAuthCallbackError, match="not one Synco issued"):
        oauth.check_state(SERVER_SECRET, "garbage", DEMO_DOMAIN)


# -------------------------------------------------------------- uninstall
def test_uninstall_revokes_and_sends_app_uninstalled(sim):
    shop = sim.shop(DEMO_DOMAIN)
    sim.apply_webhook_create(
        shop, "2026-07", "APP_UNINSTALLED", {"uri": "http://127.0.0.1:9/hook"}
    )
    keeper = provider(sim)
    refusals = []
    keeper.on_refused = refusals.append
    with client(sim, keeper) as api:
        api.shop_info()
        sim.uninstall(DEMO_DOMAIN)
        with pytest.raises(ShopifyCredentialsRefused):
            api.shop_info()
    with client(sim, DEMO_TOKEN) as api, pytest.raises(Exception, match="401"):
        api.shop_info()
    topics = [d["topic"] for d in sim.deliveries()]
    assert topics == ["APP_UNINSTALLED"]
    assert sim.deliveries()[0]["payload"]["myshopify_domain"] == DEMO_DOMAIN
    assert len(refusals) == 1
    sim.install(DEMO_DOMAIN)
    keeper.store.states[DEMO_DOMAIN].pop("refused")  # the shop reconnected
    with client(sim, keeper) as api:
        assert api.shop_info()["myshopify_domain"] == DEMO_DOMAIN
