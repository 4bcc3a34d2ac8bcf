"""The review state machine, checked against the business rules written out by hand.

The expectations below are an independent table of the rules, not read from
``review.TRANSITIONS``, so a wrong entry in the state machine makes these tests fail:

* a contact may EDIT in draft or returned (state unchanged) and SUBMIT from draft or
  returned (-> submitted);
* a reviewer or an admin may APPROVE a submitted answer (-> approved) or RETURN it
  (-> returned, needs a non-blank comment);
* only an admin may REOPEN an approved answer (-> returned, needs a comment);
* a contact may WITHDRAW a submitted answer no reviewer has acted on (-> draft, no comment);
* everything else is refused, with a Swedish message for the user.
"""
from __future__ import annotations

import itertools
import re

import pytest

from webapp.workflows.review import (
    NOT_STARTED_LABEL,
    Actor,
    InvalidTransition,
    ReviewAction,
    ReviewState,
    Transition,
    allowed_actions,
    apply,
    contact_can_edit,
)

DRAFT, SUBMITTED, RETURNED, APPROVED = (
    ReviewState.DRAFT, ReviewState.SUBMITTED, ReviewState.RETURNED, ReviewState.APPROVED)
EDIT, SUBMIT, APPROVE, RETURN, REOPEN, WITHDRAW = (
    ReviewAction.EDIT, ReviewAction.SUBMIT, ReviewAction.APPROVE, ReviewAction.RETURN,
    ReviewAction.REOPEN, ReviewAction.WITHDRAW)
CONTACT, REVIEWER, ADMIN = Actor.CONTACT, Actor.REVIEWER, Actor.ADMIN

# (state, action, actor) -> resulting state. Every combination not listed is refused.
ALLOWED: dict[tuple[ReviewState, ReviewAction, Actor], ReviewState] = {
    (DRAFT, EDIT, CONTACT): DRAFT,
    (RETURNED, EDIT, CONTACT): RETURNED,
    (DRAFT, SUBMIT, CONTACT): SUBMITTED,
    (RETURNED, SUBMIT, CONTACT): SUBMITTED,
    (SUBMITTED, APPROVE, REVIEWER): APPROVED,
    (SUBMITTED, APPROVE, ADMIN): APPROVED,
    (SUBMITTED, RETURN, REVIEWER): RETURNED,
    (SUBMITTED, RETURN, ADMIN): RETURNED,
    (APPROVED, REOPEN, ADMIN): RETURNED,
    (SUBMITTED, WITHDRAW, CONTACT): DRAFT,
}

NEEDS_COMMENT = {RETURN, REOPEN}
A_COMMENT = "Siffrorna för 2023 saknas, komplettera gärna."

ALL_CASES = list(itertools.product(ReviewState, ReviewAction, Actor))
assert len(ALL_CASES) == 4 * 6 * 3


def _case_id(state: ReviewState, action: ReviewAction, actor: Actor) -> str:
    return f"{actor.value}-{action.value}-in-{state.value}"


def _refusal_reason(state: ReviewState, action: ReviewAction) -> str:
    """'role' when someone else may do this in this state, 'state' when nobody may."""
    if any((state, action, who) in ALLOWED for who in Actor):
        return "role"
    return "state"


SWEDISH_LETTERS = set("åäöÅÄÖ")
SWEDISH_WORDS = {"inte", "går", "du", "det", "att", "har", "som", "svar", "svaret", "kan"}
ENGLISH_WORDS = {"not", "allowed", "invalid", "cannot", "can't", "permission", "state",
                 "transition", "action", "error", "the", "you", "comment", "required"}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w']+", text.lower()))


def assert_swedish_message(message: str) -> None:
    assert isinstance(message, str) and message.strip(), "message is empty"
    assert SWEDISH_LETTERS & set(message) or SWEDISH_WORDS & _words(message), (
        f"message does not look Swedish: {message!r}")
    assert "not allowed" not in message.lower()
    assert "invalid" not in message.lower()
    english = ENGLISH_WORDS & _words(message)
    assert not english, f"English words {english} in message {message!r}"


