"""A merchant's day, compressed, on a real server under Shopify faults.

Run through the harness (private PostgreSQL, fresh database)::

    python3 tests/harness.py bench soak [--minutes 5] [--seed 1] [--faults 0.3]
        [--token-lifetime 60] [--decreases-first on|off]

A real server (three workers, the job runner) and the simulator on loopback.
From ``random.Random(seed)``, for ``--minutes`` (at most ``--max-events``,
2 000): Shopify orders through webhooks (10 % lost, some redelivered), edits,
cancellations and Odoo deliveries of imported orders; receipts, moves into and
out of an excluded quarantine, cycle counts, a 3PL feed of 256 quants applied
at once; manual level edits in Shopify; the order poll every minute.  The
simulator faults ``--faults`` of the GraphQL calls (429, 5xx, connections
dropped before and after applying, latency).

Every 20 s the Shopify levels are sampled against the truth: Odoo's figure
minus the units of Shopify orders Odoo has not applied yet (not imported, or an
edit or cancellation not applied).  A level offering more *over-offers*; it is
*oversold* only when the over-offer outlives the time one push needs, read
from queue_job rather than from a clock:

- an over-offer is excused while Synco works on it: a push of that product
  (plain, batch, refresh or settle) pending, enqueued, started or waiting for
  a retry, done since the sample began, or taken over by a push still
  running; and, for a level holding units of orders Odoo has not applied, the
  import of such an order in flight (its webhook event's job, the poll, its
  location alignment);
- an over-offer with nothing in flight, still there with nothing in flight at
  the next sample, is oversold (once per episode, with the smaller excess).

Against read races, Odoo's figures and orders are read before the levels and
after them, taking the higher truth, and the jobs before and after everything
else.  The rule is ``OversellWatch`` and ``excused_keys`` in
``tests/soak/soak.py``, tested without a server in ``tests/soak/test_soak.py``.
At the end the faults stop, the queue drains (retries due later brought
forward), the poll runs, the units on offer beyond Odoo's figure are counted,
and the reconciliation runs.  *lost* counts Shopify orders missing in Odoo or in
the wrong state and webhook deliveries not stored; *duplicated*, orders or
events stored twice; *serialization errors*, failed queries of our jobs and
webhooks in the server log (those of the generator's own RPC calls, which Odoo
retries, are shown apart).  ``--seed 1,2,3`` runs several seeds on one
installed database.  Prints the details (each phase's seconds, what each drain
waited for, how many over-offers were excused and by what), then one last
line::

    soak: orders N, stock events M, faults F %, lost 0, duplicated 0, drifted
    after reconciliation 0, failed jobs 0, oversold 0, serialization errors 0

and exits 1 if any of the last six figures is not 0.  Loopback only; bounded
by ``--minutes`` and ``--max-events``.

Exposure, measured apart and excusing nothing: every second from the storm's
start until the queue drained after it, every level against the truth (one
read of the simulator, one SQL statement on Odoo's database; see
``tests/soak/sampler.py``).  An over-offer episode runs from the first second
a level offers more than the truth to the last (``tests/soak/exposure.py``).
Above the soak line, a header (which mode ran, the sampler's own cost per
sample), the five longest episodes with what was in flight at their start and
at their worst second (the product's push jobs by state, the orders on that
level Odoo has not applied, the faults of the last 10 s), then::

    exposure: episodes N, unit-seconds U, p50 A s, p95 B s, max C s

``--decreases-first on|off`` sets ``synco_shopify.push_decreases_first`` in
the soak's database before the run ("1" or "0"), so one seed runs both ways;
without it the parameter is left as installed.  No goal is asserted on
exposure: it is a measurement.
"""

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.soak.soak import Soak


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument(
        "--seed",
        default="1",
        help="a seed, or several separated by commas (run one after the other "
        "on the same installed database template)",
    )
    parser.add_argument(
        "--faults", type=float, default=0.3, help="share of Shopify calls faulted"
    )
    parser.add_argument("--max-events", type=int, default=2000)
    parser.add_argument(
        "--token-lifetime",
        type=float,
        default=None,
        help="connect with client credentials; the simulator's tokens live "
        "this many seconds (none: the legacy admin token)",
    )
    parser.add_argument(
        "--decreases-first",
        choices=("on", "off"),
        default=None,
        help="set synco_shopify.push_decreases_first before the run "
        "(default: as installed)",
    )
    args = parser.parse_args()
    decreases_first = (
        None if args.decreases_first is None else args.decreases_first == "on"
    )
    if not os.environ.get("SYNCO_ODOO_CONF"):
        sys.exit("run me through: python3 tests/harness.py bench soak")
    try:
        seeds = [int(seed) for seed in args.seed.split(",")]
        soaks = [
            Soak(
                minutes=args.minutes,
                seed=seed,
                faults=args.faults,
                max_events=args.max_events,
                token_lifetime=args.token_lifetime,
                decreases_first=decreases_first,
            )
            for seed in seeds
        ]
    except ValueError as exc:
        sys.exit(str(exc))
    failed = False
    for soak in soaks:
        result = soak.run()
        for detail in result.details:
            print(detail)
        print(f"soak took {result.minutes:.1f} min (seed {soak.seed})")
        print(result.line(), flush=True)
        failed = failed or bool(result.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
