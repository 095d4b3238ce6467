"""ShopifyClient behaviour against scripted HTTP answers (no server).

A fake ``requests`` session answers each POST from a handler, which lets
these tests pin down the exact mapping of transport outcomes to exceptions
and retries, and what the client puts on the wire, independently of the
simulator.
"""

import ast
import json

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from odoo.addons.synco_shopify.lib.shopify import (
    DEFAULT_API_VERSION,
    MIN_API_VERSION,
    USER_AGENT,
    CostThrottle,
    MemoryThrottleStore,
    Outcome,
    QuantityChange,
    ShopifyAuthError,
    ShopifyClient,
    ShopifyPermanentError,
    ShopifyQueryError,
    ShopifyRetryableError,
    ShopifyThrottledError,
    ShopifyUserErrors,
    UserError,
    api_version_problem,
    check_api_version,
    search_quote,
    to_gid,
)
from odoo.addons.synco_shopify.lib.shopify.client import FALLBACK_ADDON_VERSION

from tests.conftest import REPO_ROOT

SHOP = "unit-test.myshopify.com"
TOKEN = "shpat_unit"
ITEM = "gid://shopify/InventoryItem/{}"
LOC = "gid://shopify/Location/{}"


def cost(requested=10, actual=None, available=990, maximum=1000, rate=50):
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": requested if actual is None else actual,
        "throttleStatus": {
            "maximumAvailable": maximum,
            "currentlyAvailable": available,
            "restoreRate": rate,
        },
    }


class FakeResponse:
    def __init__(self, status=200, body=None, headers=None, text=None):
        self.status_code = status
        self._body = body
        self.headers = CaseInsensitiveDict(headers or {})
        self.text = text if text is not None else json.dumps(body)

    def json(self):
        if self._body is None:
            raise ValueError("no JSON")
        return self._body


class FakeSession:
    """Records every POST; ``handler(request) -> FakeResponse`` (or raises)."""

    def __init__(self, handler):
        self.handler = handler
        self.requests = []

    def post(self, url, data=None, headers=None, timeout=None):
        request = {
            "url": url,
            "body": json.loads(data),
            "raw": data,
            "headers": headers,
            "timeout": timeout,
        }
        self.requests.append(request)
        result = self.handler(request)
        if isinstance(result, BaseException):
            raise result
        return result

    def close(self):
        pass


def ok(data, **cost_kwargs):
    return FakeResponse(
        200, {"data": data, "extensions": {"cost": cost(**cost_kwargs)}}
    )


class FakeClock:
    """Time that only moves when someone sleeps: fast and deterministic."""

    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def make_client(handler, **kwargs):
    session = FakeSession(handler)
    clock = FakeClock()
    throttle = CostThrottle(MemoryThrottleStore(), clock=clock, sleep=clock.sleep)
    client = ShopifyClient(
        SHOP, TOKEN, session=session, throttle=throttle, backoff_base=0.01, **kwargs
    )
    client.sleeps = []

    def sleep(seconds):
        client.sleeps.append(seconds)
        clock.sleep(seconds)

    client.sleep = sleep
    return client, session


def shop_answer(_request):
    return FakeResponse(
        200,
        {
            "data": {
                "shop": {
                    "name": "Unit",
                    "myshopifyDomain": SHOP,
                    "currencyCode": "USD",
                    "ianaTimezone": "America/New_York",
                }
            },
            "extensions": {"cost": cost(requested=1, available=999)},
        },
        headers={"X-Shopify-API-Version": "2026-07"},
    )


# -- construction ---------------------------------------------------------------


def test_endpoint_headers_and_timeout_on_every_call():
    client, session = make_client(shop_answer, timeout=(3, 7))
    info = client.shop_info()
    client.shop_info()
    assert info["name"] == "Unit"
    assert info["api_version"] == "2026-07"
    assert info["throttle"] == {
        "maximum_available": 1000,
        "restore_rate": 50,
        "currently_available": 999,
    }
    for request in session.requests:
        assert request["url"] == f"https://{SHOP}/admin/api/2026-07/graphql.json"
        assert request["headers"]["X-Shopify-Access-Token"] == TOKEN
        assert request["headers"]["User-Agent"] == USER_AGENT
        assert request["timeout"] == (3, 7)
        assert request["body"]["operationName"] == "ShopInfo"


