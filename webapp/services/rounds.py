from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from webapp import clock
from webapp.extensions import db
from webapp.models import Organisation, Role, Round, RoundStatus, Submission, User
from webapp.models.rounds import parse_reminder_days
from webapp.services import ServiceError, audit, questionnaires


def open_round(actor: User, *, name: str, year: int, deadline: dt.date,
               sub_goal_ids: list[int], organisation_ids: list[int],
               opens_on: dt.date | None = None, reminder_days: str = "14,3,-1",
               questionnaire_from: Round | None = None) -> Round:
    """Create a round. It opens at once, or on ``opens_on``; the dispatcher then sends the
    invitations and, on the reminder days, the reminders. Its questionnaire is a new version
    copied from ``questionnaire_from``'s (or from the template), frozen when it opens."""
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan öppna en uppföljningsomgång.")
    if not sub_goal_ids:
        raise ServiceError("Välj minst ett delmål.")
    if not organisation_ids:
        raise ServiceError("Välj minst en organisation som ska svara.")
    today = clock.today()
    opens_on = opens_on or today
    if deadline < opens_on:
        raise ServiceError("Sista svarsdag måste ligga efter öppningsdagen.")
    try:
        reminder_days = ",".join(str(d) for d in parse_reminder_days(reminder_days))
    except ValueError as error:
        raise ServiceError("Påminnelserna skrivs som antal dagar före sista svarsdag, "
                           "åtskilda med komma, till exempel 14, 3, -1.") from error
    from webapp.services.plan_admin import offered_sub_goals

    # Retired plan structure is never asked about again (earlier rounds keep it).
    sub_goals = [sg for sg in offered_sub_goals() if sg.id in set(sub_goal_ids)]
    organisations = list(db.session.scalars(
        select(Organisation).where(Organisation.id.in_(organisation_ids),
                                   Organisation.active.is_(True))))
    if len(sub_goals) != len(set(sub_goal_ids)) or len(organisations) != len(set(organisation_ids)):
        raise ServiceError("Några av de valda delmålen eller organisationerna finns inte längre.")
    rnd = Round(name=name.strip(), year=year, deadline=deadline, opens_on=opens_on,
                reminder_days=reminder_days,
                status=RoundStatus.OPEN if opens_on <= today else RoundStatus.SCHEDULED,
                created_by_id=actor.id, sub_goals=sub_goals, recipients=organisations)
    db.session.add(rnd)
    db.session.flush()
    questionnaires.create_for_round(
        rnd, source=questionnaire_from.questionnaire if questionnaire_from else None)
    if rnd.status is RoundStatus.OPEN:
        questionnaires.freeze(rnd)
    for organisation in organisations:
        db.session.add(Submission(round_id=rnd.id, organisation_id=organisation.id))
    audit.record(actor, "round.open", "round", rnd.id, round_id=rnd.id,
                 to_state=rnd.status.value, comment=rnd.name)
    db.session.flush()
    return rnd


def _require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN:
        raise ServiceError("Bara administratörer kan ändra uppföljningsomgångar.")


def open_now(actor: User, rnd: Round) -> Round:
    """Open a scheduled round today instead of on its opening day. Its questionnaire is
    frozen now (what the contacts answer cannot change under them); the dispatcher sends
    the invitations on its next run, as on a scheduled opening."""
    _require_admin(actor)
    if rnd.status is not RoundStatus.SCHEDULED:
        raise ServiceError("Bara en omgång som ännu inte har öppnats kan öppnas nu.")
    rnd.status = RoundStatus.OPEN
    rnd.opens_on = min(rnd.opens_on, clock.today())
    if rnd.deadline < rnd.opens_on:  # pragma: no cover - open_round refuses such dates
        raise ServiceError("Sista svarsdag måste ligga efter öppningsdagen.")
    questionnaires.freeze(rnd)
    audit.record(actor, "round.open_now", "round", rnd.id, round_id=rnd.id, to_state="open")
    db.session.flush()
    return rnd


