"""A merchant's day, compressed, on a real server under Shopify faults.

Run through the harness (private PostgreSQL, fresh database)::

    python3 tests/harness.py bench soak [--minutes 5] [--seed 1] [--faults 0.3]

See ``tests/soak/soak.py`` for what is played and checked.  Prints the details,
then one last line::

    soak: orders N, stock events M, faults F %, lost 0, duplicated 0, drifted
    after reconciliation 0, failed jobs 0, oversold 0, serialization errors 0

and exits 1 if any of the last six figures is not 0.  Loopback only; bounded
by ``--minutes`` and ``--max-events``.
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
    args = parser.parse_args()
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