def test_user_agent_names_addon_and_manifest_version():
    manifest = ast.literal_eval(
        (REPO_ROOT / "synco_shopify" / "__manifest__.py").read_text()
    )
    assert manifest["version"] != FALLBACK_ADDON_VERSION  # read, not the fallback
    assert USER_AGENT == f"synco_shopify/{manifest['version']}"


def test_base_url_override_for_simulator():
    client, session = make_client(shop_answer, base_url="http://127.0.0.1:8765/")
    client.shop_info()
    assert (
        session.requests[0]["url"]
        == "http://127.0.0.1:8765/admin/api/2026-07/graphql.json"
    )


@pytest.mark.parametrize("version", ["2026-04", "2026-07", "2027-01"])
def test_supported_versions(version):
    assert check_api_version(version) == version
    client, session = make_client(shop_answer, api_version=version)
    client.shop_info()
    assert f"/admin/api/{version}/" in session.requests[0]["url"]


@pytest.mark.parametrize("version", ["2026-01", "2025-10", "2024-04"])
def test_older_versions_refused_with_reason(version):
    with pytest.raises(ValueError, match="2026-04 or later"):
        ShopifyClient(SHOP, TOKEN, api_version=version)


@pytest.mark.parametrize(
    "version", ["unstable", "2026-4", "2026-13", "2026-05", "2026-07-rc", "", None]
)
def test_malformed_versions_refused(version):
    with pytest.raises(ValueError, match="YYYY-MM"):
        ShopifyClient(SHOP, TOKEN, api_version=version)


@pytest.mark.parametrize(
    ("version", "problem"),
    [
        # Shopify's stable releases are quarterly: YYYY-01, -04, -07, -10
        ("2026-04", None),
        ("2026-07", None),
        ("2026-10", None),
        ("2027-01", None),
        ("2030-04", None),
        # before 2026-04 inventory writes lack @idempotent / changeFromQuantity
        ("2026-01", "too old"),
        ("2025-10", "too old"),
        ("2019-04", "too old"),
        # not the name of a stable release
        ("2026-05", "malformed"),
        ("2026-12", "malformed"),
        ("2026-00", "malformed"),
        ("2026-13", "malformed"),
        ("2026-4", "malformed"),
        ("26-04", "malformed"),
        (" 2026-04", "malformed"),
        ("2026-04\n", "malformed"),
        ("unstable", "malformed"),
        ("latest", "malformed"),
        ("", "malformed"),
        (None, "malformed"),
        (202604, "malformed"),
    ],
)
def test_api_version_rule(version, problem):
    assert api_version_problem(version) == problem
    if problem is None:
        assert check_api_version(version) == version
    else:
        reason = {"malformed": "YYYY-MM", "too old": "2026-04 or later"}[problem]
        with pytest.raises(ValueError, match=reason):
            check_api_version(version)


def test_default_api_version_follows_the_rule():
    assert api_version_problem(DEFAULT_API_VERSION) is None
    assert api_version_problem(MIN_API_VERSION) is None
    assert DEFAULT_API_VERSION >= MIN_API_VERSION
    assert ShopifyClient(SHOP, TOKEN).api_version == DEFAULT_API_VERSION


def test_helpers():
    assert to_gid("Location", 42) == "gid://shopify/Location/42"
    assert to_gid("Location", "gid://shopify/Location/7") == "gid://shopify/Location/7"
    with pytest.raises(ValueError):
        to_gid("Location", "abc")
    assert search_quote('A"B\\C') == '"A\\"B\\\\C"'


# -- error mapping and retries -----------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_are_permanent_and_not_retried(status):
    client, session = make_client(
        lambda r: FakeResponse(status, {"errors": "Invalid API key or access token"})
    )
    with pytest.raises(ShopifyAuthError) as info:
        client.shop_info()
    assert isinstance(info.value, ShopifyPermanentError)
    assert info.value.status == status
    assert len(session.requests) == 1


@pytest.mark.parametrize("status", [400, 404, 402, 423])
def test_other_4xx_are_permanent(status):
    client, session = make_client(lambda r: FakeResponse(status, {"errors": "no"}))
    with pytest.raises(ShopifyPermanentError) as info:
        client.shop_info()
    assert not isinstance(info.value, ShopifyRetryableError)
    assert len(session.requests) == 1


