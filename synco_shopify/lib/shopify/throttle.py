"""Cost-aware throttling shared by every process that talks to one shop.

Shopify meters the Admin GraphQL API per app and shop with a leaky bucket:
each request must find at least its ``requestedQueryCost`` in the bucket, the
bucket refills at ``restoreRate`` points per second up to ``maximumAvailable``,
and every answer reports the bucket in ``extensions.cost.throttleStatus``.
Several Odoo workers (HTTP workers, queue_job runners, crons) draw on the
*same* bucket, so the estimate of what is left has to be shared as well;
otherwise each process believes it owns a full bucket and the sum of their
bursts earns ``THROTTLED`` answers.

:class:`CostThrottle` keeps that estimate in a :class:`ThrottleStore`, a
one-method interface (``locked(key)`` yields a mutable dict persisted on
exit).  :class:`FileThrottleStore` implements it with a small JSON file per
shop guarded by ``fcntl.flock``, which works across processes of one host; an
Odoo-backed store (a row read ``FOR UPDATE``) can replace it for workers on
several hosts.

How the estimate stays on the safe side of the real bucket:

* A request *reserves* its estimated cost before it is sent (debited from the
  shared level, recorded as in flight); concurrent senders therefore see each
  other's requests before Shopify does.
* The estimated cost of a document is the last ``requestedQueryCost`` seen for
  its operation name (scaled up when more input items are sent than last
  time); the costs are kept in the store, so each document is learnt once per
  shop, not once per process.  The first call of a document never seen
  reserves everything the bucket holds (one such probe per document at a
  time), so concurrent calls cannot overdraw meanwhile; if the document
  costs more than that, the one ``THROTTLED`` answer teaches its cost and the
  client waits exactly the missing points.  (Waiting for a full bucket
  instead would cost up to 20 s per new document on a standard plan.)
* An answer's ``currentlyAvailable`` replaces the estimate only when no other
  request is in flight and nothing newer was observed; otherwise the estimate
  may only go *down* to ``currentlyAvailable`` minus the other requests still
  in flight (answers can arrive out of order).
* Before the first answer for a shop, one request probes while the others wait.
* HTTP 429 ``Retry-After`` blocks every process until the given time.
"""

import contextlib
import fcntl
import json
import math
import os
import re
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field

DEFAULT_DIRECTORY_ENV = "SYNCO_SHOPIFY_THROTTLE_DIR"

# A reservation whose process died without settling is forgotten after this;
# longer than any request can last with the client's (5, 30) s timeout.
DEFAULT_RESERVATION_TTL = 60.0
# Re-read the shared state at least this often while waiting.
MAX_SLEEP_SLICE = 1.0
# While the first request for a shop probes the bucket, others poll this often.
PROBE_POLL = 0.02


class ThrottleStore:
    """Where the bucket estimate of each shop lives.

    The whole interface is :meth:`locked`: a context manager holding an
    exclusive lock on ``key`` (the shop domain) and yielding its state, a
    JSON-serialisable ``dict`` that is saved when the block exits normally.
    """

    def locked(self, key):  # pragma: no cover - interface
        raise NotImplementedError


class MemoryThrottleStore(ThrottleStore):
    """Per-process store: enough for one worker, threads included."""

    def __init__(self):
        self._lock = threading.Lock()
        self._states = {}

    @contextlib.contextmanager
    def locked(self, key):
        with self._lock:
            state = json.loads(json.dumps(self._states.get(key, {})))
            yield state
            self._states[key] = state


class FileThrottleStore(ThrottleStore):
    """One small JSON file per shop, locked with ``fcntl.flock``.

    ``directory`` defaults to ``$SYNCO_SHOPIFY_THROTTLE_DIR`` or
    ``<tempdir>/synco_shopify_throttle``.  Every process of the host that uses
    the same directory shares the bucket.  A missing, empty or corrupt file
    reads as an empty state (the throttle then probes again), so the files can
    be deleted at any time.
    """

    def __init__(self, directory=None):
        directory = (
            directory
            or os.environ.get(DEFAULT_DIRECTORY_ENV)
            or os.path.join(tempfile.gettempdir(), "synco_shopify_throttle")
        )
        self.directory = str(directory)
        os.makedirs(self.directory, mode=0o700, exist_ok=True)

    def path(self, key):
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", key.lower()) or "_"
        return os.path.join(self.directory, f"{safe}.json")

    @contextlib.contextmanager
    def locked(self, key):
        fd = os.open(self.path(key), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            chunks = []
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
            try:
                state = json.loads(b"".join(chunks) or b"{}")
            except ValueError:
                state = {}
            if not isinstance(state, dict):
                state = {}
            yield state
            data = json.dumps(state, separators=(",", ":")).encode()
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, data)
        finally:
            # closing the descriptor releases the flock
            os.close(fd)


@dataclass
class Reservation:
    """A cost debited from the shared bucket for one request in flight."""

    key: str
    operation: str
    cost: float
    size: int | None
    sent_at: float
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


