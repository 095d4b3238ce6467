"""A merchant's day, compressed: a seeded soak of a real server under faults.

Used by ``tests/benchmarks/bench_soak.py`` (``python3 tests/harness.py bench
soak [--minutes N] [--seed S] [--faults 0.3]``) and, short, by
``tests/soak/test_soak.py``.  Loopback only, bounded in time and in count.

A real Odoo server (prefork workers, the queue_job runner) runs on a copy of
the harness database; the Shopify simulator injects faults on a share of the
GraphQL calls (429, 5xx, connections dropped before and after applying,
latency) and loses 10 % of its webhooks.  From ``random.Random(seed)`` the
generator then plays, until ``minutes`` have passed or ``max_events`` were
played:

* Shopify orders (webhooks; some redelivered as Shopify retries), edits and
  cancellations, Odoo deliveries of imported orders;
* at the retail store: counter sales (Shopify POS, fulfilled at the till),
  counter refunds with and without restock, and pickup orders (with a New
  Jersey address, served by the store);
* receipts, internal moves into and out of an excluded quarantine zone,
  inventory counts, a 3PL feed rewriting a few hundred quants at once;
* manual level edits in Shopify's admin;
* the order poll every ``poll_every`` seconds (the 15-minute cron, compressed).

Every ``sample_every`` seconds a sampler compares each Shopify level with
the truth: Odoo's figure minus the units of Shopify orders Odoo has not
applied yet (an order not imported, an edit or a cancellation not applied).
A level above it *over-offers*; it is **oversold** only when the over-offer
outlives the time one push needs, which the sampler tells from queue_job's
records rather than from a clock (:class:`OversellWatch`):

* an over-offer is *excused* while Synco is still working on it: a push job
  of that product (its bindings, read from the job's ``func_string``: plain,
  batch, refresh and settle pushes alike) pending, enqueued, started or
  waiting for a retry (pending with an ``eta``), or done since the sample
  began (it may have written after the levels were read); a push taken over
  by a running push (``result`` "Pushed by job <uuid>") counts as that
  push;  and, for a level holding units of Shopify orders Odoo has not
  applied, an import of such an order in flight the same way: the order's
  webhook event being processed, the order poll, or the order's location
  alignment;
* an over-offer seen with nothing in flight is a *suspect*; the same level
  still over-offering, again with nothing in flight, at the next sample
  (at least ``sample_every`` later) is oversold, counted once per episode
  with the smaller of the two excesses (more if it grows later).  An excused
  sample ends the episode: the push in flight may be the fix.

Read races: Odoo's figures (quants) and its orders are read in separate
transactions, and the Shopify levels between them, so one sample reads
Odoo twice, figures then orders before the levels and orders then figures
after, and takes the higher truth of the two: an order import or
cancellation committing between two reads can lower one of them, not both.
Jobs are read before and after the rest, so a push that ran at any moment
of the sample is seen.  Manually edited levels are left to the
reconciliation (drift, not sales).

At the end the faults stop, the queue drains (retries due later are brought
forward: the storm is over), the poll runs, the units still on offer beyond
Odoo's figure are counted, the nightly reconciliation runs, and the checks
give the last line.  *oversold* is both: the units on offer at the end and
the units the sampler found oversold.

Exposure is measured apart, excusing nothing: from the storm's start until the
queue drained after it, :class:`~.sampler.ExposureSampler` compares every
level with the truth every second (one read of the simulator, one SQL
statement) and :class:`~.exposure.ExposureWatch` makes the over-offer
episodes; their lines end ``result.details`` (``result.exposure``).
``decreases_first`` sets the addon's ``synco_shopify.push_decreases_first``
before the run.
"""

import json
import math
import os
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import requests

from ..harness import clone_database, psql, read_conf
from ..shopify_simulator import Simulator
from ..support.odoo_server import OdooServer, harness_conf, wait_until
from .sampler import ExposureSampler
from .trace import dump, trace_dir

DOMAIN = "synco-soak.myshopify.com"
TOKEN = "shpat_synco_soak"
SECRET = "synco-soak-webhook-secret"
NJ, TX, TPL, STORE = "New Jersey", "Texas", "3PL East", "Store"
LOCATIONS = (NJ, TX, TPL, STORE)
SKUS = [f"SOAK-{i:02d}" for i in range(16)]
TPL_BINS = 16  # 16 SKUs x 16 bins: a 3PL feed of 256 quants
START_STOCK = 40
ADDRESSES = {
    NJ: {
        "first_name": "Jersey",
        "last_name": "Buyer",
        "address1": "5 Broad St",
        "city": "Newark",
        "province_code": "NJ",
        "country_code": "US",
        "zip": "07102",
    },
    TX: {
        "first_name": "Tex",
        "last_name": "Buyer",
        "address1": "1 Congress Ave",
        "city": "Austin",
        "province_code": "TX",
        "country_code": "US",
        "zip": "73301",
    },
}
# what the generator plays, with its weight
ACTIONS = {
    "order": 30,
    "redeliver": 8,
    "edit": 5,
    "cancel": 5,
    "deliver": 7,
    "receipt": 7,
    "to_quarantine": 5,
    "from_quarantine": 5,
    "count": 6,
    "manual_edit": 4,
    "feed": 1,
    "counter_sale": 4,
    "counter_refund": 3,
    "pickup": 3,
}
# "our own concurrency" in the server log: a job of ours that lost a race
SERIALIZATION = re.compile(
    r"could not serialize access|SerializationFailure|deadlock detected"
)
ACTIVE_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")
# issue 24's "decreases first" (the addon's switch, on unless "0")
DECREASES_FIRST = "synco_shopify.push_decreases_first"


PUSH_JOB = ("shopify.product.binding", "_job_push_inventory")
# the jobs that bring a Shopify order into Odoo's reservations
IMPORT_JOBS = {
    ("shopify.webhook.event", "_job_process"),
    ("shopify.shop", "_job_poll_orders"),
    ("sale.order", "_job_shopify_align_location"),
}
TAKEN_OVER = re.compile(r"^Pushed by job (\S+)")
RECORD_IDS = re.compile(r"^[\w.]+\(([\d, ]*)\)")


