"""Over-offer exposure: the episode rule, plain Python (no server, no ORM).

The soak samples every level every second (``tests/soak/soak.py``,
``ExposureSampler``): what Shopify offers and the truth, Odoo's figure minus
the units of Shopify orders Odoo has not applied yet.  A level offering more
than the truth *over-offers*.  :class:`ExposureWatch` turns those samples
into episodes; nothing is excused (a push in flight, an order on its way, a
fault: all count):

- an episode starts at the first sample where a level offers more than the
  truth, and ends at the first later sample where it no longer does, or
  where the level is gone (absent from the offer or from the truth);
- a sample stands for the time until the next one: the excess seen at ``t``
  is held until the next sample, so one sample over in a run sampled every
  second is an episode of one second, and its *unit-seconds* are the excess
  times the seconds it was held (the area above the truth);
- an episode still running when the sampling stops ends at ``close(when)``.

``observe`` returns what happened in the sample, ``("start", episode)`` and
``("worse", episode)`` (a new highest excess), so the caller can note what
was in flight at those moments, cheaply, from the sample it already has.
"""

import math
from dataclasses import dataclass, field


@dataclass
class Episode:
    """One level above the truth from ``start`` to ``end`` (seconds)."""

    key: tuple
    start: float
    end: float = None
    unit_seconds: float = 0.0
    max_excess: int = 0
    worst_at: float = None
    samples: int = 0
    notes: dict = field(default_factory=dict)  # "start"/"worse" -> context

    @property
    def duration(self):
        return (self.end if self.end is not None else self.start) - self.start


class ExposureWatch:
    """Episodes of over-offer from samples ``(when, offered, truth)``."""

    def __init__(self):
        self.episodes = []  # closed, in the order they ended
        self.open = {}  # key -> running Episode
        self._last = {}  # key -> excess at the previous sample
        self._when = None

    def observe(self, when, offered, truth):
        """Feed one sample; return ``[(moment, episode)]``.

        :param when: the sample's time in seconds, increasing
        :param offered: {key: units Shopify offers}
        :param truth: {key: units Odoo can honour}; a key absent from
            either is not a level (gone, or never mapped): not over
        """
        if self._when is not None and when < self._when:
            raise ValueError(f"samples must come in order: {when} after {self._when}")
        for name, levels in (("offered", offered), ("truth", truth)):
            for key, units in levels.items():
                if not isinstance(units, int | float) or math.isnan(units):
                    raise ValueError(f"{name} of {key!r} is not a number: {units!r}")
        self._accrue(when)
        excess = {
            key: offered[key] - truth[key]
            for key in offered.keys() & truth.keys()
            if offered[key] > truth[key]
        }
        for key in [key for key in self.open if key not in excess]:
            self._end(key, when)
        moments = []
        for key, units in sorted(excess.items()):
            episode = self.open.get(key)
            if episode is None:
                episode = self.open[key] = Episode(key, when)
                moments.append(("start", episode))
            episode.samples += 1
            if units > episode.max_excess:
                episode.max_excess, episode.worst_at = units, when
                if episode.samples > 1:
                    moments.append(("worse", episode))
        self._last = excess
        self._when = when
        return moments

    def close(self, when):
        """The sampling stopped at ``when``: end the running episodes there."""
        if self._when is not None and when < self._when:
            raise ValueError(f"closed at {when}, before the last sample {self._when}")
        self._accrue(when)
        for key in list(self.open):
            self._end(key, when)
        self._last = {}
        self._when = when

    def _accrue(self, when):
        """The excess of the previous sample, held until ``when``."""
        if self._when is None:
            return
        held = when - self._when
        for key, units in self._last.items():
            self.open[key].unit_seconds += units * held

    def _end(self, key, when):
        episode = self.open.pop(key)
        episode.end = when
        self.episodes.append(episode)


def truth_of(figures, shopify, odoo):
    """The truth of each level: Odoo's figure minus the units of Shopify
    orders Odoo has not applied.

    :param figures: {(sku, location): Odoo's figure}
    :param shopify: {(order, location, sku): units Shopify's order holds}
        (its current quantity: 0 once cancelled)
    :param odoo: {(order, sku): units of Odoo's confirmed order}
    :return: ``(truth, unapplied)``: {key: units, never below 0} and
        {key: (orders Odoo lacks units of, units not applied)}; an edit or a
        cancellation Odoo has not applied yet gives back the units Odoo
        still reserves
    """
    pending, short = {}, {}
    for (order, location, sku), units in shopify.items():
        missing = units - odoo.get((order, sku), 0)
        key = (sku, location)
        pending[key] = pending.get(key, 0) + missing
        if missing > 0:
            short[key] = short.get(key, 0) + 1
    truth = {
        key: max(0, figure - round(pending.get(key, 0)))
        for key, figure in figures.items()
    }
    unapplied = {
        key: (short.get(key, 0), max(0, round(pending[key])))
        for key in pending.keys() | short.keys()
    }
    return truth, unapplied


def percentile(values, share):
    """Nearest rank: the smallest value with ``share`` of them at or below it."""
    values = sorted(values)
    if not values:
        return 0.0
    return values[max(0, math.ceil(share * len(values)) - 1)]


def summary_line(episodes):
    """``exposure: episodes N, unit-seconds U, p50 A s, p95 B s, max C s``."""
    durations = [episode.duration for episode in episodes]
    return (
        f"exposure: episodes {len(episodes)}, unit-seconds "
        f"{sum(e.unit_seconds for e in episodes):.0f}, p50 "
        f"{percentile(durations, 0.5):.1f} s, p95 {percentile(durations, 0.95):.1f} "
        f"s, max {max(durations, default=0.0):.1f} s"
    )


def worst(episodes, count=5):
    """The longest episodes, the larger area first among equals."""
    return sorted(episodes, key=lambda e: (-e.duration, -e.unit_seconds, e.start))[
        :count
    ]