# --------------------------------------------------------------------------- apply()

@pytest.mark.parametrize(
    ("state", "action", "actor"), ALL_CASES, ids=[_case_id(*c) for c in ALL_CASES])
def test_apply_every_combination(state: ReviewState, action: ReviewAction, actor: Actor) -> None:
    # Give a comment to every call: a refusal here must come from the role or state rule,
    # never from a missing comment.
    key = (state, action, actor)
    if key in ALLOWED:
        result = apply(state, action, actor, comment=A_COMMENT)
        assert isinstance(result, Transition)
        assert result.from_state == state
        assert result.action == action
        assert result.to_state == ALLOWED[key]
        return

    with pytest.raises(InvalidTransition) as excinfo:
        apply(state, action, actor, comment=A_COMMENT)
    message = excinfo.value.message
    assert_swedish_message(message)
    assert str(excinfo.value) == message
    if _refusal_reason(state, action) == "role":
        assert "behörighet" in message.lower(), message
    else:
        assert "behörighet" not in message.lower(), message
        assert "går inte" in message.lower(), message
        # The message names the state in Swedish that agrees with "ett svar" (neuter).
        assert STATE_WORD[state] in message.lower(), message


STATE_WORD = {
    ReviewState.DRAFT: "utkast",
    ReviewState.SUBMITTED: "inskickat",
    ReviewState.RETURNED: "returnerat",
    ReviewState.APPROVED: "godkänt",
}

ALLOWED_WITHOUT_COMMENT = [k for k in ALLOWED if k[1] not in NEEDS_COMMENT]


@pytest.mark.parametrize(
    ("state", "action", "actor"), ALLOWED_WITHOUT_COMMENT,
    ids=[_case_id(*c) for c in ALLOWED_WITHOUT_COMMENT])
def test_actions_without_comment_rule_need_no_comment(
        state: ReviewState, action: ReviewAction, actor: Actor) -> None:
    assert apply(state, action, actor).to_state == ALLOWED[(state, action, actor)]


COMMENTED = [k for k in ALLOWED if k[1] in NEEDS_COMMENT]
BLANK_COMMENTS = {"none": None, "empty": "", "spaces": "   ", "whitespace": " \t\n "}


@pytest.mark.parametrize("blank", list(BLANK_COMMENTS.values()), ids=list(BLANK_COMMENTS))
@pytest.mark.parametrize(
    ("state", "action", "actor"), COMMENTED, ids=[_case_id(*c) for c in COMMENTED])
def test_return_and_reopen_need_a_real_comment(
        state: ReviewState, action: ReviewAction, actor: Actor, blank: str | None) -> None:
    with pytest.raises(InvalidTransition) as excinfo:
        apply(state, action, actor, comment=blank)
    message = excinfo.value.message
    assert_swedish_message(message)
    assert "kommentar" in message.lower(), message
    assert "behörighet" not in message.lower(), message


def test_commented_actions_cover_return_and_reopen() -> None:
    assert {k[1] for k in COMMENTED} == {RETURN, REOPEN}


def test_missing_comment_when_omitted_entirely() -> None:
    with pytest.raises(InvalidTransition, match="kommentar"):
        apply(SUBMITTED, RETURN, REVIEWER)
    with pytest.raises(InvalidTransition, match="kommentar"):
        apply(APPROVED, REOPEN, ADMIN)


def test_wrong_role_message_differs_from_wrong_state_message() -> None:
    with pytest.raises(InvalidTransition) as wrong_role:
        apply(SUBMITTED, APPROVE, CONTACT)
    with pytest.raises(InvalidTransition) as wrong_state:
        apply(DRAFT, APPROVE, REVIEWER)
    role_msg, state_msg = wrong_role.value.message, wrong_state.value.message
    assert role_msg != state_msg
    assert "behörighet" in role_msg.lower()
    assert "utkast" in state_msg.lower()
    assert "behörighet" not in state_msg.lower()


