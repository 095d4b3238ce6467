"""The soak's exposure rule (``tests/soak/exposure.py``) without a server.

Samples every second: when a level offering more than the truth must make an
episode, how long and how large it is, and when nothing must be counted.
"""

import pytest

from tests.soak.exposure import (
    ExposureWatch,
    percentile,
    summary_line,
    truth_of,
    worst,
)

KEY = ("SOAK-01", "New Jersey")
OTHER = ("SOAK-02", "Texas")


def run(offers, truths, key=KEY, end=None):
    """Feed one level's offers and truths, a sample a second from t=0."""
    watch = ExposureWatch()
    moments = []
    for when, (offered, truth) in enumerate(zip(offers, truths, strict=True)):
        moments += watch.observe(
            float(when),
            {} if offered is None else {key: offered},
            {} if truth is None else {key: truth},
        )
    watch.close(float(len(offers) if end is None else end))
    return watch, moments


def test_one_second_over_is_an_episode():
    watch, moments = run([5, 6, 5], [5, 5, 5])
    [episode] = watch.episodes
    assert (episode.key, episode.start, episode.end) == (KEY, 1.0, 2.0)
    assert episode.duration == 1.0
    assert episode.unit_seconds == 1.0
    assert episode.max_excess == 1
    assert episode.worst_at == 1.0
    assert [moment for moment, _e in moments] == ["start"]


def test_over_back_and_over_again_are_two_episodes():
    watch, _moments = run([7, 7, 4, 6, 6, 6, 4], [4] * 7)
    first, second = watch.episodes
    assert (first.start, first.end, first.unit_seconds) == (0.0, 2.0, 6.0)
    assert (second.start, second.end, second.unit_seconds) == (3.0, 6.0, 6.0)
    assert summary_line(watch.episodes) == (
        "exposure: episodes 2, unit-seconds 12, p50 2.0 s, p95 3.0 s, max 3.0 s"
    )


def test_unit_seconds_sum_the_excess_held_until_the_next_sample():
    # excess 1, 3, 2 at t=1, 2, 3; samples late: the last one lands at t=6
    watch = ExposureWatch()
    moments = []
    for when, offered in ((0, 4), (1, 5), (2, 7), (3, 6), (6, 4)):
        moments += watch.observe(float(when), {KEY: offered}, {KEY: 4})
    [episode] = watch.episodes
    assert episode.duration == 5.0
    assert episode.unit_seconds == 1 + 3 + 2 * 3
    assert (episode.max_excess, episode.worst_at, episode.samples) == (3, 2.0, 3)
    assert [(m, e.key) for m, e in moments] == [("start", KEY), ("worse", KEY)]


def test_the_truth_falling_under_a_level_counts_as_much_as_the_level_rising():
    # an order Odoo has not applied lowers the truth; the level stays
    watch, _moments = run([10, 10, 10, 8], [10, 8, 8, 8])
    [episode] = watch.episodes
    assert (episode.start, episode.end, episode.unit_seconds) == (1.0, 3.0, 4.0)


def test_an_episode_running_at_the_end_ends_when_the_sampling_stops():
    watch, _moments = run([3, 5, 5], [3, 3, 3], end=4.5)
    [episode] = watch.episodes
    assert (episode.start, episode.end) == (1.0, 4.5)
    assert episode.unit_seconds == 2 + 2 * 2.5
    assert not watch.open


def test_levels_are_apart():
    watch = ExposureWatch()
    watch.observe(0.0, {KEY: 5, OTHER: 3}, {KEY: 4, OTHER: 1})
    watch.observe(1.0, {KEY: 4, OTHER: 3}, {KEY: 4, OTHER: 1})
    watch.close(2.0)
    by_key = {e.key: e for e in watch.episodes}
    assert by_key[KEY].duration == 1.0 and by_key[KEY].unit_seconds == 1.0
    assert by_key[OTHER].duration == 2.0 and by_key[OTHER].unit_seconds == 4.0
    assert worst(watch.episodes)[0].key == OTHER


@pytest.mark.parametrize(
    "offers, truths",
    [
        ([5, 5, 5], [5, 5, 5]),  # equal
        ([3, 0, 4], [5, 5, 5]),  # under
        ([0, 0], [0, 0]),  # sold out on both sides
        ([None, None], [0, 0]),  # no level in Shopify
        ([9, 9], [None, None]),  # a level Odoo does not map
    ],
)
def test_no_episode(offers, truths):
    watch, moments = run(offers, truths)
    assert watch.episodes == []
    assert moments == []


def test_a_level_that_disappears_ends_its_episode_and_counts_no_more():
    # over at t=0, gone from Shopify at t=1 and t=2, back in line at t=3
    watch, _moments = run([6, None, None, 4], [4, 4, 4, 4])
    [episode] = watch.episodes
    assert (episode.start, episode.end, episode.unit_seconds) == (0.0, 1.0, 2.0)
    # gone from the truth (its mapping removed) while Shopify still shows it
    watch, _moments = run([6, 6, 6], [6, None, None])
    assert watch.episodes == []


def test_bad_input_is_refused():
    watch = ExposureWatch()
    watch.observe(5.0, {KEY: 1}, {KEY: 0})
    with pytest.raises(ValueError, match="in order"):
        watch.observe(4.0, {KEY: 1}, {KEY: 0})
    with pytest.raises(ValueError, match="not a number"):
        watch.observe(6.0, {KEY: "7"}, {KEY: 0})
    with pytest.raises(ValueError, match="before the last sample"):
        watch.close(1.0)
    # refused samples left the running episode as it was
    watch.close(6.0)
    [episode] = watch.episodes
    assert (episode.duration, episode.unit_seconds) == (1.0, 1.0)


def test_summary_of_nothing_and_percentiles():
    assert summary_line([]) == (
        "exposure: episodes 0, unit-seconds 0, p50 0.0 s, p95 0.0 s, max 0.0 s"
    )
    values = list(range(1, 21))  # 1..20
    assert percentile(values, 0.5) == 10
    assert percentile(values, 0.95) == 19
    assert percentile([7], 0.95) == 7


def test_truth_is_the_figure_minus_what_odoo_has_not_applied():
    nj, tx = KEY, ("SOAK-01", "Texas")
    figures = {nj: 10, tx: 10}
    # order 1 (2 units in NJ) not imported: Odoo's 10 are 2 too many
    truth, unapplied = truth_of(figures, {("o1", "New Jersey", "SOAK-01"): 2}, {})
    assert truth == {nj: 8, tx: 10}
    assert unapplied == {nj: (1, 2)}
    # imported: its reservation is in the figure already
    truth, unapplied = truth_of(
        {nj: 8, tx: 10},
        {("o1", "New Jersey", "SOAK-01"): 2},
        {("o1", "SOAK-01"): 2},
    )
    assert truth == {nj: 8, tx: 10}
    assert unapplied == {nj: (0, 0)}
    # cancelled in Shopify, not yet in Odoo: the reserved units come back
    truth, _unapplied = truth_of(
        {nj: 8, tx: 10},
        {("o1", "New Jersey", "SOAK-01"): 0},
        {("o1", "SOAK-01"): 2},
    )
    assert truth == {nj: 10, tx: 10}
    # more not applied than Odoo has: never below zero
    truth, _unapplied = truth_of({nj: 1}, {("o2", "New Jersey", "SOAK-01"): 3}, {})
    assert truth == {nj: 0}
