from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget


class ReportRequestForm(FlaskForm):
    registry_number = StringField("Diarienummer (Dnr)", validators=[
        Length(max=40, message="Högst 40 tecken.")])
    submit = SubmitField("Bygg rapporten")


class ReportScopeForm(ReportRequestForm):
    focus_areas = SelectMultipleField("Bara dessa insatsområden (inget val: alla)", coerce=int,
                                      widget=ListWidget(prefix_label=False),
                                      option_widget=CheckboxInput())
    organisations = SelectMultipleField("Bara dessa organisationer (inget val: alla)",
                                        coerce=int, widget=ListWidget(prefix_label=False),
                                        option_widget=CheckboxInput())
    include_provenance = BooleanField("Ta med en bilaga om underlaget (vem som godkände vad)")


class SectionForm(Form):
    class Meta:
        # A plain Form inside FieldList gets none of FlaskForm's translations: WTForms' own
        # messages ("Not a valid choice.") would be English.
        locales = ["sv"]

    placement = SelectField("Placering", choices=[("intro", "Före kapitlen"),
                                                  ("closing", "Efter kapitlen")])
    title = StringField("Rubrik", validators=[Length(max=200, message="Högst 200 tecken.")])
    body = TextAreaField("Text", validators=[Length(max=50_000, message="Högst 50 000 tecken.")])


class RoundTextsForm(FlaskForm):
    foreword = TextAreaField("Förord", validators=[
        Length(max=20_000, message="Högst 20 000 tecken.")])
    foreword_signature = StringField("Förordet undertecknas av", validators=[
        Length(max=200, message="Högst 200 tecken.")])
    sections = FieldList(FormField(SectionForm), min_entries=6, max_entries=12)
    submit = SubmitField("Spara texterna")


class TemplateForm(FlaskForm):
    name = StringField("Namn på mallen", validators=[Length(max=200)])
    file = FileField("Word-mall (.docx)", validators=[
        FileRequired("Välj en .docx-fil."),
        FileAllowed(["docx"], "Mallen måste vara en Word-fil (.docx).")])
    submit = SubmitField("Ladda upp och använd")


def report_scope_form(rnd) -> ReportScopeForm:  # type: ignore[no-untyped-def]
    """The report request form with the round's focus areas and organisations to choose from."""
    form = ReportScopeForm()
    focus_areas = {sg.focus_area.id: sg.focus_area for sg in rnd.sub_goals}
    form.focus_areas.choices = [(fa.id, fa.name) for fa in sorted(
        focus_areas.values(), key=lambda fa: fa.position)]
    form.organisations.choices = [(o.id, o.name) for o in rnd.recipients]
    return form
