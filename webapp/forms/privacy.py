from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


class PersonSearchForm(FlaskForm):
    """A GET form: nothing changes, so no CSRF token (it would only clutter the address)."""

    class Meta:
        csrf = False

    q = StringField("Sök på namn eller e-postadress", validators=[Optional(), Length(max=200)])
    search = SubmitField("Sök")


class ExportForm(FlaskForm):
    submit = SubmitField("Ladda ner registerutdrag (JSON)")


class AnonymiseForm(FlaskForm):
    confirm = BooleanField(
        "Jag förstår att namn, e-postadress och telefonnummer tas bort för gott. "
        "Svaren finns kvar som allmänna handlingar.",
        validators=[DataRequired("Kryssa i rutan för att bekräfta anonymiseringen.")])
    submit = SubmitField("Anonymisera kontaktpersonen")
