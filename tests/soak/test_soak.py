"""The soak: its sampler's rule (plain Python) and the short seeded run.

The short run is the same code as ``python3 tests/harness.py bench soak``
(``tests/soak/soak.py``) with a fixed seed and about a minute and a half of
events under 30 % faults; every count that must be 0 is (the over-offers
sampled during the storm included), and every kind of event was played.  It
prints the exposure lines too (measured every second, no goal asserted: the
episode rule is tested in ``tests/plain/test_soak_exposure.py``).
"""

import pytest

from .soak import (
    NJ,
    TPL,
    TX,
    OversellWatch,
    Soak,
    excused_keys,
    jobs_in_flight,
    over_offers,
)

SINCE = "2026-12-02 10:00:00"
BINDINGS = {7: "SOAK-01", 8: "SOAK-02"}
LOCATIONS = (NJ, TX, TPL)


def _job(state, method="_job_push_inventory", model="shopify.product.binding", **kw):
    row = {
        "uuid": kw.pop("uuid", f"u-{state}"),
        "model_name": model,
        "method_name": method,
        "func_string": kw.pop("func_string", f"{model}(7,)._job_push_inventory()"),
        "state": state,
        "date_done": kw.pop("date_done", False),
        "result": kw.pop("result", False),
    }
    row.update(kw)
    return row


def _excused(jobs, unapplied=(), order_keys=lambda model, record: set()):
    return excused_keys(jobs, SINCE, BINDINGS, order_keys, set(unapplied), LOCATIONS)


def test_rule_fires_on_an_over_offer_that_outlives_its_push():
    """A push ran and left the level above the truth, or none was
    enqueued: seen twice with nothing in flight, it is oversold."""
    watch = OversellWatch(min_gap=10)
    key = ("SOAK-01", NJ)
    assert watch.observe(0, {key: 3}, set()) == {}  # a suspect
    assert watch.observe(20, {key: 2}, set()) == {key: 2}
    # the same episode is counted once, more only if it grows
    assert watch.observe(40, {key: 2}, set()) == {}
    assert watch.observe(60, {key: 5}, set()) == {}  # grown: a suspect again
    assert watch.observe(80, {key: 5}, set()) == {key: 3}
    assert watch.units == 5
    # a push done long before the sample excuses nothing
    done = _job("done", date_done="2026-12-02 09:59:58")
    assert _excused([done]) == set()
    # nor does a failed one: nothing will fix the level
    assert _excused([_job("failed")]) == set()


def test_rule_excuses_an_over_offer_whose_push_is_in_flight():
    watch = OversellWatch(min_gap=10)
    key = ("SOAK-01", NJ)
    retrying = _job("pending", eta="2026-12-02 10:05:00")
    excused = _excused([retrying])
    assert excused == {("SOAK-01", loc) for loc in LOCATIONS}
    for when in (0, 20, 40):  # a push retrying under faults for a minute
        assert watch.observe(when, {key: 4}, excused) == {}
    # the next sample finds it fixed
    assert watch.observe(60, {}, set()) == {}
    # two samples too close together (a read race, not a push's time)
    assert watch.observe(61, {key: 1}, set()) == {}
    assert watch.observe(65, {key: 1}, set()) == {}
    # an excused sample between two sightings ends the episode
    assert watch.observe(90, {key: 1}, excused) == {}
    assert watch.observe(110, {key: 1}, set()) == {}
    assert watch.oversold == []


def test_rule_reads_jobs_as_in_flight():
    # done after the sample began: it may have written after the levels
    assert _excused([_job("done", date_done="2026-12-02 10:00:01")])
    for state in ("wait_dependencies", "pending", "enqueued", "started"):
        assert _excused([_job(state)]), state
    # a batch names all its bindings
    batch = _job(
        "enqueued", func_string="shopify.product.binding(7, 8)._job_push_inventory()"
    )
    assert {sku for sku, _loc in _excused([batch])} == {"SOAK-01", "SOAK-02"}
    # taken over (marked done when the taker's transaction began): in flight
    # as long as the push that took it
    taken = _job(
        "done",
        uuid="taken",
        func_string="shopify.product.binding(8,)._job_push_inventory()",
        date_done="2026-12-02 09:59:00",
        result="Pushed by job taker",
    )
    taker = _job(
        "started",
        uuid="taker",
        func_string="shopify.product.binding(7,)._job_push_inventory()",
    )
    assert ("SOAK-02", TX) in _excused([taken, taker])
    finished = dict(taker, state="done", date_done="2026-12-02 09:59:30")
    assert _excused([taken, finished]) == set()
    assert [j["uuid"] for j in jobs_in_flight([taken, finished], SINCE)] == []


def test_rule_excuses_an_unapplied_order_only_while_its_import_runs():
    mine, other = ("SOAK-01", NJ), ("SOAK-02", TX)
    keys = {12: {mine}}

    def order_keys(model, record):
        if model == "shopify.shop":
            return None
        return keys.get(record, set())

    event = _job(
        "started",
        model="shopify.webhook.event",
        method="_job_process",
        func_string="shopify.webhook.event(12,)._job_process()",
    )
    assert _excused([event], {mine, other}, order_keys) == {mine}
    # the import of an order is no excuse for a level holding none unapplied
    assert _excused([event], {other}, order_keys) == set()
    poll = _job(
        "enqueued",
        model="shopify.shop",
        method="_job_poll_orders",
        func_string="shopify.shop(1,)._job_poll_orders()",
    )
    assert _excused([poll], {mine, other}, order_keys) == {mine, other}


def test_over_offers_take_the_highest_truth_of_the_reads():
    key = ("SOAK-01", NJ)
    levels = {key: {"available": 10}, ("SOAK-01", TX): {"available": 5}}
    figures = {key: 10, ("SOAK-01", TX): 5}
    # an Odoo cancellation committed between the first read's figures and
    # its orders: that read's truth is 2 units too low, the second's is right
    racy = ({key: 8, ("SOAK-01", TX): 5}, {})
    assert over_offers(levels, [racy, (figures, {})]) == {}
    # an order Odoo has not imported took 3 units Shopify still offers
    assert over_offers(levels, [(figures, {key: 3}), (figures, {key: 3})]) == {key: 3}
    assert over_offers(levels, [(figures, {key: 3})], skip={key}) == {}


@pytest.mark.server
def test_short_soak_loses_nothing():
    result = Soak(minutes=1.5, seed=12, faults=0.3, max_events=400).run()
    report = "\n".join([*result.details, result.line()])
    print(report)
    assert result.orders > 0, report
    assert result.stock_events > 0, report
    assert result.faults_percent > 10, report
    for action in ("order", "redeliver", "receipt", "count", "feed"):
        assert result.played[action] > 0, (action, report)
    assert result.lost == 0, report
    assert result.duplicated == 0, report
    assert result.drifted == 0, report
    assert result.failed_jobs == 0, report
    # at the end and sampled during the storm (see OversellWatch)
    assert result.oversold_at_end == 0, report
    assert result.oversold == 0, report
    assert result.serialization_errors == 0, report
    # exposure is printed, measured every second (no goal asserted here)
    assert result.exposure[-1].startswith("exposure: episodes "), report