def job_record_ids(func_string):
    """The record ids of a job, from its ``func_string`` (``model(1, 2).m()``)."""
    match = RECORD_IDS.match(func_string or "")
    if not match:
        return []
    return [int(i) for i in match.group(1).replace(" ", "").split(",") if i]


def jobs_in_flight(jobs, since):
    """The jobs of ``jobs`` (queue.job rows) Synco is working on, or was
    since ``since`` (a UTC datetime string, as Odoo writes ``date_done``).

    Not failed or cancelled: pending (also waiting for a retry, ``eta`` in
    the future), enqueued, started, waiting for dependencies, or done at or
    after ``since``; a job taken over by a push (marked done with its
    ``result`` naming that push, ``date_done`` the time that push's
    transaction began) counts as the push that took it.
    """
    by_uuid = {job["uuid"]: job for job in jobs}

    def flying(job):
        if job["state"] in ACTIVE_JOB_STATES:
            return True
        if job["state"] != "done":
            return False
        taker = TAKEN_OVER.match(job.get("result") or "")
        if taker:
            other = by_uuid.get(taker.group(1))
            return bool(other) and other is not job and flying(other)
        return bool(job["date_done"]) and job["date_done"] >= since

    return [job for job in jobs if flying(job)]


def excused_keys(jobs, since, sku_of_binding, order_keys, unapplied_keys, locations):
    """{(sku, location)} whose over-offer Synco is still working on.

    :param jobs: queue.job rows (``model_name``, ``method_name``,
        ``func_string``, ``state``, ``date_done``, ``result``, ``uuid``),
        read before and after the sample
    :param sku_of_binding: {binding id: sku}
    :param order_keys: callable (model, record id) -> the keys of the orders
        that import job brings in (None: every order Odoo has not applied)
    :param unapplied_keys: the keys holding units of Shopify orders Odoo has
        not applied
    """
    excused = set()
    for job in jobs_in_flight(jobs, since):
        model, method = job["model_name"], job["method_name"]
        ids = job_record_ids(job["func_string"])
        if (model, method) == PUSH_JOB:
            for binding in ids:
                sku = sku_of_binding.get(binding)
                if sku:
                    excused.update((sku, location) for location in locations)
        elif (model, method) in IMPORT_JOBS:
            for record in ids or [None]:
                keys = order_keys(model, record)
                excused.update(
                    unapplied_keys if keys is None else set(keys) & unapplied_keys
                )
    return excused


class OversellWatch:
    """The sampler's rule: an over-offer is oversold once it outlives the
    time one push needs (see the module docstring).

    ``observe`` is fed each sample: its time (seconds), the over-offers
    ``{key: units}`` and the keys excused (work in flight).  An unexcused
    over-offer becomes a suspect; seen again unexcused at least ``min_gap``
    seconds later, it is oversold: ``oversold`` lists ``(key, units)``,
    once per episode (more only if it grows).  A sample where the level
    is no longer over-offered, or excused, ends the episode.
    """

    def __init__(self, min_gap):
        self.min_gap = min_gap
        self.suspects = {}  # key -> (first seen, units last seen)
        self.counted = {}  # key -> units counted in this episode
        self.oversold = []  # [(key, units)]

    def observe(self, when, over, excused):
        """Feed one sample; return the units newly found oversold {key: units}."""
        for key in list(self.suspects):
            if key not in over or key in excused:
                del self.suspects[key]
                self.counted.pop(key, None)
        found = {}
        for key, units in over.items():
            if units <= 0 or key in excused:
                continue
            if key not in self.suspects:
                self.suspects[key] = (when, units)
                continue
            since, last = self.suspects[key]
            self.suspects[key] = (since, units)
            if when - since < self.min_gap:
                continue
            confirmed = min(last, units)
            extra = confirmed - self.counted.get(key, 0)
            if extra > 0:
                self.counted[key] = confirmed
                self.oversold.append((key, extra))
                found[key] = extra
        return found

    @property
    def units(self):
        return sum(units for _key, units in self.oversold)


@dataclass
class SoakResult:
    """The counts of a soak; ``problems`` are the ones that must be 0."""

    minutes: float = 0.0
    played: dict = field(default_factory=dict)
    orders: int = 0
    stock_events: int = 0
    faults_percent: float = 0.0
    lost: int = 0
    duplicated: int = 0
    drifted: int = 0
    failed_jobs: int = 0
    oversold: int = 0
    oversold_at_end: int = 0
    serialization_errors: int = 0
    details: list = field(default_factory=list)
    exposure: list = field(default_factory=list)  # the sampler's lines

    @property
    def problems(self):
        return {
            name: getattr(self, name)
            for name in (
                "lost",
                "duplicated",
                "drifted",
                "failed_jobs",
                "oversold",
                "serialization_errors",
            )
            if getattr(self, name)
        }

    def line(self):
        return (
            f"soak: orders {self.orders}, stock events {self.stock_events}, "
            f"faults {self.faults_percent:.0f} %, lost {self.lost}, duplicated "
            f"{self.duplicated}, drifted after reconciliation {self.drifted}, "
            f"failed jobs {self.failed_jobs}, oversold {self.oversold}, "
            f"serialization errors {self.serialization_errors}"
        )


def fault_rates(share):
    """Four fault kinds drawn one after the other, ``share`` of calls in all."""
    each = 1 - (1 - share) ** (1 / 4)
    return {
        "error_429_rate": each,
        "error_5xx_rate": each,
        "drop_rate": each,
        "drop_after_apply_rate": each,
        "retry_after": 0.5,
        "latency": 0.0,
        "latency_jitter": 0.3 if share else 0.0,
    }


