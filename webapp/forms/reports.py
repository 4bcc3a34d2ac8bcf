from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import Length


class ReportRequestForm(FlaskForm):
    registry_number = StringField("Diarienummer (Dnr)", validators=[
        Length(max=40, message="Högst 40 tecken.")])
    submit = SubmitField("Bygg rapporten")
