"""The short soak: a seeded, two-minute merchant's day under 30 % faults.

The same code as ``python3 tests/harness.py bench soak`` (``tests/soak.py``),
with a fixed seed and about two minutes of events; every count that must be
0 is, and every kind of event was played.
"""

from .soak import Soak


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
    # nothing on offer beyond Odoo's figure once every order is in Odoo; the
    # over-offers sampled during the storm are printed, not asserted: under
    # 30 % faults on this 2-core machine a push can outlast the sampler's
    # 20 s, and the sampler does not yet tell that wait from an over-offer
    # (issue 12 stays open on it; ``bench soak`` counts them in its line)
    assert result.oversold_at_end == 0, report
    assert result.serialization_errors == 0, report
