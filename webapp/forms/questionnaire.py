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
from webapp.models.constraints import (
    MIN_CHOICE_OPTIONS,
    OPTION_MAX,
    QUESTION_HELP_MAX,
    QUESTION_KEY_MAX,
    QUESTION_KEY_PATTERN,
    QUESTION_LABEL_MAX,
    QUESTION_UNIT_MAX,
    SHOW_IF_VALUE_MAX,
    too_long,
)


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
        DataRequired("Skriv frågan."),
        Length(max=QUESTION_LABEL_MAX, message=too_long(QUESTION_LABEL_MAX))])
    key = StringField("Nyckel", validators=[
        DataRequired("Ge frågan en nyckel."),
        Regexp(f"^{QUESTION_KEY_PATTERN.pattern}$",
               message="Nyckeln skrivs med små bokstäver a–z, siffror, - och _ (högst "
                       f"{QUESTION_KEY_MAX} tecken).")])
    kind = SelectField("Typ", choices=[(t.value, t.label) for t in QuestionType])
    help_text = TextAreaField("Hjälptext", validators=[
        Length(max=QUESTION_HELP_MAX, message=too_long(QUESTION_HELP_MAX))])
    required = BooleanField("Frågan måste besvaras innan svaret skickas in")
    # The whole list; the service checks each option against OPTION_MAX.
    options = TextAreaField("Alternativ (ett per rad)", description=(
        f"Bara för Ett val och Flera val: minst {MIN_CHOICE_OPTIONS} alternativ."), validators=[
        Length(max=25 * OPTION_MAX, message=too_long(25 * OPTION_MAX))])
    unit = StringField("Enhet (för tal)", validators=[
        Length(max=QUESTION_UNIT_MAX, message=too_long(QUESTION_UNIT_MAX))])
    min_value = StringField("Lägsta tillåtna tal", validators=[Optional(), _bound])
    max_value = StringField("Högsta tillåtna tal", validators=[Optional(), _bound])
    show_if_key = SelectField("Visa bara när frågan", choices=[("", "Visa alltid")])
    show_if_value = StringField("har svaret", validators=[
        Length(max=SHOW_IF_VALUE_MAX, message=too_long(SHOW_IF_VALUE_MAX))])
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