def test_graphql_validation_error_is_permanent_query_error():
    body = {
        "errors": [
            {
                "message": "Field 'nope' doesn't exist on type 'Shop'",
                "extensions": {"code": "undefinedField"},
            }
        ]
    }
    client, session = make_client(lambda r: FakeResponse(200, body))
    with pytest.raises(ShopifyQueryError, match="doesn't exist"):
        client.shop_info()
    assert len(session.requests) == 1


def test_access_denied_is_auth_error():
    body = {
        "data": None,
        "errors": [
            {"message": "Access denied", "extensions": {"code": "ACCESS_DENIED"}}
        ],
    }
    client, _session = make_client(lambda r: FakeResponse(200, body))
    with pytest.raises(ShopifyAuthError):
        client.shop_info()


def _script(*answers):
    answers = list(answers)

    def handler(_request):
        answer = answers.pop(0)
        return answer(_request) if callable(answer) else answer

    return handler


def test_5xx_retried_then_succeeds():
    client, session = make_client(
        _script(
            FakeResponse(502, None, text="bad gateway"),
            FakeResponse(503, None),
            shop_answer,
        )
    )
    assert client.shop_info()["name"] == "Unit"
    assert len(session.requests) == 3
    assert client.stats.retries == 2
    assert len(client.sleeps) == 2


def test_429_honours_retry_after():
    client, _session = make_client(
        _script(
            FakeResponse(429, {"errors": "Throttled"}, {"Retry-After": "2.5"}),
            shop_answer,
        )
    )
    assert client.shop_info()["name"] == "Unit"
    assert client.sleeps == [2.5]
    assert client.stats.throttled == 1


def test_retryable_error_raised_after_max_retries_with_delay():
    client, session = make_client(
        lambda r: FakeResponse(503, None, {"Retry-After": "4"}), max_retries=3
    )
    with pytest.raises(ShopifyRetryableError) as info:
        client.shop_info()
    assert info.value.status == 503
    assert info.value.retry_after == 4.0
    assert len(session.requests) == 4  # first try + 3 retries


@pytest.mark.parametrize(
    "exc",
    [requests.ConnectionError("reset by peer"), requests.ReadTimeout("read timeout")],
)
def test_network_errors_are_retried(exc):
    client, session = make_client(_script(exc, shop_answer))
    assert client.shop_info()["name"] == "Unit"
    assert len(session.requests) == 2


def test_network_error_after_retries_is_retryable():
    client, _ = make_client(lambda r: requests.ConnectTimeout("x"), max_retries=1)
    with pytest.raises(ShopifyRetryableError, match="timeout"):
        client.shop_info()


def test_unreadable_200_is_retryable():
    client, session = make_client(
        _script(FakeResponse(200, None, text="<html>"), shop_answer)
    )
    assert client.shop_info()["name"] == "Unit"
    assert len(session.requests) == 2


def test_throttled_answer_waits_the_missing_points():
    throttled = FakeResponse(
        200,
        {
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": {"cost": cost(requested=100, available=20, rate=50)},
        },
    )
    client, _session = make_client(_script(throttled, shop_answer))
    assert client.shop_info()["name"] == "Unit"
    # (100 - 20) points at 50 points/s
    assert client.sleeps == [pytest.approx(1.6)]
    assert client.stats.throttled == 1


def test_throttled_error_class_carries_delay():
    throttled = FakeResponse(
        200,
        {
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": {"cost": cost(requested=60, available=10, rate=100)},
        },
    )
    client, _ = make_client(lambda r: throttled, max_retries=0)
    with pytest.raises(ShopifyThrottledError) as info:
        client.shop_info()
    assert info.value.retry_after == pytest.approx(0.5)


# -- set_available -------------------------------------------------------------


def _set_payload(request):
    assert request["body"]["operationName"] == "InventorySetQuantities"
    return request["body"]["variables"]


def test_set_available_wire_format():
    client, session = make_client(
        lambda r: ok(
            {
                "inventorySetQuantities": {
                    "inventoryAdjustmentGroup": {"id": "g"},
                    "userErrors": [],
                }
            }
        )
    )
    result = client.set_available(
        [
            QuantityChange("1", "2", 5, 3),
            QuantityChange(ITEM.format(9), LOC.format(2), 0, None),
        ],
        reason="correction",
        reference_uri="gid://synco-shopify/StockMove/42",
    )
    variables = _set_payload(session.requests[0])
    assert variables["input"] == {
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": "gid://synco-shopify/StockMove/42",
        "quantities": [
            {
                "inventoryItemId": ITEM.format(1),
                "locationId": LOC.format(2),
                "quantity": 5,
                "changeFromQuantity": 3,
            },
            {
                "inventoryItemId": ITEM.format(9),
                "locationId": LOC.format(2),
                "quantity": 0,
                "changeFromQuantity": None,
            },
        ],
    }
    # explicit null, not an absent key
    assert '"changeFromQuantity": null' in session.requests[0]["raw"]
    assert len(variables["idempotencyKey"]) == 36
    assert [o.status for o in result.outcomes] == [Outcome.APPLIED] * 2
    assert result.outcomes[0].change == QuantityChange("1", "2", 5, 3)
    assert result.calls == 1 and result.ok


