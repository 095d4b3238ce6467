"""How a reconciliation runs, beside its arithmetic (``reconciliation``).

Its clocks (``Phases``: wall and CPU seconds per phase, for the log and the
benchmarks), the collector kept off the objects alive before it
(``long_lived_frozen``), and Shopify's levels read on a thread while Odoo
computes its figures (``LevelsLoader``).  No ORM here.
"""

import contextlib
import gc
import threading
import time


@contextlib.contextmanager
def long_lived_frozen():
    """Leave the objects alive before a run out of the collector's scans.

    A run decodes a million JSON objects and builds their rows; each full
    collection the allocations trigger would scan every object the
    process holds (Odoo's registry: millions), which doubled the decoding's
    CPU.  ``gc.freeze`` parks them until the run ends (``gc.unfreeze``
    hands them back); what the run creates is collected as usual.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class Phases:
    """Wall and CPU seconds per phase of a run, for the log and benchmarks.

    A phase timed inside another is taken out of the outer one's time, so
    the phases add up to the run.  ``phases.waited`` is the time the run
    spent waiting on Shopify (HTTP round trips, the bucket, bulk operations
    being prepared), as its client counted it.
    """

    def __init__(self):
        self.seconds = {}  # name: [wall, cpu]
        self.waited = {}
        # work done on a thread beside the phases (its CPU is in theirs too)
        self.beside = {}  # name: (wall, cpu)
        self._stack = []

    @contextlib.contextmanager
    def __call__(self, name):
        now = (time.monotonic(), time.process_time())
        if self._stack:
            self._charge(self._stack[-1], now)
        self._stack.append([name, now])
        try:
            yield
        finally:
            now = (time.monotonic(), time.process_time())
            self._charge(self._stack.pop(), now)
            if self._stack:
                self._stack[-1][1] = now

    def _charge(self, entry, now):
        name, since = entry
        totals = self.seconds.setdefault(name, [0.0, 0.0])
        totals[0] += now[0] - since[0]
        totals[1] += now[1] - since[1]
        entry[1] = now

    def __str__(self):
        parts = [
            f"{name} {wall:.1f} s (CPU {cpu:.1f})"
            for name, (wall, cpu) in self.seconds.items()
        ]
        parts += [
            f"{name} {wall:.1f} s (CPU {cpu:.1f}) on a thread beside"
            for name, (wall, cpu) in self.beside.items()
        ]
        waited = ", ".join(f"{k} {v:.1f} s" for k, v in self.waited.items())
        return "; ".join(parts) + (f"; waited on Shopify: {waited}" if waited else "")


class LevelsLoader:
    """Shopify's levels loaded on a thread while the run does other work.

    ``tick`` is called between two steps of that work (Odoo's figures, a
    chunk of products at a time): once Shopify's bulk file is ready
    (``reading.ready()``), it is streamed into ``levels`` on a thread, which
    only downloads and decodes (no access token, no ORM, no cursor) while
    PostgreSQL computes the figures.  ``finish`` waits for it and raises
    what it raised; a read that never became ready (a paginated read, a
    small shop, an operation that failed) is read there, as before.
    ``stop`` lets the thread go when the run fails first.

    :param reading: a ``LevelsRead`` (or any iterable of levels: read at
        ``finish``)
    """

    def __init__(self, levels, reading):
        self.levels = levels
        self.reading = reading
        self.thread = None
        self.error = None
        self.stopped = False
        self.seconds = (0.0, 0.0)  # the thread's wall and CPU

    def tick(self):
        ready = getattr(self.reading, "ready", None)
        if self.thread is None and ready is not None and ready():
            self.thread = threading.Thread(
                target=self._load, name="synco-levels-read", daemon=True
            )
            self.thread.start()

    def _load(self):
        wall, cpu = time.monotonic(), time.thread_time()
        try:
            self.levels.load(self._until_stopped(self.reading.stream()))
        except Exception as exc:  # raised again by ``finish``
            self.error = exc
        finally:
            self.seconds = (time.monotonic() - wall, time.thread_time() - cpu)

    def _until_stopped(self, levels):
        for level in levels:
            if self.stopped:
                return
            yield level

    def finish(self):
        if self.thread is None:
            self.levels.load(self.reading)
            return
        self.thread.join()
        if self.error is not None:
            raise self.error

    def stop(self):
        self.stopped = True
        if self.thread is not None:
            self.thread.join()
