"""The effective lifecycle of a product and what the public is told about it: the one rule every service uses.

A product has its own lifecycle (NULL until it is revoked or recalled on its own) and its batch has one.
Which one applies:

1. When the product or its batch has ended (revoked or recalled), the ended state applies. When both have
   ended, RECALLED outranks REVOKED: a recall is a safety notice the holder must see even when the code
   was withdrawn first. When both ended the same way, the product's own end applies (its reason is the
   more specific one).
2. Otherwise the product's own state, when it has one, else its batch's.

The reason that goes with the effective state is the one of its source (product or batch). Lifecycle
changes carry an internal reason (staff only) and an optional public one; consumers only ever see
``public_notice``.
"""

from dataclasses import dataclass

PENDING_RELEASE, RELEASED, REVOKED, RECALLED = "PENDING_RELEASE", "RELEASED", "REVOKED", "RECALLED"
STATES = (PENDING_RELEASE, RELEASED, REVOKED, RECALLED)
ENDED = frozenset({REVOKED, RECALLED})
_SEVERITY = {REVOKED: 1, RECALLED: 2}

# Shown to consumers when a revoke or recall came without a public reason.
GENERIC_NOTICE = {
    REVOKED: "The brand has withdrawn this code.",
    RECALLED: "The brand has recalled this product.",
}


@dataclass(frozen=True)
class Effective:
    state: str
    from_product: bool  # True: the product's own state (and reasons) apply; False: its batch's


def effective(product: str | None, batch: str) -> Effective:
    """The lifecycle that applies to a product whose own state is ``product`` (None: none) in a ``batch``."""
    product_end = _SEVERITY.get(product or "", 0)
    batch_end = _SEVERITY.get(batch, 0)
    if product_end or batch_end:
        if product_end >= batch_end:
            return Effective(product, True)  # type: ignore[arg-type]
        return Effective(batch, False)
    if product is not None:
        return Effective(product, True)
    return Effective(batch, False)


def product_states_for(target: str, batch: str) -> tuple[bool, frozenset[str]]:
    """Which products of a ``batch`` have the effective state ``target``: (whether those without an own state
    do, the own states that do). Lets a query filter on the raw columns with this module's rule."""
    own = frozenset(state for state in STATES if effective(state, batch).state == target)
    return effective(None, batch).state == target, own


def public_notice(state: str, public_reason: str) -> str:
    """What a consumer is told about an effective ``state``: the public reason given with the change, or a
    generic text for an ended state; never the internal reason."""
    if state not in ENDED:
        return ""
    return public_reason or GENERIC_NOTICE[state]
