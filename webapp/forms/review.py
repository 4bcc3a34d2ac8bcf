from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import Length


class ReviewForm(FlaskForm):
    comment = TextAreaField("Kommentar till kontaktpersonen", validators=[
        Length(max=5000, message="Högst 5000 tecken.")])
    # What the reviewer saw: if someone else acted first, nothing happens twice.
    expected_state = HiddenField()
    expected_version = HiddenField()
    approve = SubmitField("Godkänn")
    return_ = SubmitField("Returnera med kommentar")

