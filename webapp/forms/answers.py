from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import Length

from webapp.services.answers import MAX_ANSWER_LENGTH


class AnswerForm(FlaskForm):
    text = TextAreaField("Ditt svar", validators=[
        Length(max=MAX_ANSWER_LENGTH, message=f"Högst {MAX_ANSWER_LENGTH} tecken.")])
    # The version the writer started from: a stale save is detected, never silently applied.
    expected_version = HiddenField()
    save = SubmitField("Spara utkast")
    submit = SubmitField("Spara och skicka in")

    def expected(self) -> int | None:
        value = (self.expected_version.data or "").strip()
        return int(value) if value.isdigit() else None
