from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.models._types import local_today
from webapp.models.constraints import (
    FIRST_YEAR,
    LAST_YEAR,
    REMINDER_DAYS_MAX,
    ROUND_NAME_MAX,
    YEAR_MESSAGE,
    too_long,
)
from webapp.models.rounds import parse_reminder_days


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RoundForm(FlaskForm):
    name = StringField("Namn på omgången", validators=[
        DataRequired("Ge omgången ett namn."),
        Length(max=ROUND_NAME_MAX, message=too_long(ROUND_NAME_MAX))])
    year = IntegerField("År som följs upp", validators=[
        DataRequired("Fyll i ett år."),
        NumberRange(FIRST_YEAR, LAST_YEAR, YEAR_MESSAGE)])
    opens_on = DateField("Öppnas", validators=[
        DataRequired("Fyll i öppningsdagen som ÅÅÅÅ-MM-DD.")])
    deadline = DateField("Sista svarsdag", validators=[
        DataRequired("Fyll i sista svarsdag som ÅÅÅÅ-MM-DD.")])
    reminder_days = StringField("Påminnelser (dagar före sista svarsdag)", default="14, 3, -1",
                                validators=[Length(max=REMINDER_DAYS_MAX,
                                                   message=too_long(REMINDER_DAYS_MAX))])
    sub_goals = MultiCheckboxField("Delmål som ska besvaras", coerce=int, validators=[
        DataRequired("Välj minst ett delmål.")])
    organisations = MultiCheckboxField("Organisationer som ska svara", coerce=int, validators=[
        DataRequired("Välj minst en organisation.")])
    submit = SubmitField("Öppna omgången")

    def validate_deadline(self, field: DateField) -> None:
        if field.data and field.data < local_today():
            raise ValidationError("Sista svarsdag kan inte ligga i det förflutna.")
        if field.data and self.opens_on.data and field.data < self.opens_on.data:
            raise ValidationError("Sista svarsdag måste ligga efter öppningsdagen.")

    def validate_opens_on(self, field: DateField) -> None:
        if field.data and field.data < local_today():
            raise ValidationError("Öppningsdagen kan inte ligga i det förflutna.")

    def validate_reminder_days(self, field: StringField) -> None:
        try:
            parse_reminder_days(field.data or "")
        except ValueError:
            raise ValidationError("Skriv antal dagar före sista svarsdag, åtskilda med komma, "
                                  "till exempel 14, 3, -1 (-1 betyder dagen efter).") from None


class DeadlineForm(FlaskForm):
    deadline = DateField("Ny sista svarsdag", validators=[
        DataRequired("Fyll i sista svarsdag som ÅÅÅÅ-MM-DD.")])
    move = SubmitField("Flytta sista svarsdag")
