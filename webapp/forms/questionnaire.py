"""The questionnaire designer's forms."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.models import QuestionType


def _bound(form: FlaskForm, field: StringField) -> None:
    text = (field.data or "").strip().replace(",", ".")
    if not text:
        return
    try:
        float(text)
    except ValueError:
        raise ValidationError("Skriv gränsen som ett tal, till exempel 0 eller 2,5.") from None


class QuestionForm(FlaskForm):
    label = StringField("Frågan", validators=[
        DataRequired("Skriv frågan."), Length(max=300, message="Högst 300 tecken.")])
    key = StringField("Nyckel", validators=[
        DataRequired("Ge frågan en nyckel."),
        Regexp(r"^[a-z0-9][a-z0-9_-]{0,39}$",
               message="Nyckeln skrivs med små bokstäver a–z, siffror, - och _ (högst 40 "
                       "tecken).")])
    kind = SelectField("Typ", choices=[(t.value, t.label) for t in QuestionType])
    help_text = TextAreaField("Hjälptext", validators=[
        Length(max=2000, message="Högst 2 000 tecken.")])
    required = BooleanField("Frågan måste besvaras innan svaret skickas in")
    options = TextAreaField("Alternativ (ett per rad)", validators=[
        Length(max=5000, message="Högst 5 000 tecken.")])
    unit = StringField("Enhet (för tal)", validators=[Length(max=40, message="Högst 40 tecken.")])
    min_value = StringField("Lägsta tillåtna tal", validators=[Optional(), _bound])
    max_value = StringField("Högsta tillåtna tal", validators=[Optional(), _bound])
    show_if_key = SelectField("Visa bara när frågan", choices=[("", "Visa alltid")])
    show_if_value = StringField("har svaret", validators=[
        Length(max=200, message="Högst 200 tecken.")])
    # The other sub-goals the same question is added to (or, when editing, changed in: those
    # with a question under the same key). Choices are set by the view.
    also = SelectMultipleField("Samma fråga för fler delmål", coerce=int, choices=[],
                               widget=ListWidget(prefix_label=False),
                               option_widget=CheckboxInput())
    save = SubmitField("Spara frågan")

    def number(self, field: StringField) -> float | None:
        text = (field.data or "").strip().replace(",", ".")
        return float(text) if text else None


class CopyQuestionnaireForm(FlaskForm):
    source = SelectField("Kopiera frågorna från", coerce=int)
    copy = SubmitField("Kopiera formuläret")


class PreviewForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter, nothing changes

    organisation = SelectField("Förhandsvisa formuläret för", coerce=int)
