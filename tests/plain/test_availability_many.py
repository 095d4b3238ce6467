"""``availability.shopify_available_many``, the engine's bulk arithmetic, gives
exactly the figures of the per-figure chain ``shopify_available`` (hypothesis,
bounded)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.addons.synco_shopify.lib import availability

quantities = st.one_of(
    st.integers(min_value=-50, max_value=500).map(float),
    st.floats(min_value=-50, max_value=500, allow_nan=False).map(lambda q: round(q, 3)),
)
buffers = st.tuples(
    st.sampled_from([0.0, 5.0, 10.0, 33.3, 100.0]),
    st.sampled_from([0.0, 1.0, 2.5, 7.0]),
)


@settings(max_examples=300, deadline=None)
@given(
    rule=st.sampled_from(["sum", "max", "min"]),
    sources=st.integers(min_value=0, max_value=3),
    data=st.data(),
)
def test_many_equals_one_by_one(rule, sources, data):
    product_ids = list(range(1, 16))
    # a product may be absent from a source's column: it has 0 there
    columns = [
        data.draw(
            st.dictionaries(st.sampled_from(product_ids), quantities, max_size=15)
        )
        for _source in range(sources)
    ]
    chosen = data.draw(st.lists(buffers, min_size=15, max_size=15))
    many = availability.shopify_available_many(product_ids, columns, rule, chosen)
    for pid, (percent, units) in zip(product_ids, chosen, strict=True):
        one = availability.shopify_available(
            [column.get(pid, 0.0) for column in columns], rule, percent, units
        )
        assert many[pid] == one, (pid, rule, percent, units)


def test_many_without_buffers_and_refusals():
    columns = [{1: 10.0, 2: -3.0}, {1: 4.0}]
    assert availability.shopify_available_many([1, 2, 3], columns, "sum") == {
        1: 14,
        2: 0,
        3: 0,
    }
    assert availability.shopify_available_many([1, 2], columns, "max") == {
        1: 10,
        2: 0,
    }
    with pytest.raises(ValueError, match="aggregation"):
        availability.shopify_available_many([1], columns, "avg")
    with pytest.raises(ValueError, match="percentage"):
        availability.shopify_available_many([1], columns, "sum", [(120.0, 0.0)])
    with pytest.raises(ValueError, match="negative"):
        availability.shopify_available_many([1], columns, "sum", [(0.0, -1.0)])
