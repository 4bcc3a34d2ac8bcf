"""The review state machine for one answer (one organisation × one sub-goal × one round).

Plain Python, no Flask: the single place that knows the states, the actions, who may fire
each action and in which state. Services call ``apply`` and persist the result.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass


class ReviewState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


class ReviewAction(enum.StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    REOPEN = "reopen"
    WITHDRAW = "withdraw"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


class Actor(enum.StrEnum):
    """Who fires an action; mirrors the user roles without importing the models."""

    CONTACT = "contact"
    REVIEWER = "reviewer"
    ADMIN = "admin"


STATE_LABELS = {
    ReviewState.DRAFT: "Utkast",
    ReviewState.SUBMITTED: "Inskickad",
    ReviewState.RETURNED: "Returnerad med kommentar",
    ReviewState.APPROVED: "Godkänd",
}
NOT_STARTED_LABEL = "Ej påbörjad"

ACTION_LABELS = {
    ReviewAction.EDIT: "spara",
    ReviewAction.SUBMIT: "skicka in",
    ReviewAction.APPROVE: "godkänna",
    ReviewAction.RETURN: "returnera",
    ReviewAction.REOPEN: "återöppna",
    ReviewAction.WITHDRAW: "ta tillbaka",
}

# "ett svar som …": the labels above are written for a badge, these agree with "svar" (neuter).
STATE_PREDICATES = {
    ReviewState.DRAFT: "är ett utkast",
    ReviewState.SUBMITTED: "redan är inskickat",
    ReviewState.RETURNED: "är returnerat",
    ReviewState.APPROVED: "redan är godkänt",
}

S, A = ReviewState, ReviewAction

# (state, action) -> (next state, roles that may fire it). Everything absent is refused.
TRANSITIONS: dict[tuple[ReviewState, ReviewAction], tuple[ReviewState, frozenset[Actor]]] = {
    (S.DRAFT, A.EDIT): (S.DRAFT, frozenset({Actor.CONTACT})),
    (S.DRAFT, A.SUBMIT): (S.SUBMITTED, frozenset({Actor.CONTACT})),
    (S.RETURNED, A.EDIT): (S.RETURNED, frozenset({Actor.CONTACT})),
    (S.RETURNED, A.SUBMIT): (S.SUBMITTED, frozenset({Actor.CONTACT})),
    # Before any reviewer has approved or returned it, the contact may take a submitted
    # answer back to keep writing; once a reviewer has acted the state has moved on.
    (S.SUBMITTED, A.WITHDRAW): (S.DRAFT, frozenset({Actor.CONTACT})),
    (S.SUBMITTED, A.APPROVE): (S.APPROVED, frozenset({Actor.REVIEWER, Actor.ADMIN})),
    (S.SUBMITTED, A.RETURN): (S.RETURNED, frozenset({Actor.REVIEWER, Actor.ADMIN})),
    # Taking an approved answer out of the report again is the admin's call only.
    (S.APPROVED, A.REOPEN): (S.RETURNED, frozenset({Actor.ADMIN})),
}

# Actions that need a comment saying why.
NEEDS_COMMENT = frozenset({A.RETURN, A.REOPEN})


class InvalidTransition(Exception):
    """Raised when an action is not allowed; ``message`` is Swedish, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Transition:
    from_state: ReviewState
    action: ReviewAction
    to_state: ReviewState


def apply(state: ReviewState, action: ReviewAction, actor: Actor,
          comment: str | None = None) -> Transition:
    """Return the transition for ``action`` by ``actor`` in ``state`` or raise InvalidTransition."""
    entry = TRANSITIONS.get((state, action))
    if entry is None:
        raise InvalidTransition(
            f"Det går inte att {action.label} ett svar som {STATE_PREDICATES[state]}."
        )
    to_state, roles = entry
    if actor not in roles:
        raise InvalidTransition(f"Du har inte behörighet att {action.label} det här svaret.")
    if action in NEEDS_COMMENT and not (comment and comment.strip()):
        raise InvalidTransition("Skriv en kommentar som förklarar varför.")
    return Transition(state, action, to_state)


def allowed_actions(state: ReviewState, actor: Actor) -> list[ReviewAction]:
    return [a for (s, a), (_, roles) in TRANSITIONS.items() if s == state and actor in roles]


def contact_can_edit(state: ReviewState | None) -> bool:
    return state is None or (state, A.EDIT) in TRANSITIONS
