from flask_wtf import FlaskForm
from wtforms import EmailField, SubmitField
from wtforms.validators import DataRequired, Email, Length


class ContinueForm(FlaskForm):
    submit = SubmitField("Fortsätt")


class NewLinkForm(FlaskForm):
    email = EmailField("Din e-postadress", validators=[
        DataRequired("Fyll i din e-postadress."),
        Email("Skriv e-postadressen som namn@exempel.se."), Length(max=254)])
    submit = SubmitField("Skicka en ny länk")