class CostThrottle:
    """Waits before a request until the shared bucket can pay for it.

    ``acquire()`` before sending, then exactly one of ``settle()`` (an answer
    with ``extensions.cost`` arrived, ``THROTTLED`` included), ``block()``
    (HTTP 429) or ``cancel()`` (no usable answer).
    """

    def __init__(
        self,
        store=None,
        *,
        clock=time.time,
        sleep=time.sleep,
        reservation_ttl=DEFAULT_RESERVATION_TTL,
        unknown_cost=None,
    ):
        self.store = store if store is not None else FileThrottleStore()
        self.clock = clock
        self.sleep = sleep
        self.reservation_ttl = reservation_ttl
        # None: a never-seen document probes with what the bucket holds
        self.unknown_cost = unknown_cost
        self.waited = 0.0  # seconds this process spent waiting, for stats

    # -- helpers on the state dict ------------------------------------------

    @staticmethod
    def _level(state, now):
        """Estimated points in the bucket at ``now`` (None if never observed)."""
        if state.get("max") is None or state.get("available") is None:
            return None
        elapsed = max(0.0, now - state.get("at", now))
        return min(state["max"], state["available"] + state["rate"] * elapsed)

    def _purge(self, state, now):
        inflight = state.setdefault("inflight", {})
        for rid in [r for r, v in inflight.items() if v[1] < now]:
            del inflight[rid]
        return inflight

    @staticmethod
    def estimate_cost(state, operation, size=None):
        """Last requested cost of ``operation``, scaled to ``size`` items."""
        known = state.get("costs", {}).get(operation)
        if not known:
            return None
        cost, known_size = known
        if size and known_size and size > known_size:
            return math.ceil(cost * size / known_size)
        return cost

    # -- protocol ------------------------------------------------------------

    def acquire(self, key, operation, size=None):
        """Block until ``operation`` can be paid for, then reserve its cost."""
        while True:
            with self.store.locked(key) as state:
                now = self.clock()
                inflight = self._purge(state, now)
                wait = max(0.0, state.get("blocked_until", 0.0) - now)
                if not wait:
                    level = self._level(state, now)
                    cost = self.estimate_cost(state, operation, size)
                    probe = False
                    if level is None:
                        # Nothing known about this shop: one probe at a time.
                        if inflight:
                            wait = PROBE_POLL
                        else:
                            cost = cost or 0.0
                    else:
                        probe = cost is None and not self.unknown_cost
                        if cost is None:
                            cost = self.unknown_cost or max(1.0, level)
                        cost = min(cost, state["max"])
                        if probe and any(
                            v[3] == operation and v[4] for v in inflight.values()
                        ):
                            wait = PROBE_POLL  # this document is being probed
                        elif level + 1e-9 >= cost:
                            state["available"] = level - cost
                            state["at"] = now
                        else:
                            wait = (cost - level) / state["rate"]
                if not wait:
                    res = Reservation(key, operation, float(cost), size, now)
                    inflight[res.id] = [
                        res.cost,
                        now + self.reservation_ttl,
                        now,
                        operation,
                        level is None or probe,
                    ]
                    return res
            wait = min(wait, MAX_SLEEP_SLICE) + 0.001
            self.waited += wait
            self.sleep(wait)

    def settle(self, reservation, cost_extension):
        """Record the answer's ``extensions.cost`` (may be None or partial)."""
        status = (cost_extension or {}).get("throttleStatus") or {}
        requested = (cost_extension or {}).get("requestedQueryCost")
        with self.store.locked(reservation.key) as state:
            now = self.clock()
            inflight = self._purge(state, now)
            inflight.pop(reservation.id, None)
            if requested is not None:
                state.setdefault("costs", {})[reservation.operation] = [
                    float(requested),
                    reservation.size,
                ]
            if not status or status.get("currentlyAvailable") is None:
                return
            observed = float(status["currentlyAvailable"])
            first = state.get("max") is None or state.get("available") is None
            maximum = status.get("maximumAvailable") or state.get("max")
            rate = status.get("restoreRate") or state.get("rate")
            if not maximum or not rate:
                return
            state["max"], state["rate"] = float(maximum), float(rate)
            others = sum(v[0] for v in inflight.values())
            newest = reservation.sent_at > state.get("observed_at", 0.0)
            if first or (not others and newest):
                state["available"] = observed
            else:
                level = self._level(state, now)
                state["available"] = min(level, observed - others)
            state["at"] = now
            state["observed_at"] = now

    def cancel(self, reservation):
        """Forget the reservation; its debit stays (it may have been charged)."""
        with self.store.locked(reservation.key) as state:
            self._purge(state, self.clock()).pop(reservation.id, None)

    def block(self, reservation, seconds):
        """HTTP 429: nobody sends to this shop for ``seconds``."""
        with self.store.locked(reservation.key) as state:
            now = self.clock()
            self._purge(state, now).pop(reservation.id, None)
            state["blocked_until"] = max(
                state.get("blocked_until", 0.0), now + max(0.0, seconds)
            )

    def status(self, key):
        """Current estimate for diagnostics: level, maximum, restore rate."""
        with self.store.locked(key) as state:
            now = self.clock()
            return {
                "available": self._level(state, now),
                "maximum": state.get("max"),
                "restore_rate": state.get("rate"),
                "in_flight": len(self._purge(state, now)),
                "costs": dict(state.get("costs", {})),
            }