def test_set_available_splits_at_250_with_one_key_per_call():
    client, session = make_client(
        lambda r: ok(
            {
                "inventorySetQuantities": {
                    "inventoryAdjustmentGroup": {"id": "g"},
                    "userErrors": [],
                }
            }
        )
    )
    changes = [QuantityChange(str(i), "1", i, 0) for i in range(1, 602)]
    result = client.set_available(changes, reference_uri="gid://synco-shopify/Sync/1")
    sizes = [len(_set_payload(r)["input"]["quantities"]) for r in session.requests]
    assert sizes == [250, 250, 101]
    keys = {_set_payload(r)["idempotencyKey"] for r in session.requests}
    assert len(keys) == 3
    assert len(result.applied) == 601 and result.calls == 3


def test_retry_after_dropped_connection_reuses_key_and_bytes():
    answers = [
        requests.ConnectionError("connection dropped"),
        ok(
            {
                "inventorySetQuantities": {
                    "inventoryAdjustmentGroup": {"id": "g"},
                    "userErrors": [],
                }
            }
        ),
    ]
    client, session = make_client(lambda r: answers.pop(0))
    client.set_available([QuantityChange("1", "1", 4, 2)], reference_uri="gid://x/Y/1")
    assert len(session.requests) == 2
    assert session.requests[0]["raw"] == session.requests[1]["raw"]


def test_set_available_validates_input():
    client, _ = make_client(lambda r: pytest.fail("no call expected"))
    with pytest.raises(ValueError, match="duplicate"):
        client.set_available(
            [QuantityChange("1", "1", 1, 0), QuantityChange("1", "1", 2, 1)],
            reference_uri="gid://x/Y/1",
        )
    with pytest.raises(ValueError, match="reference_uri"):
        client.set_available([QuantityChange("1", "1", 1, 0)], reference_uri="")
    with pytest.raises(ValueError, match="integer"):
        client.set_available([QuantityChange("1", "1", 1.5, 0)], reference_uri="u://x")


def _user_error(index, code, message="refused", field="quantity"):
    return {
        "field": ["input", "quantities", str(index), field],
        "code": code,
        "message": message,
    }


def test_user_errors_mapped_to_items_and_rest_resent():
    """Shopify rejects the call; the failing items are reported, the rest resent."""
    calls = []

    def handler(request):
        quantities = _set_payload(request)["input"]["quantities"]
        calls.append(request)
        if len(calls) == 1:
            return ok(
                {
                    "inventorySetQuantities": {
                        "inventoryAdjustmentGroup": None,
                        "userErrors": [
                            _user_error(1, "ITEM_NOT_STOCKED_AT_LOCATION"),
                            _user_error(3, "INVALID_QUANTITY_NEGATIVE"),
                        ],
                    }
                }
            )
        assert [q["inventoryItemId"] for q in quantities] == [
            ITEM.format(1),
            ITEM.format(3),
        ]
        return ok(
            {
                "inventorySetQuantities": {
                    "inventoryAdjustmentGroup": {"id": "g"},
                    "userErrors": [],
                }
            }
        )

    client, session = make_client(handler)
    changes = [
        QuantityChange("1", "1", 1, 0),
        QuantityChange("2", "1", 1, 0),
        QuantityChange("3", "1", 1, 0),
        QuantityChange("4", "1", -1, 0),
    ]
    result = client.set_available(changes, reference_uri="u://x")
    statuses = [o.status for o in result.outcomes]
    assert statuses == [
        Outcome.APPLIED,
        Outcome.NOT_STOCKED,
        Outcome.APPLIED,
        Outcome.FAILED,
    ]
    assert result.outcomes[3].code == "INVALID_QUANTITY_NEGATIVE"
    assert result.outcomes[3].change is changes[3]
    keys = [_set_payload(r)["idempotencyKey"] for r in session.requests]
    assert keys[0] != keys[1]  # the input changed, so the key too


