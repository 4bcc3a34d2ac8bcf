"""The main contact's forms (invite a colleague, who answers which sub-goal) and the unit's
approval setting."""
from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from webapp.models import SubGoal, User

NOBODY = 0


class InviteColleagueForm(FlaskForm):
    name = StringField("Namn", validators=[
        DataRequired("Fyll i kollegans namn."), Length(max=200, message="Högst 200 tecken.")],
        render_kw={"autocomplete": "off"})
    email = EmailField("E-postadress", validators=[
        DataRequired("Fyll i kollegans e-postadress."),
        Email("Skriv e-postadressen som namn@exempel.se."),
        Length(max=254, message="Högst 254 tecken.")], render_kw={"autocomplete": "off"})
    title = StringField("Titel (frivilligt)", validators=[
        Length(max=200, message="Högst 200 tecken.")])
    invite = SubmitField("Bjud in kollegan")


class AssignmentsForm(FlaskForm):
    """One select per sub-goal of the round; the fields are added by ``assignments_form``."""

    save = SubmitField("Spara vem som ansvarar")

    def choices(self) -> dict[int, int | None]:
        return {int(f.name.removeprefix("delmal_")): (f.data or None)
                for f in self if f.name.startswith("delmal_")}


def assignments_form(sub_goals: Sequence[SubGoal], people: Sequence[User],
                     current: dict[int, User], **kwargs) -> AssignmentsForm:
    class Form(AssignmentsForm):
        pass

    choices = [(NOBODY, "Ingen särskild (huvudkontakten svarar)")] + [
        (u.id, u.name) for u in people]
    for sub_goal in sub_goals:
        setattr(Form, f"delmal_{sub_goal.id}", SelectField(
            sub_goal.title, choices=choices, coerce=int,
            default=current[sub_goal.id].id if sub_goal.id in current else NOBODY))
    return Form(**kwargs)


class ApprovalSettingForm(FlaskForm):
    need_approval = BooleanField("Enheten godkänner varje kollega som en huvudkontakt bjuder "
                                 "in innan kollegan får sin länk")
    save = SubmitField("Spara inställningen")
