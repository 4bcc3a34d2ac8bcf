from webapp.models._types import local_today

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RoundForm(FlaskForm):
    name = StringField("Namn på omgången", validators=[
        DataRequired("Ge omgången ett namn."), Length(max=200, message="Högst 200 tecken.")])
    year = IntegerField("År som följs upp", validators=[
        DataRequired("Fyll i ett år."),
        NumberRange(2000, 2100, "Ange ett år mellan 2000 och 2100.")])
    deadline = DateField("Sista svarsdag", validators=[
        DataRequired("Fyll i sista svarsdag som ÅÅÅÅ-MM-DD.")])
    sub_goals = MultiCheckboxField("Delmål som ska besvaras", coerce=int, validators=[
        DataRequired("Välj minst ett delmål.")])
    organisations = MultiCheckboxField("Organisationer som ska svara", coerce=int, validators=[
        DataRequired("Välj minst en organisation.")])
    submit = SubmitField("Öppna omgången")

    def validate_deadline(self, field: DateField) -> None:
        from wtforms.validators import ValidationError

        if field.data and field.data < local_today():
            raise ValidationError("Sista svarsdag kan inte ligga i det förflutna.")