def test_general_user_error_fails_every_item():
    client, _ = make_client(
        lambda r: ok(
            {
                "inventorySetQuantities": {
                    "inventoryAdjustmentGroup": None,
                    "userErrors": [
                        {
                            "field": ["input", "reason"],
                            "code": "INVALID_REASON",
                            "message": "bad reason",
                        }
                    ],
                }
            }
        )
    )
    result = client.set_available(
        [QuantityChange("1", "1", 1, 0), QuantityChange("2", "1", 1, 0)],
        reason="nonsense",
        reference_uri="u://x",
    )
    assert [o.code for o in result.outcomes] == ["INVALID_REASON"] * 2
    assert not result.ok


def _stale_shop(levels):
    """Handler holding ``levels`` {(item, loc): available}; enforces changeFrom."""

    def handler(request):
        body = request["body"]
        if body["operationName"] == "InventoryLevelsByItem":
            nodes = []
            for item in body["variables"]["ids"]:
                nodes.append(
                    {
                        "id": item,
                        "inventoryLevels": {
                            "pageInfo": {"hasNextPage": False, "endCursor": None},
                            "nodes": [
                                {
                                    "location": {"id": loc},
                                    "quantities": [
                                        {"name": "available", "quantity": q}
                                    ],
                                }
                                for (i, loc), q in levels.items()
                                if i == item
                            ],
                        },
                    }
                )
            return ok({"nodes": nodes})
        quantities = body["variables"]["input"]["quantities"]
        errors = [
            _user_error(n, "CHANGE_FROM_QUANTITY_STALE", field="changeFromQuantity")
            for n, q in enumerate(quantities)
            if q["changeFromQuantity"] is not None
            and levels[(q["inventoryItemId"], q["locationId"])]
            != q["changeFromQuantity"]
        ]
        if errors:
            return ok(
                {
                    "inventorySetQuantities": {
                        "inventoryAdjustmentGroup": None,
                        "userErrors": errors,
                    }
                }
            )
        for q in quantities:
            levels[(q["inventoryItemId"], q["locationId"])] = q["quantity"]
        return ok(
            {
                "inventorySetQuantities": {
                    "inventoryAdjustmentGroup": {"id": "g"},
                    "userErrors": [],
                }
            }
        )

    return handler


def test_stale_default_keeps_concurrent_change():
    # Odoo believed 10 and wants 7 (3 left Odoo); Shopify sold 2 meanwhile (8).
    levels = {(ITEM.format(1), LOC.format(1)): 8, (ITEM.format(2), LOC.format(1)): 5}
    client, session = make_client(_stale_shop(levels))
    result = client.set_available(
        [QuantityChange("1", "1", 7, 10), QuantityChange("2", "1", 6, 5)],
        reference_uri="u://x",
    )
    assert levels[(ITEM.format(1), LOC.format(1))] == 5  # 7 + (8 - 10)
    assert levels[(ITEM.format(2), LOC.format(1))] == 6  # non-stale item resent
    first, second = result.outcomes
    assert first.status == Outcome.STALE_RESOLVED
    assert (first.quantity, first.change_from, first.current) == (5, 8, 8)
    assert second.status == Outcome.APPLIED
    ops = [r["body"]["operationName"] for r in session.requests]
    assert ops == [
        "InventorySetQuantities",
        "InventoryLevelsByItem",
        "InventorySetQuantities",
    ]
    keys = [
        _set_payload(r)["idempotencyKey"]
        for r in session.requests
        if r["body"]["operationName"] == "InventorySetQuantities"
    ]
    assert keys[0] != keys[1]
    assert result.stale_rounds == 1


def test_stale_default_floors_at_zero():
    levels = {(ITEM.format(1), LOC.format(1)): 1}
    client, _ = make_client(_stale_shop(levels))
    client.set_available([QuantityChange("1", "1", 2, 10)], reference_uri="u://x")
    assert levels[(ITEM.format(1), LOC.format(1))] == 0


