from flask_wtf import FlaskForm
from wtforms import (HiddenField, IntegerField, SelectField, SelectMultipleField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.models import ActivityLevel, ActivityStatus



class AnswerForm(FlaskForm):
    """The answer form's own fields; the questions are data (services.questionnaires.parse).
    """
    # The version the writer started from: a stale save is detected, never silently applied.
    expected_version = HiddenField()
    save = SubmitField("Spara utkast")
    submit = SubmitField("Spara och skicka in")

    def expected(self) -> int | None:
        value = (self.expected_version.data or "").strip()
        # isascii too: "²".isdigit() is true, but int("²") raises.
        return int(value) if value.isascii() and value.isdigit() else None


class WithdrawForm(FlaskForm):
    """Take a submitted answer back to a draft; carries the version the contact saw."""

    expected_version = HiddenField()
    withdraw = SubmitField("Ta tillbaka svaret och ändra")

    def expected(self) -> int | None:
        value = (self.expected_version.data or "").strip()
        return int(value) if value.isascii() and value.isdigit() else None


class ActivityForm(FlaskForm):
    name = StringField("Aktivitetens namn", validators=[
        DataRequired("Ge aktiviteten ett namn."), Length(max=300, message="Högst 300 tecken.")])
    description = TextAreaField("Beskrivning: vad har gjorts och med vilket resultat?",
                                validators=[Length(max=20_000, message="Högst 20 000 tecken.")])
    status = SelectField("Status", choices=[(s.value, s.label) for s in ActivityStatus],
                         validate_choice=True)
    start_year = IntegerField("Startår", validators=[
        Optional(), NumberRange(1990, 2100, "Ange ett år mellan 1990 och 2100.")])
    end_year = IntegerField("Slutår", validators=[
        Optional(), NumberRange(1990, 2100, "Ange ett år mellan 1990 och 2100.")])
    responsible_unit = StringField("Enhet (vem driver aktiviteten)", validators=[
        Length(max=200, message="Högst 200 tecken.")])
    level = SelectField("Insatsnivå", choices=[("", "Ingen angiven")] + [
        (lv.value, lv.label) for lv in ActivityLevel])
    activity_area = SelectField("Aktivitetsområde", choices=[("", "Inget aktivitetsområde")],
                                default="")
    sub_goals = SelectMultipleField("Delmål som aktiviteten bidrar till", coerce=int,
                                    validators=[DataRequired("Välj minst ett delmål.")],
                                    widget=ListWidget(prefix_label=False),
                                    option_widget=CheckboxInput())
    submit = SubmitField("Spara aktiviteten")

    def validate_end_year(self, field: IntegerField) -> None:
        if field.data and self.start_year.data and field.data < self.start_year.data:
            raise ValidationError("Slutåret kan inte ligga före startåret.")