def test_reviewer_reopening_approved_answer_is_a_permission_refusal() -> None:
    with pytest.raises(InvalidTransition) as excinfo:
        apply(APPROVED, REOPEN, REVIEWER, comment=A_COMMENT)
    assert "behörighet" in excinfo.value.message.lower()


# -------------------------------------------------------------------- allowed_actions()

STATE_ACTOR_CASES = list(itertools.product(ReviewState, Actor))


@pytest.mark.parametrize(
    ("state", "actor"), STATE_ACTOR_CASES,
    ids=[f"{actor.value}-in-{state.value}" for state, actor in STATE_ACTOR_CASES])
def test_allowed_actions_match_the_rules(state: ReviewState, actor: Actor) -> None:
    expected = {a for (s, a, who) in ALLOWED if s == state and who == actor}
    actual = allowed_actions(state, actor)
    assert len(actual) == len(set(actual)), f"duplicates in {actual}"
    assert set(actual) == expected


def test_allowed_actions_spot_checks() -> None:
    assert set(allowed_actions(DRAFT, CONTACT)) == {EDIT, SUBMIT}
    assert set(allowed_actions(SUBMITTED, REVIEWER)) == {APPROVE, RETURN}
    assert set(allowed_actions(APPROVED, ADMIN)) == {REOPEN}
    assert allowed_actions(APPROVED, REVIEWER) == []
    assert allowed_actions(SUBMITTED, CONTACT) == [WITHDRAW]
    assert allowed_actions(APPROVED, CONTACT) == []
    assert allowed_actions(RETURNED, CONTACT) == [EDIT, SUBMIT]


def test_withdrawing_is_refused_once_a_reviewer_has_acted() -> None:
    for state, word in ((APPROVED, "godkänt"), (RETURNED, "returnerat"), (DRAFT, "utkast")):
        with pytest.raises(InvalidTransition) as excinfo:
            apply(state, WITHDRAW, CONTACT)
        assert "Det går inte att ta tillbaka ett svar som" in excinfo.value.message
        assert word in excinfo.value.message
    with pytest.raises(InvalidTransition, match="behörighet att ta tillbaka"):
        apply(SUBMITTED, WITHDRAW, REVIEWER)


# -------------------------------------------------------------------- contact_can_edit()

@pytest.mark.parametrize(
    ("state", "expected"),
    [(None, True), (DRAFT, True), (RETURNED, True), (SUBMITTED, False), (APPROVED, False)],
    ids=["not-started", "draft", "returned", "submitted", "approved"])
def test_contact_can_edit(state: ReviewState | None, expected: bool) -> None:
    assert contact_can_edit(state) is expected


# ------------------------------------------------------------------------------ labels

@pytest.mark.parametrize("state", list(ReviewState), ids=[s.value for s in ReviewState])
def test_every_state_has_a_swedish_label(state: ReviewState) -> None:
    label = state.label
    assert isinstance(label, str) and label.strip()
    assert label.lower() != state.value.lower(), "label is the untranslated enum value"
    assert not ENGLISH_WORDS & _words(label)


def test_state_labels_are_distinct() -> None:
    labels = [s.label for s in ReviewState]
    assert len(set(labels)) == len(labels)
    assert NOT_STARTED_LABEL not in labels
    assert NOT_STARTED_LABEL.strip()


def test_expected_state_labels() -> None:
    assert DRAFT.label == "Utkast"
    assert SUBMITTED.label == "Inskickad"
    assert APPROVED.label == "Godkänd"
    assert "returnerad" in RETURNED.label.lower()


@pytest.mark.parametrize("action", list(ReviewAction), ids=[a.value for a in ReviewAction])
def test_every_action_has_a_swedish_label(action: ReviewAction) -> None:
    assert action.label.strip()
    assert action.label.lower() != action.value.lower()