def test_on_stale_callback_decides_and_can_drop():
    levels = {(ITEM.format(1), LOC.format(1)): 8, (ITEM.format(2), LOC.format(1)): 3}
    seen = []

    def on_stale(change, current):
        seen.append(
            (change.inventory_item_id, change.quantity, change.change_from, current)
        )
        return None if change.inventory_item_id == ITEM.format(2) else 42

    client, _ = make_client(_stale_shop(levels))
    result = client.set_available(
        [QuantityChange("1", "1", 7, 10), QuantityChange("2", "1", 1, 0)],
        reference_uri="u://x",
        on_stale=on_stale,
    )
    assert sorted(seen) == [(ITEM.format(1), 7, 10, 8), (ITEM.format(2), 1, 0, 3)]
    assert levels == {
        (ITEM.format(1), LOC.format(1)): 42,
        (ITEM.format(2), LOC.format(1)): 3,
    }
    assert [o.status for o in result.outcomes] == [
        Outcome.STALE_RESOLVED,
        Outcome.DROPPED,
    ]


def test_stale_forever_gives_up_after_rounds():
    """A level that changes under every attempt ends as a failure, not a loop."""
    levels = {(ITEM.format(1), LOC.format(1)): 0}
    handler = _stale_shop(levels)

    def moving(request):
        levels[(ITEM.format(1), LOC.format(1))] += 1  # a sale/receipt each time
        return handler(request)

    client, _ = make_client(moving)
    result = client.set_available(
        [QuantityChange("1", "1", 5, 100)], reference_uri="u://x", max_stale_rounds=2
    )
    assert result.outcomes[0].status == Outcome.FAILED
    assert result.outcomes[0].code == "CHANGE_FROM_QUANTITY_STALE"
    assert result.stale_rounds == 3


# -- other operations ------------------------------------------------------------


def test_user_error_mapping_from_payload():
    error = UserError.from_payload(
        {
            "field": ["input", "quantities", "12", "quantity"],
            "message": "m",
            "code": "C",
        },
        "quantities",
    )
    assert error.item_index == 12 and error.code == "C"
    assert (
        UserError.from_payload({"field": None, "message": "m"}, "quantities").item_index
        is None
    )


def test_find_variants_by_sku_quotes_batches_and_matches_exactly():
    catalogue = {
        'A"1': ("gid://shopify/ProductVariant/1", "gid://shopify/InventoryItem/11"),
        "B\\2": ("gid://shopify/ProductVariant/2", "gid://shopify/InventoryItem/12"),
        "C 3": ("gid://shopify/ProductVariant/3", "gid://shopify/InventoryItem/13"),
        "C": ("gid://shopify/ProductVariant/4", "gid://shopify/InventoryItem/14"),
    }

    def handler(request):
        query = request["body"]["variables"]["query"]
        nodes = [
            {
                "id": vid,
                "sku": sku,
                "title": "Default",
                "product": {"id": "p", "title": f"Product {sku}"},
                "inventoryItem": {"id": iid, "tracked": True},
            }
            for sku, (vid, iid) in catalogue.items()
            if sku.split()[0].split('"')[0].split("\\")[0] in query  # token-ish match
        ]
        return ok(
            {"productVariants": {"nodes": nodes, "pageInfo": {"hasNextPage": False}}}
        )

    client, session = make_client(handler)
    found = client.find_variants_by_sku(['A"1', "B\\2", "C 3", "missing"], batch_size=2)
    assert set(found) == {'A"1', "B\\2", "C 3"}  # "C" is not "C 3"
    assert found["C 3"]["inventory_item_id"] == "gid://shopify/InventoryItem/13"
    assert found['A"1']["product_title"] == 'Product A"1'
    queries = [r["body"]["variables"]["query"] for r in session.requests]
    assert queries == ['sku:"A\\"1" OR sku:"B\\\\2"', 'sku:"C 3" OR sku:"missing"']


def test_webhook_user_errors_raise():
    client, _ = make_client(
        lambda r: ok(
            {
                "webhookSubscriptionCreate": {
                    "webhookSubscription": None,
                    "userErrors": [
                        {
                            "field": ["webhookSubscription", "uri"],
                            "message": "Address is invalid",
                        }
                    ],
                }
            }
        )
    )
    with pytest.raises(ShopifyUserErrors) as info:
        client.create_webhook("orders/create", "not a url")
    assert info.value.user_errors[0].field == ["webhookSubscription", "uri"]


def test_webhook_topic_normalised_and_uri_sent():
    client, session = make_client(
        lambda r: ok(
            {
                "webhookSubscriptionCreate": {
                    "webhookSubscription": {"id": "w1"},
                    "userErrors": [],
                }
            }
        )
    )
    assert client.create_webhook("inventory_levels/update", "https://x/y")["id"] == "w1"
    variables = session.requests[0]["body"]["variables"]
    assert variables["topic"] == "INVENTORY_LEVELS_UPDATE"
    assert variables["webhookSubscription"]["uri"] == "https://x/y"


