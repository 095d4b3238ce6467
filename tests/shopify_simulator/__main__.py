"""Command line: ``python3 -m tests.shopify_simulator --port 8765 --fixture demo``.

Runs until interrupted (Ctrl-C / SIGTERM); with ``--state-file`` the store is
loaded from that file at start (when it exists, instead of the fixture),
written every ``--autosave`` seconds when it changed (2 by default) and at
exit; ``--load-state`` loads one and never writes it.
"""

import argparse
import signal
import threading
from pathlib import Path

from .fixtures import FIXTURES
from .simulator import Simulator
from .webhooks import FAST_RETRY_SCHEDULE, SHOPIFY_RETRY_SCHEDULE


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 -m tests.shopify_simulator",
        description="Shopify Admin GraphQL simulator",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--fixture", choices=sorted(FIXTURES), default=None)
    parser.add_argument("--bucket-size", type=float, default=2000)
    parser.add_argument("--restore-rate", type=float, default=100)
    parser.add_argument("--state-file", default=None)
    parser.add_argument(
        "--load-state",
        default=None,
        help="start from this saved store and never write it back (a "
        "benchmark's seeded catalogue: saving a million levels every few "
        "seconds would stall every request)",
    )
    parser.add_argument(
        "--autosave",
        type=float,
        default=2.0,
        help="with --state-file: seconds between saves of a changed store "
        "(0: only at exit)",
    )
    parser.add_argument(
        "--shopify-webhook-retries",
        action="store_true",
        help="retry webhooks on Shopify's 4-hour schedule "
        "instead of the fast test schedule",
    )
    args = parser.parse_args(argv)
    schedule = (
        SHOPIFY_RETRY_SCHEDULE if args.shopify_webhook_retries else FAST_RETRY_SCHEDULE
    )
    sim = Simulator(
        host=args.host,
        port=args.port,
        fixture=args.fixture,
        bucket_size=args.bucket_size,
        restore_rate=args.restore_rate,
        state_file=args.state_file,
        autosave=args.autosave or None,
        webhook_retry_schedule=schedule,
    )
    if args.load_state:
        sim.load_state(Path(args.load_state).read_bytes())
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    sim.start()
    print(
        f"Shopify simulator on {sim.base_url} "
        f"(shops: {', '.join(sim.store.shops) or 'none'})",
        flush=True,
    )
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