def close_round(actor: User, rnd: Round) -> Round:
    """No more answers; personal links stop working; reports can still be built."""
    _require_admin(actor)
    if rnd.status is RoundStatus.CLOSED:
        raise ServiceError("Omgången är redan stängd.")
    rnd.status = RoundStatus.CLOSED
    rnd.closed_at = clock.now()
    audit.record(actor, "round.close", "round", rnd.id, round_id=rnd.id, to_state="closed")
    db.session.flush()
    return rnd


def move_deadline(actor: User, rnd: Round, deadline: dt.date) -> Round:
    """The reminders are computed from the deadline, so the schedule follows by itself."""
    _require_admin(actor)
    if deadline < rnd.opens_on:
        raise ServiceError("Sista svarsdag måste ligga efter öppningsdagen.")
    old = rnd.deadline
    rnd.deadline = deadline
    audit.record(actor, "round.deadline", "round", rnd.id, round_id=rnd.id,
                 comment=f"{old.isoformat()} → {deadline.isoformat()}")
    db.session.flush()
    return rnd


def _next_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def create_next_round(actor: User, rnd: Round) -> Round:
    """Next year's round: same recipients, sub-goals, reminder plan and review assignment
    mode, with every date moved a year."""
    _require_admin(actor)
    name = rnd.name.replace(str(rnd.year), str(rnd.year + 1))
    if name == rnd.name:
        name = f"{rnd.name} {rnd.year + 1}"
    opens_on = max(_next_year(rnd.opens_on), clock.today())
    from webapp.services.plan_admin import offered_sub_goals

    offered = {sg.id for sg in offered_sub_goals()}  # what was retired is not asked again
    new = open_round(actor, name=name, year=rnd.year + 1, deadline=_next_year(rnd.deadline),
                     sub_goal_ids=[s.id for s in rnd.sub_goals if s.id in offered],
                     organisation_ids=[o.id for o in rnd.recipients if o.active],
                     opens_on=opens_on, reminder_days=rnd.reminder_days,
                     questionnaire_from=rnd)
    new.assignment_mode = rnd.assignment_mode
    db.session.flush()
    return new


DEFAULT_SECTIONS = (
    ("intro", "Pandemins påverkan", ""),
    ("intro", "Några utvecklingsområden", ""),
    ("intro", "Fyra handlingsplaner med åtta gemensamma insatsområden",
     "Under det prioriterade området Hälsofrämjande arbete och hälso- och sjukvård i den "
     "regionala utvecklingsstrategin finns fyra handlingsplaner: Social välfärd, Sammanhållen "
     "vård och omsorg, God, jämlik och jämställd hälsa samt Psykisk hälsa. För uppföljningen "
     "samlas arbetet i åtta gemensamma insatsområden, som är kapitlen i den här rapporten."),
    ("intro", "Insatser och insatsnivåer",
     "Insatserna beskrivs på tre nivåer: främjande, förebyggande och behandlande. För "
     "psykisk hälsa används nivåerna grön, gul och röd."),
)


def save_texts(actor: User, rnd: Round, *, foreword: str, signature: str,
               sections: list[tuple[str, str, str]]) -> None:
    """The unit's own texts for the round's report: (placement, title, body) in order."""
    from webapp.models import RoundSection

    _require_admin(actor)
    for placement, title, body in sections:
        if placement not in ("intro", "closing"):
            raise ServiceError("Välj var avsnittet ska stå: före eller efter kapitlen.")
        if body.strip() and not title.strip():
            raise ServiceError("Ge varje avsnitt med text en rubrik.")
    rnd.foreword = foreword.replace("\r\n", "\n").strip() or None
    rnd.foreword_signature = signature.strip() or None
    db.session.execute(RoundSection.__table__.delete().where(RoundSection.round_id == rnd.id))
    for position, (placement, title, body) in enumerate(sections):
        if title.strip():
            db.session.add(RoundSection(round_id=rnd.id, placement=placement,
                                        position=position, title=title.strip()[:200],
                                        body=body.replace("\r\n", "\n")))
    audit.record(actor, "round.texts", "round", rnd.id, round_id=rnd.id)
    db.session.flush()
