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


MIN_PASSWORD_LENGTH = 12  # as create-admin and the admin's account pages ask


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Nuvarande lösenord", validators=[
        DataRequired("Fyll i ditt nuvarande lösenord."), Length(max=200)],
        render_kw={"autocomplete": "current-password"})
    new = PasswordField("Nytt lösenord", validators=[
        DataRequired("Fyll i ett nytt lösenord."),
        Length(min=MIN_PASSWORD_LENGTH, max=200,
               message=f"Det nya lösenordet ska vara {MIN_PASSWORD_LENGTH}–200 tecken.")],
        render_kw={"autocomplete": "new-password"})
    repeat = PasswordField("Nytt lösenord igen", validators=[
        DataRequired("Skriv det nya lösenordet en gång till.")],
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Byt lösenord")

    def validate_repeat(self, field: PasswordField) -> None:
        from wtforms.validators import ValidationError

        if field.data != self.new.data:
            raise ValidationError("Lösenorden är inte lika. Skriv samma nya lösenord två gånger.")
