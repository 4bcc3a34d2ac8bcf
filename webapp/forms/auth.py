from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("E-postadress", validators=[
        DataRequired("Fyll i din e-postadress."), Length(max=254)])
    password = PasswordField("Lösenord", validators=[
        DataRequired("Fyll i ditt lösenord."), Length(max=200)])
    submit = SubmitField("Logga in")


class EmptyForm(FlaskForm):
    """For POST-only buttons: carries the CSRF token and nothing else."""

    submit = SubmitField("OK")


class SecondFactorForm(FlaskForm):
    code = StringField("Engångskod", validators=[
        DataRequired("Skriv koden från appen."), Length(max=32, message="Koden är för lång.")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
    submit = SubmitField("Logga in")
