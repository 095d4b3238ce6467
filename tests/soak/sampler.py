"""The soak's exposure sampler: every level, every second, cheaply.

A thread of the soak (``tests/soak/soak.py``).  Each second it takes one
sample, in two reads:

1. the simulator, in process and under its lock: every level's ``available``,
   the Shopify orders' current quantities (plus the units refunded without
   restock, still sold in Odoo), and the request log entries added since the
   previous sample (its faults);
2. Odoo's database, in one SQL statement (one snapshot, so an order's import
   lowers the figure and raises its sale line together): the availability
   engine's figure of each product at each active mapping (counted locations
   under the sources minus the excluded subtrees, Σ quantity − reserved per
   source, combined by the mapping's rule, floored, never negative; the
   statement of ``bench availability``'s SQL floor, without buffers: the soak
   sets none, which ``check`` verifies), the quantity of each product on each
   of the shop's confirmed sale orders, and the push jobs not done (by
   ``func_string`` and state, a pending one with an ``eta`` to come counted
   as *waiting*: a retry's wait, or an increase held back by decreases
   first).

The truth of a level is its figure minus the units of Shopify orders Odoo has
not applied (Shopify's quantity minus Odoo's, per order and product, summed
at the order's location); the samples go to :class:`~.exposure.ExposureWatch`.
Shopify is read before Odoo: a push can only follow the Odoo change it
carries, so an increase is never seen in Shopify before Odoo; a decrease
committed between the two reads is a real over-offer of less than a second.

At an episode's start and at its worst second the sampler notes what was in
flight, from the sample it already holds: the push jobs of that product by
state, the Shopify orders on that level Odoo has not applied, and the faults
the simulator injected in the last 10 s.  At the start only, one more
statement and a look at the simulator's deliveries tell what Odoo remembers
of the level (the value, known or forgotten, units held, the last push's
outcome, message and age) and, for each order Odoo has not applied there,
its age and whether its ``orders/*`` webhooks were delivered or lost: a
push that has just written Odoo's figure ("applied 1 s ago", nothing held)
beside an order whose webhook was dropped is a sale written over.
"""

import collections
import os
import threading
import time

import psycopg2

from .exposure import ExposureWatch, percentile, summary_line, truth_of, worst
from .trace import trace_dir

FAULT_WINDOW = 10.0  # seconds of faults noted with an episode

SAMPLE_SQL = """
WITH counted AS (
    SELECT src.mapping_id, src.id AS source_id, loc.id AS location_id
      FROM shopify_location_mapping_source src
      JOIN shopify_location_mapping m ON m.id = src.mapping_id
      JOIN stock_location top ON top.id = src.location_id
      JOIN stock_location loc
        ON loc.parent_path LIKE top.parent_path || '%%'
       AND loc.usage = CASE top.usage WHEN 'supplier' THEN 'supplier'
                                      ELSE 'internal' END
     WHERE m.shop_id = %(shop)s AND m.state = 'active'
       AND NOT EXISTS (
           SELECT 1
             FROM shopify_mapping_excluded_location_rel rel
             JOIN stock_location ex ON ex.id = rel.location_id
            WHERE rel.mapping_id = src.mapping_id
              AND loc.parent_path LIKE ex.parent_path || '%%')
), per_source AS (
    SELECT c.mapping_id, c.source_id, q.product_id,
           SUM(q.quantity - q.reserved_quantity) AS free
      FROM stock_quant q
      JOIN counted c ON c.location_id = q.location_id
     GROUP BY c.mapping_id, c.source_id, q.product_id
), sources AS (
    SELECT mapping_id, COUNT(*) AS n
      FROM shopify_location_mapping_source GROUP BY mapping_id
), combined AS (
    SELECT p.mapping_id, p.product_id,
           CASE m.aggregation
             WHEN 'sum' THEN SUM(p.free)
             WHEN 'max' THEN CASE WHEN COUNT(*) < s.n
                                  THEN GREATEST(MAX(p.free), 0) ELSE MAX(p.free) END
             ELSE CASE WHEN COUNT(*) < s.n
                       THEN LEAST(MIN(p.free), 0) ELSE MIN(p.free) END
           END AS free
      FROM per_source p
      JOIN shopify_location_mapping m ON m.id = p.mapping_id
      JOIN sources s ON s.mapping_id = p.mapping_id
     GROUP BY p.mapping_id, p.product_id, m.aggregation, s.n
)
SELECT 'figure', sl.name, pp.default_code,
       GREATEST(0, FLOOR(c.free + 0.000001))
  FROM combined c
  JOIN shopify_location_mapping m ON m.id = c.mapping_id
  JOIN shopify_location sl ON sl.id = m.shopify_location_id
  JOIN product_product pp ON pp.id = c.product_id
UNION ALL
SELECT 'order', so.shopify_order_gid, pp.default_code, SUM(sol.product_uom_qty)
  FROM sale_order_line sol
  JOIN sale_order so ON so.id = sol.order_id
  JOIN product_product pp ON pp.id = sol.product_id
 WHERE so.shopify_shop_id = %(shop)s AND so.state = 'sale'
 GROUP BY so.shopify_order_gid, pp.default_code
UNION ALL
SELECT 'job', func_string,
       CASE WHEN state = 'pending' AND eta > now() AT TIME ZONE 'utc'
            THEN 'waiting' ELSE state END,
       COUNT(*)
  FROM queue_job
 WHERE model_name = 'shopify.product.binding'
   AND method_name = '_job_push_inventory'
   AND state IN ('wait_dependencies', 'pending', 'enqueued', 'started', 'failed')
 GROUP BY 2, 3
"""
BUFFERS_SQL = "SELECT COUNT(*) FROM shopify_buffer_rule WHERE active"
# at an episode's start only: what Odoo remembers of the level (the value
# Shopify holds per our last write or read, held units, the last outcome)
LEVEL_SQL = """
SELECT l.shopify_available, l.shopify_known, l.held_qty, l.last_outcome,
       l.last_message,
       EXTRACT(EPOCH FROM (now() AT TIME ZONE 'utc') - l.last_push_date)
  FROM shopify_inventory_level l
  JOIN product_product pp ON pp.id = l.product_id
  JOIN shopify_location sl ON sl.id = l.shopify_location_id
 WHERE l.shop_id = %(shop)s AND pp.default_code = %(sku)s AND sl.name = %(location)s
"""


