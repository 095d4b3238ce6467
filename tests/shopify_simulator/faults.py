"""Fault injection: errors, drops and latency drawn for GraphQL requests.

Faults (``set_faults`` / ``POST /_sim/faults``) are drawn from a seeded
``random.Random`` so a test run is reproducible; ``fail_next`` queues exact
faults for the next GraphQL requests.  An outage (``start_outage`` /
``POST /_sim/outage``) fails every GraphQL request for N minutes: HTTP 503,
or the connection closed unanswered (``refused``: what a client sees of a
shop it can't reach).  ``drop_after_apply`` executes the
request and then closes the socket without an answer: the client cannot tell
whether its mutation landed, which is what idempotency keys are for.

A mixin of :class:`~.simulator.Simulator`: its methods run on the simulator
(its ``lock``, ``faults`` and ``random``).
"""

import json
import time

DEFAULT_FAULTS = {
    "seed": 0,
    "error_429_rate": 0.0,
    "retry_after": 1.0,
    "error_5xx_rate": 0.0,
    "error_5xx_status": 503,
    "latency": 0.0,
    "latency_jitter": 0.0,
    "drop_rate": 0.0,
    "drop_after_apply_rate": 0.0,
    "fail_next": [],
    "item_errors": {},
    "drop_webhooks": 0.0,
    "drop_next_webhooks": 0,
    "orders_search_lag": 0.0,
    # a bulk mutation fails after this many lines (partialDataUrl: those)
    "bulk_fail_after": None,
    # an outage: every GraphQL request fails until this time (epoch seconds)
    "outage_until": None,
    "outage_kind": "503",
}
FAULT_KINDS = {"429", "500", "502", "503", "504", "drop", "drop_after_apply"}
# what an outage answers: an HTTP status, or "refused" (no answer at all)
OUTAGE_KINDS = {"500", "502", "503", "504", "refused"}


class FaultsMixin:
    """Fault settings of the simulator, and the draw for each request."""

    def set_faults(self, **faults):
        """Merge fault settings (see ``DEFAULT_FAULTS``); ``seed`` reseeds."""
        with self.lock:
            unknown = set(faults) - set(DEFAULT_FAULTS)
            if unknown:
                raise ValueError(f"unknown faults {sorted(unknown)}")
            for kind in faults.get("fail_next", []):
                if kind not in FAULT_KINDS:
                    raise ValueError(f"unknown fault kind {kind!r}")
            self.faults.update(faults)
            if "seed" in faults:
                self.random.seed(faults["seed"])
            return dict(self.faults)

    def fail_next(self, kind, count=1):
        """Queue ``count`` faults of ``kind`` for the next GraphQL requests."""
        with self.lock:
            return self.set_faults(fail_next=self.faults["fail_next"] + [kind] * count)

    def start_outage(self, minutes, kind="503"):
        """Fail every GraphQL request for ``minutes``: ``kind`` an HTTP
        status (500, 502, 503, 504) or ``refused`` (the connection closed
        without an answer).  ``minutes`` 0 ends the outage now."""
        kind = str(kind)
        if kind not in OUTAGE_KINDS:
            raise ValueError(f"unknown outage kind {kind!r}")
        minutes = float(minutes)
        if minutes < 0:
            raise ValueError("an outage lasts 0 minutes or more")
        until = time.time() + minutes * 60 if minutes else None
        return self.set_faults(outage_until=until, outage_kind=kind)

    def in_outage(self):
        with self.lock:
            until = self.faults["outage_until"]
            return bool(until and time.time() < until)

    def clear_faults(self):
        with self.lock:
            self.faults = json.loads(json.dumps(DEFAULT_FAULTS))
            self.random.seed(0)

    def draw_fault(self):
        """The fault for the next GraphQL request (None most of the time)."""
        with self.lock:
            faults = self.faults
            if faults["outage_until"] and time.time() < faults["outage_until"]:
                kind = faults["outage_kind"]
                return "drop" if kind == "refused" else kind
            if faults["fail_next"]:
                return faults["fail_next"].pop(0)
            draw = self.random.random
            for kind, rate in (
                ("429", faults["error_429_rate"]),
                (str(faults["error_5xx_status"]), faults["error_5xx_rate"]),
                ("drop", faults["drop_rate"]),
                ("drop_after_apply", faults["drop_after_apply_rate"]),
            ):
                if rate and draw() < rate:
                    return kind
            return None

    def latency(self):
        with self.lock:
            return self.faults["latency"] + (
                self.random.random() * self.faults["latency_jitter"]
            )
