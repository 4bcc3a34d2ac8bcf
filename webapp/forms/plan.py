"""Forms for editing the plan structure. The service checks everything again (and checks
duplicates); these give each field its Swedish message before anything is tried."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from webapp.forms.rounds import MultiCheckboxField
from webapp.models.constraints import (
    ACTIVITY_AREA_NAME_MAX,
    DECIDED_BY_MAX,
    FIRST_YEAR,
    FOCUS_AREA_NAME_MAX,
    LAST_YEAR,
    MUNICIPALITY_CODE_PATTERN,
    ORGANISATION_NAME_MAX,
    PLAN_NAME_MAX,
    SUB_GOAL_DESCRIPTION_MAX,
    SUB_GOAL_TITLE_MAX,
    YEAR_MESSAGE,
    too_long,
)


def _max(length: int) -> Length:
    return Length(max=length, message=too_long(length))


def _chosen(field: SelectField) -> set[int]:
    """The real choices of a select, without its "Välj …" placeholder (value 0)."""
    return {value for value, _ in field.choices or [] if value}  # type: ignore[misc]


def _year(label: str) -> IntegerField:
    return IntegerField(label, validators=[
        Optional(), NumberRange(FIRST_YEAR, LAST_YEAR, YEAR_MESSAGE)],
        invalid_value_message="Skriv året med fyra siffror, till exempel 2023.")


class PlanForm(FlaskForm):
    name = StringField("Handlingsplanens namn", validators=[
        DataRequired("Ge handlingsplanen ett namn."), _max(PLAN_NAME_MAX)])
    period_start = _year("Gäller från och med år")
    period_end = _year("Gäller till och med år")
    decided_by = StringField("Beslutad av", validators=[_max(DECIDED_BY_MAX)])
    submit = SubmitField("Spara handlingsplanen")

    def validate_period_end(self, field: IntegerField) -> None:
        if field.data and self.period_start.data and field.data < self.period_start.data:
            raise ValidationError("Slutåret kan inte ligga före startåret.")


class AnsweredByForm(FlaskForm):
    """One per plan on the overview. The template writes the checkboxes itself, with ids
    of their own per plan: WTForms would give all four forms the same ids."""

    CHOICES = [("municipality", "Kommuner"), ("district", "Länsdelsgrupper")]
    answered_by = MultiCheckboxField("Vilka svarar på handlingsplanen?", choices=CHOICES)

    # Not DataRequired: that would mark every checkbox as required to screen readers.
    def validate_answered_by(self, field: MultiCheckboxField) -> None:
        if not field.data:
            raise ValidationError("Välj minst en av Kommuner och Länsdelsgrupper.")


class SubGoalForm(FlaskForm):
    title = StringField("Delmålets rubrik", validators=[
        DataRequired("Ge delmålet en rubrik."), _max(SUB_GOAL_TITLE_MAX)])
    description = TextAreaField("Beskrivning", validators=[_max(SUB_GOAL_DESCRIPTION_MAX)])
    submit = SubmitField("Spara delmålet")


class NewSubGoalForm(SubGoalForm):
    focus_area = SelectField("Insatsområde (kapitel i rapporten)", coerce=int,
                             validate_choice=False)
    submit = SubmitField("Lägg till delmålet")

    def validate_focus_area(self, field: SelectField) -> None:
        if field.data not in _chosen(field):
            raise ValidationError("Välj ett insatsområde.")


class FocusAreaForm(FlaskForm):
    name = StringField("Insatsområdets namn", validators=[
        DataRequired("Ge insatsområdet ett namn."), _max(FOCUS_AREA_NAME_MAX)])
    submit = SubmitField("Spara insatsområdet")


class ActivityAreaForm(FlaskForm):
    name = StringField("Aktivitetsområdets namn", validators=[
        DataRequired("Ge aktivitetsområdet ett namn."), _max(ACTIVITY_AREA_NAME_MAX)])
    submit = SubmitField("Spara aktivitetsområdet")


class DistrictForm(FlaskForm):
    name = StringField("Länsdelsgruppens namn", validators=[
        DataRequired("Ge länsdelsgruppen ett namn."), _max(ORGANISATION_NAME_MAX)])
    submit = SubmitField("Spara länsdelsgruppen")


class MunicipalityForm(FlaskForm):
    name = StringField("Kommunens namn", validators=[
        DataRequired("Ge kommunen ett namn."), _max(ORGANISATION_NAME_MAX)])
    # district_id, not district: filled from the row with obj=, it must be the id.
    district_id = SelectField("Länsdel", coerce=int, validate_choice=False)
    submit = SubmitField("Spara kommunen")

    def validate_district_id(self, field: SelectField) -> None:
        if field.data not in _chosen(field):
            raise ValidationError("Välj en länsdel.")


class NewMunicipalityForm(MunicipalityForm):
    code = StringField("Kommunkod (SCB)", validators=[
        DataRequired("Fyll i kommunkoden."),
        Regexp(f"^{MUNICIPALITY_CODE_PATTERN.pattern}$",
               message="Kommunkoden är fyra siffror, till exempel 1880.")],
        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    submit = SubmitField("Lägg till kommunen")