def test_idempotency_concurrent_request_retried_with_same_key():
    """Shopify still processes an earlier attempt: wait, resend the same key."""
    answers = [
        ok(
            {
                "inventorySetQuantities": {
                    "inventoryAdjustmentGroup": None,
                    "userErrors": [
                        {
                            "field": None,
                            "code": "IDEMPOTENCY_CONCURRENT_REQUEST",
                            "message": "in progress",
                        }
                    ],
                }
            }
        ),
        ok(
            {
                "inventorySetQuantities": {
                    "inventoryAdjustmentGroup": {"id": "g"},
                    "userErrors": [],
                }
            }
        ),
    ]
    client, session = make_client(lambda r: answers.pop(0))
    result = client.set_available(
        [QuantityChange("1", "1", 4, 2)], reference_uri="u://x"
    )
    assert result.outcomes[0].status == Outcome.APPLIED
    keys = [_set_payload(r)["idempotencyKey"] for r in session.requests]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert len(client.sleeps) == 1


def test_failure_mid_way_keeps_partial_result():
    """Batch 1 lands, batch 2 fails for good: the exception says what landed."""
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) == 1:
            return ok(
                {
                    "inventorySetQuantities": {
                        "inventoryAdjustmentGroup": {"id": "g"},
                        "userErrors": [],
                    }
                }
            )
        return FakeResponse(503, None)

    client, _ = make_client(handler, max_retries=1)
    changes = [QuantityChange(str(i), "1", 1, 0) for i in range(1, 301)]
    with pytest.raises(ShopifyRetryableError) as info:
        client.set_available(changes, reference_uri="u://x")
    partial = info.value.partial_result
    assert len(partial.applied) == 250
    assert partial.outcomes[-1].change is changes[249]
    assert partial.calls == 3


def test_bulk_level_lines_read_without_the_decoder_only_as_shopify_writes_them():
    """A batch of level and location lines as Shopify writes them is read
    by regular expressions; any other line sends its batch to the JSON
    decoder, and both give the same levels."""
    from odoo.addons.synco_shopify.lib.shopify.client import inventory

    def level(item, available, committed=0, location=7, **extra):
        obj = {
            "id": f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}",
            "item": {"id": f"gid://shopify/InventoryItem/{item}"},
            "quantities": [
                {"name": "available", "quantity": available},
                {"name": "committed", "quantity": committed},
                {"name": "on_hand", "quantity": available + committed},
            ],
            "__parentId": f"gid://shopify/Location/{location}",
            **extra,
        }
        return json.dumps(obj, separators=(",", ":")).encode()

    def as_tuples(levels):
        return [
            (item, loc, int(value), value.committed, value.on_hand)
            for item, loc, value in levels
        ]

    def decoded(lines):
        objects = json.loads(b"[" + b",".join(lines) + b"]")
        return as_tuples(inventory._levels_of(objects))

    plain = [
        b'{"id":"gid://shopify/Location/7"}',
        level(1, 5),
        level(2, -3, committed=2),
        level(3, 0, location=8),
    ]
    fast = inventory._plain_levels(plain)
    assert fast is not None
    assert (
        as_tuples(fast)
        == decoded(plain)
        == [
            ("gid://shopify/InventoryItem/1", "gid://shopify/Location/7", 5, 0, 5),
            ("gid://shopify/InventoryItem/2", "gid://shopify/Location/7", -3, 2, -1),
            ("gid://shopify/InventoryItem/3", "gid://shopify/Location/8", 0, 0, 0),
        ]
    )
    reordered = json.dumps(
        {
            "item": {"id": "gid://shopify/InventoryItem/4"},
            **json.loads(level(4, 1)),
        },
        separators=(",", ":"),
    ).encode()
    for odd in (
        level(4, 1, note="x"),  # a field more
        reordered,  # another order
        level(4, 1).replace(b'"id":"gid', b'"id": "gid', 1),  # a space
        level(4, 1).replace(b"InventoryItem/4", b"InventoryItem/\\u0034"),  # an escape
    ):
        batch = [*plain, odd]
        assert inventory._plain_levels(batch) is None
        assert len(decoded(batch)) == 4
