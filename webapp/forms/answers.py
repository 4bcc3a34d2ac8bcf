import re

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from webapp.models import ActivityLevel, ActivityStatus
from webapp.models.constraints import FIRST_YEAR, LAST_YEAR


class YearField(IntegerField):
    """A year typed as text. A number input sends an empty value for "2021-2023" or "1e309"
    when the form has ``novalidate``, so the server could only drop it without a word; as
    text, the server sees what was typed, refuses it at the field, and shows it back."""

    widget = TextInput()

    def __init__(self, label: str | None = None,  # type: ignore[no-untyped-def]
                 validators=None, **kwargs) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off",
                                        "class": "input-short"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        self.data = None
        text = valuelist[0].strip()
        if not text:
            return
        if re.fullmatch(r"\d{4}\s*[-–]\s*\d{4}", text):
            raise ValueError("Skriv ett år i varje fält: startåret i Startår och slutåret i "
                             "Slutår.")
        if not re.fullmatch(r"\d{4}", text) or not FIRST_YEAR <= int(text) <= LAST_YEAR:
            raise ValueError(f"Skriv ett år med fyra siffror mellan {FIRST_YEAR} och "
                             f"{LAST_YEAR}, till exempel 2021.")
        self.data = int(text)


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
    start_year = YearField("Startår", validators=[Optional()])
    end_year = YearField("Slutår", validators=[Optional()])
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
