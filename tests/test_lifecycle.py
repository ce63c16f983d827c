"""The one effective-lifecycle rule (voketag.lifecycle), for every combination of product and batch state."""

import itertools

import pytest

from voketag import lifecycle
from voketag.lifecycle import PENDING_RELEASE, RECALLED, RELEASED, REVOKED, STATES

# (product's own state or None, batch state) -> (effective state, taken from the product). Written out in full
# so that a change of the rule has to change this table.
EXPECTED = {
    (None, PENDING_RELEASE): (PENDING_RELEASE, False),
    (None, RELEASED): (RELEASED, False),
    (None, REVOKED): (REVOKED, False),
    (None, RECALLED): (RECALLED, False),
    (PENDING_RELEASE, PENDING_RELEASE): (PENDING_RELEASE, True),
    (PENDING_RELEASE, RELEASED): (PENDING_RELEASE, True),
    (PENDING_RELEASE, REVOKED): (REVOKED, False),
    (PENDING_RELEASE, RECALLED): (RECALLED, False),
    (RELEASED, PENDING_RELEASE): (RELEASED, True),
    (RELEASED, RELEASED): (RELEASED, True),
    (RELEASED, REVOKED): (REVOKED, False),
    (RELEASED, RECALLED): (RECALLED, False),
    # An ended product stays ended; a recall outranks a revocation whichever came first.
    (REVOKED, PENDING_RELEASE): (REVOKED, True),
    (REVOKED, RELEASED): (REVOKED, True),
    (REVOKED, REVOKED): (REVOKED, True),
    (REVOKED, RECALLED): (RECALLED, False),
    (RECALLED, PENDING_RELEASE): (RECALLED, True),
    (RECALLED, RELEASED): (RECALLED, True),
    (RECALLED, REVOKED): (RECALLED, True),
    (RECALLED, RECALLED): (RECALLED, True),
}


def test_the_table_covers_every_combination() -> None:
    assert set(EXPECTED) == set(itertools.product([None, *STATES], STATES))


@pytest.mark.parametrize(("product", "batch"), sorted(EXPECTED, key=str))
def test_effective_lifecycle(product: str | None, batch: str) -> None:
    state, from_product = EXPECTED[(product, batch)]
    assert lifecycle.effective(product, batch) == lifecycle.Effective(state, from_product)


@pytest.mark.parametrize("batch", STATES)
@pytest.mark.parametrize("target", STATES)
def test_query_filter_selects_exactly_the_products_with_that_effective_state(target: str, batch: str) -> None:
    without_own, own_states = lifecycle.product_states_for(target, batch)
    assert without_own == (lifecycle.effective(None, batch).state == target)
    assert own_states == {state for state in STATES if lifecycle.effective(state, batch).state == target}


def test_public_notice_never_needs_the_internal_reason() -> None:
    assert lifecycle.public_notice(RECALLED, "Return it to the shop for a refund.") == (
        "Return it to the shop for a refund."
    )
    assert lifecycle.public_notice(RECALLED, "") == "The brand has recalled this product."
    assert lifecycle.public_notice(REVOKED, "") == "The brand has withdrawn this code."
    assert lifecycle.public_notice(RELEASED, "left over") == ""
    assert lifecycle.public_notice(PENDING_RELEASE, "") == ""
