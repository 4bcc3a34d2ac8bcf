"""Demo data: Region Örebro län's structure, a few users and a round with answers in every
review state, made through the same services people use (so the audit trail is real)."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ActionPlan, Organisation, Role, SubGoal, User
from webapp.models._types import local_today
from webapp.passwords import hash_password
from webapp.services import answers, plan_import, review, rounds

DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-losenord")
# The demo staff's authenticator secret, printed by seed-demo; add it to any TOTP app.
DEMO_TOTP_SECRET = "UPPFOLJNINGDEMOTOTPHEMLIGHET2345"  # noqa: S105 (demo only, printed)


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: Role
    organisations: tuple[str, ...] = ()


DEMO_USERS = (
    DemoUser("admin@example.se", "Anna Andersson", Role.ADMIN),
    DemoUser("granskare@example.se", "Gustav Granskare", Role.REVIEWER),
    DemoUser("ledamot@example.se", "Lena Ledamot", Role.READER),
    DemoUser("kumla@example.se", "Karin Kumla", Role.CONTACT, ("Kumla",)),
    DemoUser("orebro@example.se", "Olle Örebro", Role.CONTACT, ("Örebro",)),
    DemoUser("askersund@example.se", "Asta Askersund", Role.CONTACT, ("Askersund",)),
    DemoUser("hallsberg@example.se", "Hans Hallsberg", Role.CONTACT, ("Hallsberg",)),
)


def create_user(email: str, name: str, role: Role, password: str,
                organisations: list[Organisation] | None = None) -> User:
    user = User(email=email.strip().lower(), name=name, role=role,
                password_hash=hash_password(password), organisations=organisations or [])
    db.session.add(user)
    db.session.flush()
    return user


def is_seeded() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is not None


def seed() -> list[DemoUser]:
    plan_import.load_file()
    by_name = {o.name: o for o in db.session.scalars(select(Organisation))}
    users = {
        u.email: create_user(u.email, u.name, u.role, DEMO_PASSWORD,
                             [by_name[n] for n in u.organisations])
        for u in DEMO_USERS
    }
    for user in users.values():
        if user.role.is_staff:
            user.totp_secret = DEMO_TOTP_SECRET
    admin, reviewer = users["admin@example.se"], users["granskare@example.se"]
    social = db.session.scalar(select(ActionPlan).where(ActionPlan.key == "social-valfard"))
    care = db.session.scalar(select(ActionPlan).where(ActionPlan.key == "sammanhallen-vard"))
    assert social is not None and care is not None  # noqa: S101 (the import above made both)
    sub_goals: list[SubGoal] = social.sub_goals[:4] + care.sub_goals[:1]
    municipalities = [o for o in by_name.values() if o.code]
    today = local_today()
    rnd = rounds.open_round(admin, name=f"Uppföljning {today.year}", year=today.year,
                            deadline=today + dt.timedelta(days=30),
                            sub_goal_ids=[s.id for s in sub_goals],
                            organisation_ids=[o.id for o in municipalities])
    d1, d2 = sub_goals[0], sub_goals[1]

    def submission(name: str):  # type: ignore[no-untyped-def]
        return answers.get_submission(rnd.id, by_name[name].id)

    orebro = users["orebro@example.se"]
    approved = answers.save_and_submit(orebro, submission("Örebro"), d1, {
        "text": "Örebro kommun har infört brukarråd inom socialtjänsten. Brukare och "
                "närstående deltar nu i uppföljningen av Egen bedömning av behov och i "
                "utvecklingen av nya arbetssätt.",
        "status": "På god väg",
        # Long, as real answers are: the next round shows it in a scrolling region.
        "resultat": "Fyra brukarråd har träffats regelbundet under året.\n\n" + "\n\n".join(
            f"Träff {n}: rådet gick igenom {topic} och lämnade förslag som förvaltningen "
            "har svarat på skriftligt. Förslagen följs upp vid nästa träff."
            for n, topic in enumerate([
                "informationen om ekonomiskt bistånd", "väntetiderna till första samtal",
                "blanketterna för ansökan", "bemötandet i receptionen",
                "uppföljningen av placeringar", "stödet till anhöriga",
                "tillgängligheten i lokalerna", "webbplatsens texter",
                "årets brukarundersökning", "planen för nästa år"], start=1)),
        "nasta-steg": "Brukarråden utvidgas till äldreomsorgen.",
    }, None)
    review.approve(reviewer, approved, expected_state=approved.state,
                   expected_version=approved.version)
    answers.save_and_submit(
        users["kumla@example.se"], submission("Kumla"), d1,
        "Kumla kommun har utbildat personal i MI, motiverande samtal, och startat en "
        "brukarrevision inom LSS.", None)
    returned = answers.save_and_submit(
        users["askersund@example.se"], submission("Askersund"), d2,
        "Fritidsgårdarna har haft öppet fler kvällar.", None)
    review.return_for_changes(
        reviewer, returned, "Beskriv gärna vilka grupper som nåtts och hur många som deltog.",
        expected_state=returned.state, expected_version=returned.version)
    answers.save_draft(users["hallsberg@example.se"], submission("Hallsberg"), d1,
                       "Utkast: vi sammanställer årets arbete med delaktighet.", None)
    return list(DEMO_USERS)
