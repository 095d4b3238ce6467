"""Result types of :class:`~.ShopifyClient`: what a write asked for and got.

:class:`QuantityChange` is the input of the inventory writes;
:class:`SetQuantitiesResult` their answer, one :class:`ItemOutcome` per change;
:class:`ClientStats` counts what a client sent and waited for.
"""

from dataclasses import dataclass, field


class LevelQuantities(int):
    """Shopify's ``available`` at a level, with the states read beside it.

    An ``int`` (the available quantity: every caller that compares, stores
    or adds levels keeps working) that also carries ``committed`` (units on
    orders not fulfilled yet) and ``on_hand`` as Shopify answered them,
    ``None`` when the read did not ask for them.  A sale moves units from
    available to committed; an edit in Shopify's admin changes available and
    on_hand: the push tells them apart with these (``lib/push.split_drop``).
    """

    def __new__(cls, available, committed=None, on_hand=None):
        obj = super().__new__(cls, available)
        obj.committed = committed
        obj.on_hand = on_hand
        return obj

    def __str__(self):
        return int.__repr__(self)

    def __repr__(self):
        return (
            f"LevelQuantities({int(self)}, committed={self.committed}, "
            f"on_hand={self.on_hand})"
        )

    def __reduce__(self):
        return (LevelQuantities, (int(self), self.committed, self.on_hand))


def committed_of(value):
    """The ``committed`` read with a level value, or None (a plain int)."""
    return getattr(value, "committed", None)


@dataclass(frozen=True)
class QuantityChange:
    """Set ``available`` of an item at a location, compare-and-set style.

    ``change_from`` is the quantity the caller believes Shopify holds now;
    Shopify refuses the write if it holds something else.  ``None`` sends an
    explicit ``changeFromQuantity: null`` (no check) -- for a first push, not
    for routine sync.
    """

    inventory_item_id: str
    location_id: str
    quantity: int
    change_from: int | None


class Outcome:
    """Status values of :class:`ItemOutcome`."""

    APPLIED = "applied"
    STALE_RESOLVED = "stale_resolved"  # applied after a re-read/recompute
    DROPPED = "dropped"  # on_stale returned None
    NOT_STOCKED = "not_stocked"  # ITEM_NOT_STOCKED_AT_LOCATION
    FAILED = "failed"


@dataclass
class ItemOutcome:
    """What happened to one :class:`QuantityChange` of a ``set_available``."""

    index: int  # position in the list passed to set_available
    change: QuantityChange  # as passed by the caller
    status: str
    quantity: int | None = None  # quantity last sent (set when applied)
    change_from: int | None = None  # changeFromQuantity last sent
    current: int | None = None  # Shopify's value read after a stale answer
    code: str | None = None
    message: str | None = None

    @property
    def ok(self):
        return self.status in (Outcome.APPLIED, Outcome.STALE_RESOLVED)


@dataclass
class SetQuantitiesResult:
    """Per-item outcomes (in input order) and what the writes cost."""

    outcomes: list = field(default_factory=list)
    calls: int = 0
    requested_cost: float = 0.0
    actual_cost: float = 0.0
    stale_rounds: int = 0
    bulk_operations: int = 0  # bulkOperationRunMutation runs started
    bulk_lines: int = 0  # quantities answered by a bulk operation's file
    bulk_retried: int = 0  # quantities sent again through the per-call path

    def _with(self, *statuses):
        return [o for o in self.outcomes if o.status in statuses]

    @property
    def applied(self):
        return self._with(Outcome.APPLIED, Outcome.STALE_RESOLVED)

    @property
    def stale_resolved(self):
        return self._with(Outcome.STALE_RESOLVED)

    @property
    def dropped(self):
        return self._with(Outcome.DROPPED)

    @property
    def not_stocked(self):
        return self._with(Outcome.NOT_STOCKED)

    @property
    def failed(self):
        return self._with(Outcome.FAILED)

    @property
    def ok(self):
        return all(o.ok or o.status == Outcome.DROPPED for o in self.outcomes)


@dataclass
class ClientStats:
    """Counters over the life of a client (benchmarks, logs, results)."""

    calls: int = 0  # HTTP requests sent (retries included)
    requested_cost: float = 0.0
    actual_cost: float = 0.0
    throttled: int = 0  # THROTTLED / 429 answers received
    retries: int = 0
    by_operation: dict = field(default_factory=dict)
    # seconds spent waiting on Shopify, each counted once: "http" (round
    # trips of API calls), "throttle" (for the bucket), "sleep" (before a
    # retry), "bulk query" / "bulk mutation" (polls of a bulk operation and
    # the sleeps between them, until it ended)
    waited: dict = field(default_factory=dict)

    def add_wait(self, kind, seconds):
        self.waited[kind] = self.waited.get(kind, 0.0) + seconds

    @property
    def seconds_waited(self):
        """Every second this client spent waiting on Shopify."""
        return sum(self.waited.values())