class ExposureSampler:
    """Samples the soak's levels every ``period`` seconds in a thread.

    :param soak: the running :class:`~.soak.Soak` (its simulator, shop,
        orders, bindings and levels)
    :param dsn: keyword arguments of ``psycopg2.connect`` for its database
    """

    def __init__(self, soak, dsn, keys, sku_of_binding, period=1.0):
        from .soak import DOMAIN, job_record_ids

        self.soak, self.sim, self.domain = soak, soak.sim, DOMAIN
        self.keys = frozenset(keys)
        self.sku_of_binding = sku_of_binding
        self.record_ids = job_record_ids
        self.period = period
        self.watch = ExposureWatch()
        self.connection = psycopg2.connect(**dsn)
        self.connection.autocommit = True  # each statement its own snapshot
        self.faults = collections.deque()  # (epoch, kind)
        self._log_seen = 0
        self.costs = []  # (wall, shopify read, SQL, CPU) seconds per sample
        self.loads = []  # the machine's 1-minute load average at each sample
        self.late = 0
        self.error = None
        self._stop = threading.Event()
        self._thread = None
        self.t0 = None
        self.t0_epoch = None
        self.seconds = 0.0
        # every sample, kept only to trace a run (tests/soak/trace.py)
        self.timeline = [] if trace_dir() else None

    # ------------------------------------------------------------ lifecycle
    def check(self, figures):
        """The sampler reads the figures the soak's own reads give."""
        with self.connection.cursor() as cr:
            cr.execute(BUFFERS_SQL)
            if cr.fetchone()[0]:
                raise RuntimeError("the exposure sampler's figures ignore buffers")
        mine = self.read()[1]
        differ = {
            key: (mine.get(key), figures[key])
            for key in figures
            if mine.get(key) != figures[key]
        }
        if differ:
            raise RuntimeError(f"sampler and soak figures differ: {differ}")

    def start(self):
        self.t0 = time.monotonic()
        self.t0_epoch = time.time()
        self._log_seen = 0  # the soak clears the log as the storm begins
        self._thread = threading.Thread(
            target=self._loop, name="exposure-sampler", daemon=True
        )
        self._thread.start()
        return self

    @property
    def running(self):
        return self._thread is not None

    def stop(self, raise_error=True):
        """Stop sampling, end the running episodes; raise the thread's error."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(60)
        self._thread = None
        self.seconds = time.monotonic() - self.t0
        self.watch.close(max(self.seconds, self.watch._when or 0.0))
        self.connection.close()
        if self.error and raise_error:
            raise RuntimeError("the exposure sampler failed") from self.error

    def _loop(self):
        due = time.monotonic()
        try:
            while not self._stop.wait(max(0.0, due - time.monotonic())):
                self.sample()
                due += self.period
                if due < time.monotonic():  # the sample overran its second
                    self.late += 1
                    due = time.monotonic()
        except Exception as exc:  # reported by stop()
            self.error = exc

    # --------------------------------------------------------------- sample
    def read(self):
        """(offered, figures, Shopify's order quantities, Odoo's, jobs, epoch)."""
        sim = self.sim
        with sim.lock:
            epoch = time.time()
            offered = {
                key: level["available"]
                for key, level in sim.store.levels(self.domain).items()
                if key in self.keys
            }
            shopify = collections.Counter()
            for track in list(self.soak.orders.values()):
                for line in track.order.lines:
                    shopify[track.order.id, track.location, line.sku] += (
                        line.current_quantity + track.kept.get(line.sku, 0)
                    )
            if len(sim.log) < self._log_seen:  # the log was cleared
                self._log_seen = 0
            new = sim.log[self._log_seen :]
            self._log_seen += len(new)
        for entry in new:
            if entry.get("fault"):
                self.faults.append((entry.get("time", epoch), entry["fault"]))
        while self.faults and self.faults[0][0] < epoch - 60:
            self.faults.popleft()
        shopify_read = time.perf_counter()
        with self.connection.cursor() as cr:
            cr.execute(SAMPLE_SQL, {"shop": self.soak.shop})
            rows = cr.fetchall()
        figures = dict.fromkeys(self.keys, 0)
        odoo, jobs = {}, []
        for kind, a, b, value in rows:
            if kind == "figure" and (b, a) in self.keys:
                figures[b, a] = int(value)
            elif kind == "order":
                odoo[a, b] = float(value)
            elif kind == "job":
                jobs.append((a, b, int(value)))
        return offered, figures, shopify, odoo, jobs, epoch, shopify_read

    def sample(self):
        began, cpu = time.perf_counter(), time.thread_time()
        when = time.monotonic() - self.t0
        offered, figures, shopify, odoo, jobs, epoch, shopify_read = self.read()
        sql_done = time.perf_counter()
        truth, unapplied = truth_of(figures, shopify, odoo)
        if self.timeline is not None:
            self.timeline.append(
                [
                    round(when, 2),
                    [
                        [*key, offered.get(key), figures.get(key), truth.get(key)]
                        for key in sorted(self.keys)
                    ],
                ]
            )
        for moment, episode in self.watch.observe(when, offered, truth):
            key = episode.key
            if moment == "start":
                episode.notes["level"] = self._level(key, shopify, odoo, epoch)
            episode.notes[moment] = {
                "at": when,
                "offered": offered.get(key),
                "truth": truth.get(key),
                "pushes": self._pushes(jobs, key[0]),
                "unapplied": unapplied.get(key, (0, 0)),
                "faults": collections.Counter(
                    kind for at, kind in self.faults if at >= epoch - FAULT_WINDOW
                ),
            }
        self.loads.append(os.getloadavg()[0])
        self.costs.append(
            (
                time.perf_counter() - began,
                shopify_read - began,
                sql_done - shopify_read,
                time.thread_time() - cpu,
            )
        )

    def _level(self, key, shopify, odoo, epoch):
        """At an episode's start: what Odoo remembers of the level, and for
        each Shopify order there Odoo has not applied, its age and whether
        its ``orders/create`` webhook was delivered or lost (one more
        statement and one look at the deliveries, at starts only)."""
        sku, location = key
        with self.connection.cursor() as cr:
            cr.execute(
                LEVEL_SQL, {"shop": self.soak.shop, "sku": sku, "location": location}
            )
            row = cr.fetchone()
        orders = [
            order
            for (order, at, line_sku), units in shopify.items()
            if (line_sku, at) == key and units - odoo.get((order, line_sku), 0) > 0
        ]
        created = {}
        if orders:
            for delivery in self.sim.deliveries():
                gid = (delivery.get("payload") or {}).get("admin_graphql_api_id")
                if gid in orders and delivery["topic"].lower().startswith("orders"):
                    created.setdefault(gid, []).append(
                        f"{delivery['topic']} {delivery['status']}"
                    )
        ages = {
            track.order.id: epoch - track.created
            for track in list(self.soak.orders.values())
            if track.order.id in orders
        }
        return {
            "level": row,
            "orders": [
                (order, ages.get(order), created.get(order, ["no webhook"]))
                for order in orders
            ],
        }

    def _pushes(self, jobs, sku):
        """{state: count} of the push jobs naming a binding of ``sku``."""
        states = collections.Counter()
        for func_string, state, count in jobs:
            if any(
                self.sku_of_binding.get(binding) == sku
                for binding in self.record_ids(func_string)
            ):
                states[state] += count
        return dict(states)

    # --------------------------------------------------------------- report
    def report(self, mode, edits=()):
        """The exposure lines: header, the worst five, the summary line.

        :param mode: what ran, e.g. "decreases first off (...)"
        :param edits: [(monotonic time, key)] of the merchant's manual edits
            in Shopify, named with the episodes that follow them
        """
        episodes = self.watch.episodes
        costs = self.costs or [(0.0, 0.0, 0.0, 0.0)]
        walls = [cost[0] for cost in costs]
        cpu = sum(cost[3] for cost in self.costs)
        edited = {}
        for at, key in edits:
            edited.setdefault(key, []).append(at - self.t0)

        def by_merchant(episode):
            return any(
                episode.start - 2 * self.period <= at <= episode.end
                for at in edited.get(episode.key, ())
            )

        mine = [e for e in episodes if by_merchant(e)]
        lines = [
            f"exposure ({mode}): {len(self.costs)} samples every {self.period:g} s "
            f"over {self.seconds:.0f} s (storm and drain), {self.late} late; "
            f"load average (1 min) p50 {percentile(self.loads or [0.0], 0.5):.1f}, "
            f"max {max(self.loads or [0.0]):.1f}; "
            f"sampler per sample p50 {_ms(percentile(walls, 0.5))}, p95 "
            f"{_ms(percentile(walls, 0.95))}, max {_ms(max(walls))} wall (Shopify "
            f"read p50 {_ms(percentile([c[1] for c in costs], 0.5))}, SQL p50 "
            f"{_ms(percentile([c[2] for c in costs], 0.5))}), CPU "
            f"{_ms(cpu / max(1, len(self.costs)))} per sample "
            f"({100 * cpu / max(self.seconds, 1e-9):.1f} % of a core); "
            f"{len(mine)} episode(s), {sum(e.unit_seconds for e in mine):.0f} "
            "unit-seconds on levels the merchant had just edited in Shopify "
            "(counted); the others alone: "
            + summary_line([e for e in episodes if not by_merchant(e)]).split(": ", 1)[
                1
            ]
        ]
        for episode in worst(episodes):
            sku, location = episode.key
            text = (
                f"  {sku} @ {location}: {episode.duration:.1f} s from "
                f"+{episode.start:.0f} s, {episode.unit_seconds:.0f} unit-seconds, "
                f"+{episode.max_excess} at worst"
            )
            for moment in ("start", "worse"):
                note = episode.notes.get(moment)
                if note:
                    text += f"; {moment} (+{note['at']:.0f} s) " + _in_flight(note)
            level = episode.notes.get("level")
            if level:
                text += "; " + _level_note(level)
            if by_merchant(episode):
                text += "; the merchant edited this level in Shopify"
            lines.append(text)
        lines.append(summary_line(episodes))
        return lines


def _ms(seconds):
    return f"{1000 * seconds:.1f} ms"


def _in_flight(note):
    orders, units = note["unapplied"]
    faults = ", ".join(f"{kind} x{n}" for kind, n in sorted(note["faults"].items()))
    return (
        f"Shopify {note['offered']} vs truth {note['truth']}: pushes "
        f"{note['pushes'] or 'none'}, Shopify orders Odoo has not applied "
        f"{orders} ({units:.0f} unit(s)), faults in the last {FAULT_WINDOW:.0f} s: "
        f"{faults or 'none'}"
    )


def _level_note(note):
    row = note["level"]
    if row:
        available, known, held, outcome, message, ago = row
        text = (
            f"Odoo remembers Shopify {available} ({'known' if known else 'forgotten'})"
            f", held {held}, last outcome {outcome} "
            f"{'' if ago is None else f'{ago:.0f} s ago'}"
            f"{f' ({message[:80]})' if message else ''}"
        )
    else:
        text = "no level in Odoo"
    for order, age, webhooks in note["orders"]:
        text += (
            f"; order {order.rsplit('/', 1)[-1]} placed "
            f"{'?' if age is None else f'{age:.0f}'} s before, " + ", ".join(webhooks)
        )
    return text
