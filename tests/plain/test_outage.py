"""The simulator's outage mode and how a job reads an outage (issue 23).

``start_outage`` fails every GraphQL call for N minutes (HTTP 503, or the
connection closed unanswered); the control API stays up.  A job meeting
such a failure waits without spending a retry; a throttle still counts.
"""

import tests.conftest  # noqa: F401  (the addon path)

# isort: split
import json
import urllib.request

import pytest

from odoo.addons.synco_shopify.lib.shopify import (
    CostThrottle,
    FileThrottleStore,
    ShopifyClient,
    ShopifyRetryableError,
)
from odoo.addons.synco_shopify.lib.shopify.errors import ShopifyThrottledError
from odoo.addons.synco_shopify.models.job_errors import (
    OUTAGE_RETRY_SECONDS,
    is_unreachable,
    retryable_job_error,
)

from tests.shopify_simulator import DEMO_DOMAIN, DEMO_TOKEN, Simulator


@pytest.fixture(scope="module")
def sim():
    simulator = Simulator(fixture="demo").start()
    yield simulator
    simulator.stop()


@pytest.fixture
def client(sim, tmp_path):
    sim.clear_faults()
    yield ShopifyClient(
        DEMO_DOMAIN,
        DEMO_TOKEN,
        base_url=sim.base_url,
        throttle=CostThrottle(FileThrottleStore(tmp_path / "throttle")),
        max_retries=1,
        backoff_base=0.01,
    )
    sim.clear_faults()


@pytest.mark.parametrize("kind,status", [("503", 503), ("refused", None)])
def test_an_outage_fails_every_call_until_it_ends(sim, client, kind, status):
    sim.start_outage(1, kind)
    assert sim.in_outage()
    for _attempt in range(3):
        with pytest.raises(ShopifyRetryableError) as caught:
            client.shop_info()
        assert caught.value.status == status
        assert is_unreachable(caught.value)
    # every try was refused, none reached the store
    faults = [e for e in sim.log if e.get("fault")]
    assert len(faults) >= 6
    # the control API answers meanwhile; 0 minutes ends the outage
    request = urllib.request.Request(
        f"{sim.base_url}/_sim/outage",
        data=json.dumps({"minutes": 0}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["outage_until"] is None
    assert not sim.in_outage()
    assert client.shop_info()["myshopify_domain"] == DEMO_DOMAIN


def test_an_unknown_outage_is_refused(sim):
    with pytest.raises(ValueError):
        sim.start_outage(1, "418")
    with pytest.raises(ValueError):
        sim.start_outage(-1)
    assert not sim.in_outage()


def test_a_job_waits_out_an_outage_without_spending_a_retry():
    down = retryable_job_error(ShopifyRetryableError("HTTP 503", status=503), 10)
    assert down.ignore_retry
    assert down.seconds == OUTAGE_RETRY_SECONDS
    refused = retryable_job_error(ShopifyRetryableError("network error"), 10)
    assert refused.ignore_retry
    # a throttle is Shopify answering: it spends a retry, at Shopify's pace
    throttled = retryable_job_error(
        ShopifyThrottledError("THROTTLED", status=429, retry_after=2.5), 10
    )
    assert not throttled.ignore_retry
    assert throttled.seconds == 3
    assert not is_unreachable(ShopifyThrottledError("THROTTLED", status=200))