class Soak:
    """One seeded run; ``run()`` returns a :class:`SoakResult`."""

    def __init__(
        self,
        minutes=5.0,
        seed=1,
        faults=0.3,
        max_events=2000,
        pace=0.5,
        poll_every=60.0,
        sample_every=20.0,
        drain_timeout=900.0,
        echo=print,
        token_lifetime=None,
        decreases_first=None,
        exposure_every=1.0,
    ):
        if not (0 < minutes <= 120 and 0 <= faults < 1 and 0 < max_events <= 20000):
            raise ValueError("bounded: 0 < minutes <= 120, 0 <= faults < 1")
        self.minutes = minutes
        self.seed = seed
        self.faults = faults
        self.max_events = max_events
        self.pace = pace
        self.poll_every = poll_every
        self.sample_every = sample_every
        self.drain_timeout = drain_timeout
        self.echo = echo
        # seconds: connect with client credentials and tokens of this life
        self.token_lifetime = token_lifetime
        # True/False: DECREASES_FIRST set to "1"/"0" before the run (None:
        # left as installed)
        self.decreases_first = decreases_first
        self.exposure_every = exposure_every
        self.sampler = None
        self.edits = []  # (monotonic time, key) of manual edits in Shopify
        self.rng = random.Random(seed)
        self.played = dict.fromkeys(ACTIONS, 0)
        self.orders = {}  # Shopify order number -> OrderTrack
        self._track_by_gid = {}  # Shopify order GID -> OrderTrack
        self.manually_edited = set()  # (sku, location name)
        self.watch = OversellWatch(min_gap=sample_every / 2)
        self.samples = {"taken": 0, "over": 0, "push": 0, "import": 0}
        self.sim = self.odoo = None

    # ------------------------------------------------------------------ run
    def run(self):
        conf, source = harness_conf()
        source = os.environ.get("SYNCO_E2E_TEMPLATE", source)
        db_name = clone_database(conf, source, f"synco_soak_{self.seed}")
        self.mode = self._set_decreases_first(conf, db_name)
        self.sim = Simulator(fixture="empty").start()
        self.odoo = OdooServer(
            name=f"soak-{self.seed}", workers=3, channels="root:2", db_name=db_name
        )
        self.odoo.log_path.unlink(missing_ok=True)  # this run's log only
        started = time.monotonic()
        self.phases = {}
        self.drains = []
        self._started = started
        try:
            self.odoo.start()
            self._phase("server", started)
            self._setup()
            self._phase("setup", started)
            self.sim.set_faults(
                seed=self.seed, drop_webhooks=0.1, **fault_rates(self.faults)
            )
            self.dsn = self._dsn(conf, db_name)
            self.sampler = ExposureSampler(
                self,
                self.dsn,
                [(sku, name) for sku in SKUS for name in LOCATIONS],
                self.sku_of_binding,
                period=self.exposure_every,
            )
            self.sampler.check(self._figures())
            self.sim.clear_log()
            self.sampler.start()
            self._generate()
            self._phase("storm", started)
            faults_percent = self._fault_share()
            self.sim.clear_faults()
            result = self._finish()
            result.faults_percent = faults_percent
            if self.token_lifetime:
                fetched = sum(g["count"] for g in self.sim.oauth_stats()["grants"])
                result.details.append(
                    f"tokens: {fetched} fetched, each living "
                    f"{self.token_lifetime:.0f} s (client credentials)"
                )
        finally:
            if self.sampler is not None and self.sampler.running:
                self.sampler.stop(raise_error=False)
            if trace_dir() and self.sampler is not None:
                dump(self, trace_dir() / f"seed-{self.seed}")
            self.odoo.stop()
            self.sim.stop()
            psql(conf, "postgres", f'DROP DATABASE IF EXISTS "{db_name}"')
        result.minutes = (time.monotonic() - started) / 60
        self._phase("checks and stop", started)
        result.details.extend(self.drains)
        result.details.append(
            "phases (s): "
            + ", ".join(f"{name} {secs:.0f}" for name, secs in self.phases.items())
        )
        result.details.extend(result.exposure)
        return result

    def _set_decreases_first(self, conf, db_name):
        """Set DECREASES_FIRST in the soak's database as asked; what runs."""
        wanted = None
        if self.decreases_first is not None:
            wanted = "1" if self.decreases_first else "0"
            psql(
                conf,
                db_name,
                "INSERT INTO ir_config_parameter (key, value, create_uid, "
                "create_date, write_uid, write_date) VALUES "
                f"('{DECREASES_FIRST}', '{wanted}', 1, now(), 1, now()) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            )
        value = psql(
            conf,
            db_name,
            f"SELECT value FROM ir_config_parameter WHERE key = '{DECREASES_FIRST}'",
        )
        if wanted is not None and value != wanted:
            raise RuntimeError(f"{DECREASES_FIRST} could not be set: {value!r}")
        setting = f"{DECREASES_FIRST} = {value or 'unset'}"
        addon = Path(__file__).resolve().parents[2] / "synco_shopify"
        if not any(
            DECREASES_FIRST in path.read_text(errors="replace")
            for path in addon.rglob("*.py")
        ):
            return f"decreases first off: not in this addon ({setting})"
        return f"decreases first {'off' if value == '0' else 'on'}: {setting}"

    @staticmethod
    def _dsn(conf, db_name):
        options = read_conf(conf)
        return {
            "host": options["db_host"],
            "port": options["db_port"],
            "user": options["db_user"],
            "dbname": db_name,
        }

    def _phase(self, name, started):
        """Seconds spent in ``name``, since the previous phase ended."""
        now = time.monotonic() - started
        self.phases[name] = now - sum(self.phases.values())

    # ---------------------------------------------------------------- setup
    def _setup(self):
        odoo, sim = self.odoo, self.sim
        shop = sim.add_shop(
            DOMAIN, name="Synco Soak", token=TOKEN, webhook_secret=SECRET
        )
        for number, name in ((4001, NJ), (4002, TX), (4003, TPL), (4004, STORE)):
            sim.add_location(shop, name, number=number)
        for sku in SKUS:
            sim.add_product(
                shop,
                sku,
                [sku],
                price="10.00",
                stock={NJ: 50, TX: 50, TPL: 50, STORE: 50},
            )
        self.products = {
            sku: odoo.call(
                "product.product",
                "create",
                {"name": sku, "default_code": sku, "is_storable": True},
            )
            for sku in SKUS
        }
        self.sku_of = {pid: sku for sku, pid in self.products.items()}
        warehouses = {
            name: odoo.call(
                "stock.warehouse", "create", {"name": f"Soak {name}", "code": code}
            )
            for name, code in (
                (NJ, "SKNJ"),
                (TX, "SKTX"),
                (TPL, "SK3P"),
                (STORE, "SKST"),
            )
        }
        self.warehouses = {}
        for name, wh in warehouses.items():
            self.warehouses[name] = odoo.call(
                "stock.warehouse",
                "read",
                [wh],
                ["lot_stock_id", "in_type_id", "int_type_id"],
            )[0]
        self.stock = {
            name: wh["lot_stock_id"][0] for name, wh in self.warehouses.items()
        }
        self.quarantine = odoo.call(
            "stock.location",
            "create",
            {"name": "Quarantine", "location_id": self.stock[NJ], "usage": "internal"},
        )
        self.bins = [
            odoo.call(
                "stock.location",
                "create",
                {
                    "name": f"Bin {i:02d}",
                    "location_id": self.stock[TPL],
                    "usage": "internal",
                },
            )
            for i in range(TPL_BINS)
        ]
        self._apply_counts(
            [
                (pid, self.stock[name], START_STOCK)
                for pid in self.products.values()
                for name in (NJ, TX, STORE)
            ]
            + [(pid, self.quarantine, 5) for pid in self.products.values()]
        )
        self._feed()
        shop_id = odoo.call(
            "shopify.shop",
            "create",
            {
                "name": "Soak",
                "shop_domain": DOMAIN,
                **self._credentials(sim),
                "api_base_url": sim.base_url,
                "webhook_base_url": odoo.url,
                "default_warehouse_id": warehouses[NJ],
                "correct_drift_on_webhook": True,
                "order_route_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Texas",
                            "sequence": 1,
                            "zip_ranges": "73300-73399, 75000-79999",
                            "warehouse_id": warehouses[TX],
                        },
                    )
                ],
            },
        )
        self.shop = shop_id
        odoo.call("shopify.shop", "action_import_locations", [shop_id])
        odoo.call("shopify.shop", "action_bind_products", [shop_id])
        self.sku_of_binding = {
            binding["id"]: binding["sku"]
            for binding in odoo.call(
                "shopify.product.binding",
                "search_read",
                [("shop_id", "=", shop_id)],
                fields=["sku"],
            )
        }
        locations = {
            loc["name"]: loc["id"]
            for loc in odoo.call(
                "shopify.location",
                "search_read",
                [("shop_id", "=", shop_id)],
                fields=["name"],
            )
        }
        odoo.call(
            "shopify.location", "write", [locations[STORE]], {"retail_store": True}
        )
        for name in LOCATIONS:
            values = {
                "shop_id": shop_id,
                "shopify_location_id": locations[name],
                "state": "active",
                "source_ids": [(0, 0, {"location_id": self.stock[name]})],
            }
            if name == NJ:
                values["excluded_location_ids"] = [(6, 0, [self.quarantine])]
            odoo.call("shopify.location.mapping", "create", values)
        odoo.call("shopify.shop", "action_register_webhooks", [shop_id])
        odoo.call("shopify.shop", "action_push_all", [shop_id])
        wait_until(
            lambda: not self._over_offers(self._figures(), strict=True),
            180,
            interval=1,
            what="the first push of every level",
        )
        self.echo(
            f"soak setup: {len(SKUS)} products x {len(LOCATIONS)} Shopify locations, "
            f"NJ with an excluded quarantine, a 3PL of {TPL_BINS} bins, a retail "
            f"store; seed {self.seed}, "
            f"faults {self.faults:.0%} of calls, 10 % of webhooks lost"
        )

    # ------------------------------------------------------------ generator
    def _credentials(self, sim):
        """The legacy admin token, or with ``token_lifetime`` client
        credentials whose tokens expire that fast."""
        if not self.token_lifetime:
            return {"access_token": TOKEN, "webhook_secret": SECRET}
        sim.set_token_ttls(client_credentials=self.token_lifetime)
        app = sim.shop(DOMAIN)
        return {
            "connect_method": "client_credentials",
            "client_id": sim.client_id(app),
            "client_secret": sim.client_secret(app),
        }

    def _generate(self):
        deadline = time.monotonic() + self.minutes * 60
        next_poll = time.monotonic() + self.poll_every
        next_sample = time.monotonic() + self.sample_every
        actions, weights = zip(*ACTIONS.items(), strict=True)
        events = 0
        # every kind once first (in a seeded order), then drawn by weight
        first = self.rng.sample(actions, len(actions))
        while time.monotonic() < deadline and events < self.max_events:
            action = first.pop() if first else self.rng.choices(actions, weights)[0]
            if getattr(self, f"_play_{action}")():
                self.played[action] += 1
                events += 1
            now = time.monotonic()
            if now >= next_poll:
                self._poll()
                next_poll = now + self.poll_every
            if now >= next_sample:
                self._sample()
                next_sample = time.monotonic() + self.sample_every
            time.sleep(self.rng.uniform(0, 2 * self.pace))
        self.echo(f"soak played: {self.played}")

    def _open_orders(self, deliverable=False):
        return [
            track
            for track in self.orders.values()
            if not track.cancelled
            and not track.delivered
            and (not deliverable or not track.edited)
        ]

    def _play_order(self):
        location = self.rng.choice((NJ, TX))
        lines = {}
        for sku in self.rng.sample(SKUS, self.rng.choice((1, 1, 2))):
            quantity = self.rng.randint(1, 3)
            if self.sim.level(DOMAIN, sku, location)["available"] >= quantity:
                lines[sku] = quantity
        if not lines:
            return False
        with self.sim.lock:  # the sampler sees the order with its units
            order = self.sim.create_order(
                DOMAIN,
                list(lines.items()),
                shipping_address=ADDRESSES[location],
                location=location,
            )
            self.orders[order.number] = OrderTrack(order, location)
        self._track_by_gid[order.id] = self.orders[order.number]
        return True

    def _play_counter_sale(self):
        """A sale at the store's till (Shopify POS): fulfilled at once."""
        lines = {}
        for sku in self.rng.sample(SKUS, self.rng.choice((1, 1, 2))):
            quantity = self.rng.randint(1, 2)
            if self.sim.level(DOMAIN, sku, STORE)["available"] >= quantity:
                lines[sku] = quantity
        if not lines:
            return False
        with self.sim.lock:  # the sampler sees the order with its units
            order = self.sim.sell_at_counter(DOMAIN, list(lines.items()), STORE)
            track = OrderTrack(order, STORE, delivered=True, counter=True)
            self.orders[order.number] = track
        self._track_by_gid[order.id] = track
        return True

    def _play_counter_refund(self):
        """One unit of a counter sale refunded, restocked at the store or not."""
        candidates = [
            (track, line)
            for track in self.orders.values()
            if track.counter
            for line in track.order.lines
            if line.current_quantity >= 1
        ]
        if not candidates:
            return False
        track, line = self.rng.choice(candidates)
        restock = self.rng.random() < 0.7
        with self.sim.lock:  # the sampler sees the unit kept with the refund
            self.sim.refund(
                track.order.id, {line.sku: 1}, restock=restock, location=STORE
            )
            if not restock:
                track.kept[line.sku] = track.kept.get(line.sku, 0) + 1
        return True

    def _play_pickup(self):
        """An online order collected at the store, a New Jersey address."""
        sku = self.rng.choice(SKUS)
        if self.sim.level(DOMAIN, sku, STORE)["available"] < 1:
            return False
        with self.sim.lock:  # the sampler sees the order with its units
            order = self.sim.create_order(
                DOMAIN,
                [(sku, 1)],
                shipping_address=ADDRESSES[NJ],
                location=STORE,
                delivery_method="PICK_UP",
            )
            self.orders[order.number] = OrderTrack(order, STORE)
        self._track_by_gid[order.id] = self.orders[order.number]
        return True

    def _play_redeliver(self):
        """Shopify delivers an event again (its retry after a timeout)."""
        delivered = [d for d in self.sim.deliveries() if d["status"] == "delivered"]
        if not delivered:
            return False
        delivery = self.rng.choice(delivered[-50:])
        response = requests.post(
            f"{self.odoo.url}/synco_shopify/webhook/{self.shop}",
            data=json.dumps(delivery["payload"]).encode(),
            headers=delivery["headers"],
            timeout=30,
        )
        return response.status_code == 200

    def _play_edit(self):
        candidates = [
            (track, line)
            for track in self._open_orders()
            for line in track.order.lines
            if line.current_quantity >= 2
        ]
        if not candidates:
            return False
        track, line = self.rng.choice(candidates)
        self.sim.edit_order(track.order.id, {line.sku: line.current_quantity - 1})
        track.edited = True
        return True

    def _play_cancel(self):
        candidates = self._open_orders()
        if not candidates:
            return False
        track = self.rng.choice(candidates)
        self.sim.cancel_order(track.order.id)
        track.cancelled = True
        return True

    def _play_deliver(self):
        """Odoo ships a whole imported order (its fulfilment goes to Shopify)."""
        candidates = self._open_orders(deliverable=True)
        self.rng.shuffle(candidates)
        for track in candidates[:5]:
            pickings = self.odoo.call(
                "stock.picking",
                "search_read",
                [
                    ("sale_id.shopify_order_gid", "=", track.order.id),
                    ("sale_id.state", "=", "sale"),
                    ("state", "=", "assigned"),
                ],
                fields=["move_ids"],
            )
            if len(pickings) != 1:
                continue
            moves = self.odoo.call(
                "stock.move",
                "read",
                pickings[0]["move_ids"],
                ["product_uom_qty", "quantity"],
            )
            if any(m["quantity"] != m["product_uom_qty"] for m in moves):
                continue  # not fully reserved: left for later
            self.odoo.call(
                "stock.move", "write", [m["id"] for m in moves], {"picked": True}
            )
            self.odoo.call("stock.picking", "button_validate", [pickings[0]["id"]])
            track.delivered = True
            return True
        return False

    def _play_receipt(self):
        name = self.rng.choice((NJ, TX))
        products = self.rng.sample(list(self.products.values()), 3)
        quantities = {pid: self.rng.randint(2, 10) for pid in products}
        self._transfer(
            self.warehouses[name]["in_type_id"][0],
            self.odoo.ref("stock.stock_location_suppliers"),
            self.stock[name],
            quantities,
        )
        return True

    def _play_to_quarantine(self):
        pid = self.rng.choice(list(self.products.values()))
        return self._transfer(
            self.warehouses[NJ]["int_type_id"][0],
            self.stock[NJ],
            self.quarantine,
            {pid: self.rng.randint(1, 3)},
        )

    def _play_from_quarantine(self):
        pid = self.rng.choice(list(self.products.values()))
        return self._transfer(
            self.warehouses[NJ]["int_type_id"][0],
            self.quarantine,
            self.stock[NJ],
            {pid: self.rng.randint(1, 3)},
        )

    def _play_count(self):
        """A cycle count finds a few units more or less (never below reserved)."""
        name = self.rng.choice((NJ, TX))
        pid = self.rng.choice(list(self.products.values()))
        quants = self.odoo.call(
            "stock.quant",
            "search_read",
            [("product_id", "=", pid), ("location_id", "=", self.stock[name])],
            fields=["quantity", "reserved_quantity"],
        )
        if len(quants) != 1:
            return False
        quant = quants[0]
        free = quant["quantity"] - quant["reserved_quantity"]
        delta = self.rng.randint(-min(4, int(free)), 4)
        self._apply_counts([(pid, self.stock[name], quant["quantity"] + delta)])
        return True

    def _play_manual_edit(self):
        sku = self.rng.choice(SKUS)
        location = self.rng.choice((NJ, TX, TPL))
        current = self.sim.level(DOMAIN, sku, location)["available"]
        self.sim.set_available(
            DOMAIN, sku, location, max(0, current + self.rng.randint(-3, 3))
        )
        self.manually_edited.add((sku, location))
        self.edits.append((time.monotonic(), (sku, location)))
        return True

    def _play_feed(self):
        if self.played["feed"] >= max(1, int(self.minutes)):
            return False
        self._feed()
        return True

    def _feed(self):
        """The 3PL's stock file: every (product, bin) quant written at once."""
        self._apply_counts(
            [
                (pid, location, self.rng.randint(0, 6))
                for pid in self.products.values()
                for location in self.bins
            ]
        )

    def _apply_counts(self, rows):
        """Inventory adjustments of [(product, location, quantity)], one commit."""
        quants = [
            {"product_id": pid, "location_id": loc, "inventory_quantity": qty}
            for pid, loc, qty in rows
        ]
        ids = self.odoo.call(
            "stock.quant", "create", quants, context={"inventory_mode": True}
        )
        self.odoo.call("stock.quant", "action_apply_inventory", ids)

    def _transfer(self, picking_type, source, destination, quantities):
        """A validated transfer; False when nothing could be reserved."""
        odoo = self.odoo
        picking = odoo.call(
            "stock.picking",
            "create",
            {
                "picking_type_id": picking_type,
                "location_id": source,
                "location_dest_id": destination,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": pid,
                            "product_uom_qty": qty,
                            "location_id": source,
                            "location_dest_id": destination,
                        },
                    )
                    for pid, qty in quantities.items()
                ],
            },
        )
        odoo.call("stock.picking", "action_confirm", [picking])
        odoo.call("stock.picking", "action_assign", [picking])
        moves = odoo.call(
            "stock.move",
            "search_read",
            [("picking_id", "=", picking)],
            fields=["product_uom_qty", "quantity"],
        )
        incoming = source == odoo.ref("stock.stock_location_suppliers")
        if not incoming and not any(m["quantity"] for m in moves):
            odoo.call("stock.picking", "action_cancel", [picking])
            return False
        for move in moves:
            values = {"picked": True}
            if incoming:
                values["quantity"] = move["product_uom_qty"]
            odoo.call("stock.move", "write", [move["id"]], values)
        odoo.call(
            "stock.picking",
            "button_validate",
            [picking],
            context={"skip_backorder": True, "picking_ids_not_to_backorder": [picking]},
        )
        return True

    def _poll(self):
        cron = self.odoo.ref("synco_shopify.ir_cron_poll_orders")
        self.odoo.call("ir.cron", "method_direct_trigger", [cron])

    # -------------------------------------------------------------- figures
    def _figures(self):
        """{(sku, location): Odoo's figure}: free units counted by each mapping."""
        quants = self.odoo.call(
            "stock.quant",
            "search_read",
            [
                ("product_id", "in", list(self.products.values())),
                ("location_id", "child_of", list(self.stock.values())),
            ],
            fields=["product_id", "location_id", "quantity", "reserved_quantity"],
        )
        roots = {self.stock[name]: name for name in LOCATIONS}
        roots.update(dict.fromkeys(self.bins, TPL))
        free = {(sku, name): 0.0 for sku in SKUS for name in LOCATIONS}
        for quant in quants:
            name = roots.get(quant["location_id"][0])
            if name is None:  # the excluded quarantine
                continue
            key = (self.sku_of[quant["product_id"][0]], name)
            free[key] += quant["quantity"] - quant["reserved_quantity"]
        return {key: max(0, math.floor(value + 1e-6)) for key, value in free.items()}

    def _not_applied(self):
        """{(sku, location): units Shopify's orders took that Odoo has not reserved}.

        Per order line: Shopify's current quantity (0 once cancelled) minus
        the quantity of Odoo's order (0 when missing or cancelled): positive
        for an order not imported, negative for an edit or a cancellation
        Odoo has not applied yet.
        """
        lines = self.odoo.call(
            "sale.order.line",
            "search_read",
            [("order_id.shopify_shop_id", "=", self.shop)],
            fields=["order_id", "product_id", "product_uom_qty", "state"],
        )
        gids = {
            so["id"]: so["shopify_order_gid"]
            for so in self.odoo.call(
                "sale.order",
                "search_read",
                [("shopify_shop_id", "=", self.shop)],
                fields=["shopify_order_gid"],
            )
        }
        odoo_qty = {}
        for line in lines:
            if line["state"] != "sale":
                continue
            key = (gids[line["order_id"][0]], self.sku_of.get(line["product_id"][0]))
            odoo_qty[key] = odoo_qty.get(key, 0) + line["product_uom_qty"]
        pending = {}
        with self.sim.lock:
            for track in self.orders.values():
                for line in track.order.lines:
                    key = (line.sku, track.location)
                    # units refunded without restock left with the customer:
                    # still sold in Odoo
                    pending[key] = (
                        pending.get(key, 0)
                        + line.current_quantity
                        + track.kept.get(line.sku, 0)
                        - odoo_qty.pop((track.order.id, line.sku), 0)
                    )
        return pending

    def _over_offers(self, figures, pending=None, strict=False):
        """{(sku, location): units Shopify offers beyond the truth}."""
        levels = self.sim.levels(DOMAIN)
        over = {}
        for key, figure in figures.items():
            if not strict and key in self.manually_edited:
                continue  # the merchant's own edit: drift, not a sale
            truth = max(0, figure - (pending or {}).get(key, 0))
            shown = levels[key]["available"]
            if shown > truth or (strict and shown != truth):
                over[key] = shown - truth
        return over

    def _sample(self):
        """One sample of the over-offers, fed to :class:`OversellWatch`."""
        since = _utc_seconds(time.time() - 1)  # date_done has whole seconds
        jobs = self._sampled_jobs(since)
        before = (self._figures(), self._not_applied())
        levels = self.sim.levels(DOMAIN)
        pending = self._not_applied()
        after = (self._figures(), pending)
        jobs += self._sampled_jobs(since)
        over = over_offers(levels, (before, after), skip=self.manually_edited)
        unapplied = {
            key for key in over if before[1].get(key, 0) or after[1].get(key, 0)
        }
        excused = excused_keys(
            jobs,
            since,
            self.sku_of_binding,
            self._order_keys_reader(),
            unapplied,
            LOCATIONS,
        )
        found = self.watch.observe(time.monotonic(), over, excused)
        self.samples["taken"] += 1
        self.samples["over"] += len(over)
        pushing = excused_keys(
            [j for j in jobs if (j["model_name"], j["method_name"]) == PUSH_JOB],
            since,
            self.sku_of_binding,
            None,
            set(),
            LOCATIONS,
        )
        self.samples["push"] += len(set(over) & pushing)
        self.samples["import"] += len(set(over) & (excused - pushing))
        if found:
            self.echo(
                f"soak sample: oversold {found} (over-offers {over}, excused "
                f"{sorted(set(over) & excused)})"
            )

    def _sampled_jobs(self, since):
        """The push and import jobs active, done since ``since``, or taken
        over in the last ten minutes (to find the push that took them)."""
        methods = [PUSH_JOB[1], *(method for _model, method in IMPORT_JOBS)]
        return self.odoo.call(
            "queue.job",
            "search_read",
            [
                ("method_name", "in", methods),
                "|",
                ("state", "in", ACTIVE_JOB_STATES),
                "|",
                ("date_done", ">=", since),
                "&",
                ("date_done", ">=", _utc_seconds(time.time() - 600)),
                ("result", "=like", "Pushed by job %"),
            ],
            fields=[
                "uuid",
                "model_name",
                "method_name",
                "func_string",
                "state",
                "date_done",
                "result",
            ],
        )

    def _order_keys_reader(self):
        """(model, id) -> the keys of the order an import job brings in."""
        cache = {}

        def keys_of_gid(gid, every_location=False):
            track = self._track_by_gid.get(gid)
            if track is None:
                return set()
            locations = LOCATIONS if every_location else (track.location,)
            return {
                (line.sku, location)
                for line in track.order.lines
                for location in locations
            }

        def order_keys(model, record):
            if model == "shopify.shop":
                return None  # the poll: every order Odoo has not applied
            if (model, record) in cache:
                return cache[model, record]
            keys = set()
            if model == "shopify.webhook.event":
                events = self.odoo.call(
                    "shopify.webhook.event", "read", [record], ["topic", "payload"]
                )
                for event in events:
                    if not event["topic"].startswith("orders/"):
                        continue
                    try:
                        gid = json.loads(event["payload"] or "{}").get(
                            "admin_graphql_api_id"
                        )
                    except ValueError:
                        continue
                    keys |= keys_of_gid(gid)
            elif model == "sale.order":
                # the alignment moves the reservation between warehouses
                for order in self.odoo.call(
                    "sale.order", "read", [record], ["shopify_order_gid"]
                ):
                    keys |= keys_of_gid(order["shopify_order_gid"], every_location=True)
            cache[model, record] = keys
            return keys

        return order_keys

    # ---------------------------------------------------------------- checks
    def _jobs(self, domain):
        return self.odoo.call("queue.job", "search_count", domain)

    def _drain(self, what):
        """Wait (bounded) until no job is left to run; retries run now.

        Notes in ``self.drains`` how long the webhooks and the jobs took,
        and how many jobs were active when it began (by method).
        """
        first = {}

        def drained():
            active = self.odoo.call(
                "queue.job",
                "search_read",
                [("state", "in", ACTIVE_JOB_STATES)],
                fields=["state", "eta", "method_name"],
            )
            if not first:
                for job in active:
                    name = job["method_name"]
                    first[name] = first.get(name, 0) + 1
                first.setdefault("total", len(active))
            later = [
                job["id"] for job in active if job["state"] == "pending" and job["eta"]
            ]
            if later:
                self._run_now(later)
            return not active

        began = time.monotonic()
        self.sim.wait_for_deliveries(120)
        hooks = time.monotonic()
        wait_until(drained, self.drain_timeout, interval=1, what=what)
        self.drains.append(
            f"{what}: webhooks {hooks - began:.0f} s, jobs "
            f"{time.monotonic() - hooks:.0f} s (active at first: {first})"
        )

    def _run_now(self, job_ids):
        """The jobs of ``job_ids`` still waiting for their ``eta`` run now.

        In SQL, on the rows still pending when the update takes their lock:
        the ORM's ``write`` under the RPC's snapshot also touched a job the
        runner had started meanwhile, which then failed to store its end (a
        serialization failure of the soak's own making, counted as ours).
        """
        connection = psycopg2.connect(**self.dsn)
        try:
            with connection, connection.cursor() as cr:
                cr.execute(
                    "UPDATE queue_job SET eta = NULL "
                    "WHERE id = ANY(%s) AND state = 'pending'",
                    (job_ids,),
                )
        finally:
            connection.close()

    def _finish(self):
        result = SoakResult(played=dict(self.played))
        result.orders = len(self.orders)
        result.stock_events = sum(
            self.played[a]
            for a in (
                "deliver",
                "receipt",
                "to_quarantine",
                "from_quarantine",
                "count",
                "feed",
                "manual_edit",
            )
        )
        self._drain("the queue drained after the storm")
        self.sampler.stop()
        result.exposure = self.sampler.report(self.mode, self.edits)
        self._poll()
        self._drain("the queue drained after the poll")
        self._phase("drain", self._started)
        pending = self._not_applied()
        figures = self._figures()
        over = self._over_offers(figures, pending)
        end_oversold = sum(over.values())
        sampled = self.watch.units
        result.oversold = end_oversold + sampled
        result.oversold_at_end = end_oversold
        result.details.append(
            f"oversold: {end_oversold} unit(s) on offer beyond Odoo's figure after "
            f"the drain ({len(self.manually_edited)} manually edited levels left "
            f"to the reconciliation); sampled: {sampled} unit(s) oversold in "
            f"{len(self.watch.oversold)} over-offer(s) that outlived their push "
            f"{self.watch.oversold}; {self.samples['taken']} samples, "
            f"{self.samples['over']} over-offers seen: {self.samples['push']} with "
            f"their push in flight, {self.samples['import']} with only their "
            "order's import in flight"
        )
        self.odoo.call("shopify.shop", "action_reconcile", [self.shop])
        self._drain("the reconciliation")
        self._phase("reconciliation", self._started)
        runs = self.odoo.call(
            "shopify.reconciliation",
            "search_read",
            [("shop_id", "=", self.shop), ("dry_run", "=", False)],
            fields=[
                "state",
                "checked_count",
                "drifted_count",
                "pushed_count",
                "failed_count",
            ],
        )
        result.details.append(f"reconciliation: {runs}")
        drift = self._over_offers(self._figures(), strict=True)
        result.drifted = len(drift)
        if drift:
            result.details.append(f"drifted levels (Shopify - Odoo): {drift}")
        self._check_orders(result)
        self._check_events(result)
        self._check_jobs(result)
        return result

    def _check_orders(self, result):
        rows = self.odoo.call(
            "sale.order",
            "search_read",
            [("shopify_shop_id", "=", self.shop)],
            fields=["shopify_order_gid", "state", "order_line"],
        )
        by_gid = {}
        for row in rows:
            by_gid.setdefault(row["shopify_order_gid"], []).append(row)
        result.duplicated += sum(len(rows) - 1 for rows in by_gid.values())
        missing, wrong = [], []
        pending = self._not_applied()
        for track in self.orders.values():
            found = by_gid.get(track.order.id)
            if not found:
                if not track.cancelled:  # cancelled before import: none
                    missing.append(track.order.name)
                continue
            expected = "cancel" if track.cancelled else "sale"
            if found[0]["state"] != expected:
                wrong.append(f"{track.order.name} {found[0]['state']} != {expected}")
        off = {key: units for key, units in pending.items() if units}
        result.lost = len(missing) + len(wrong) + len(off)
        result.details.append(
            f"orders: {len(self.orders)} in Shopify, {len(by_gid)} in Odoo; missing "
            f"{missing}; wrong state {wrong}; quantities Odoo does not hold {off}"
        )

    def _check_events(self, result):
        events = self.odoo.call(
            "shopify.webhook.event",
            "search_read",
            [("shop_id", "=", self.shop)],
            fields=["event_id", "state"],
        )
        ids = [event["event_id"] for event in events]
        result.duplicated += len(ids) - len(set(ids))
        delivered = {
            d["event_id"] for d in self.sim.deliveries() if d["status"] == "delivered"
        }
        not_stored = delivered - set(ids)
        result.lost += len(not_stored)
        states = {}
        for event in events:
            states[event["state"]] = states.get(event["state"], 0) + 1
        lost_hooks = sum(d["status"] == "dropped" for d in self.sim.deliveries())
        result.details.append(
            f"webhook events: {len(ids)} stored ({states}), {len(delivered)} "
            f"delivered by Shopify, {lost_hooks} lost on the way, "
            f"{self.played['redeliver']} redelivered; delivered but not stored: "
            f"{len(not_stored)}"
        )

    def _check_jobs(self, result):
        failed = self.odoo.call(
            "queue.job",
            "search_read",
            [("state", "=", "failed")],
            fields=["method_name", "exc_info"],
        )
        result.failed_jobs = len(failed)
        alerted = self.odoo.call(
            "shopify.alert",
            "search_read",
            [("kind", "=", "job_failed")],
            fields=["queue_job_ids"],
        )
        with_alert = {job for alert in alerted for job in alert["queue_job_ids"]}
        silent = [job["id"] for job in failed if job["id"] not in with_alert]
        # ``retry`` counts the runs a job spent (waits on another job's
        # lock don't): more than one is a retry
        retried = self.odoo.call(
            "queue.job",
            "search_read",
            [("retry", ">", 1)],
            fields=["method_name", "retry", "result"],
        )
        result.details.append(
            f"jobs: {self._jobs([])} in all, {len(failed)} failed "
            f"({[j['method_name'] for j in failed]}), {len(silent)} failed without "
            f"an alert; {len(retried)} retried, "
            f"{sum(j['retry'] - 1 for j in retried)} retries"
        )
        for job in failed[:3]:
            result.details.append((job["exc_info"] or "")[-600:])
        ours, merchant = self._serialization_failures()
        result.serialization_errors = len(ours)
        result.details.append(
            f"serialization failures: {len(ours)} in our jobs and webhooks, "
            f"{len(merchant)} in the generator's own RPC calls (the merchant's "
            "clicks, retried by Odoo itself)"
        )
        for query, request in (ours + merchant)[:8]:
            result.details.append(f"  {request}: {query[:160]}")

    def _serialization_failures(self):
        """([(query, request)] of our jobs and webhooks, [...] of RPC calls).

        A failing query is logged by its worker, and the request it served
        is logged by the same process when it ends: a job (``runjob``), a
        webhook, or one of the generator's RPC calls.
        """
        ours, merchant = [], []
        pending = {}  # pid -> failing query waiting for its request line
        lines = self.odoo.log_path.read_text(errors="replace").splitlines()
        for index, line in enumerate(lines):
            parts = line.split(" ", 4)
            pid = parts[2] if len(parts) > 3 else None
            if "bad query" in line and any(
                SERIALIZATION.search(nxt) for nxt in lines[index + 1 : index + 3]
            ):
                pending.setdefault(pid, []).append(line.split("bad query: ", 1)[-1])
            elif "werkzeug" in line and pid in pending:
                request = re.search(r'"(\w+ [^ ]+)', line)
                request = request.group(1) if request else "?"
                rpc = any(path in request for path in ("/json/2/", "/jsonrpc"))
                target = merchant if rpc else ours
                target.extend((query, request) for query in pending.pop(pid))
        for queries in pending.values():
            ours.extend((query, "?") for query in queries)
        return ours, merchant

    def _fault_share(self):
        calls = [e for e in self.sim.log if e.get("root_fields")]
        faulted = sum(bool(e.get("fault")) for e in calls)
        return 100 * faulted / len(calls) if calls else 0.0


def over_offers(levels, reads, skip=()):
    """{key: units} Shopify's ``levels`` offer beyond the truth of every read.

    :param reads: [(figures, not applied)] read at different moments around
        the levels: the truth is the highest of them (see the read races in
        the module docstring)
    """
    over = {}
    for key, level in levels.items():
        if key in skip or key not in reads[0][0]:
            continue
        truth = max(
            max(0, figures[key] - pending.get(key, 0)) for figures, pending in reads
        )
        if level["available"] > truth:
            over[key] = level["available"] - truth
    return over


def _utc_seconds(epoch):
    """An epoch time as Odoo writes a UTC datetime: ``YYYY-MM-DD HH:MM:SS``."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


@dataclass
class OrderTrack:
    order: object
    location: str
    cancelled: bool = False
    edited: bool = False
    delivered: bool = False
    counter: bool = False
    kept: dict = field(default_factory=dict)
    created: float = field(default_factory=time.time)  # epoch, for the notes
