"""Forms of the unit's "Personer" section, and of choosing a password from a one-time link."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from webapp.models import Role
from webapp.services.accounts import PASSWORD_MAX, PASSWORD_MIN

STAFF_ROLE_CHOICES = [(r.value, r.label) for r in (Role.ADMIN, Role.REVIEWER, Role.READER)]
# Loose on purpose (see services/contacts.EMAIL); the message is what matters.
EMAIL_PATTERN = r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$"


def _email_field(label: str = "E-postadress") -> EmailField:
    return EmailField(label, validators=[
        DataRequired("Fyll i e-postadressen."),
        Length(max=254, message="E-postadressen får ha högst 254 tecken."),
        Regexp(EMAIL_PATTERN, message="Skriv en e-postadress som namn@exempel.se.")])


def _name_field() -> StringField:
    return StringField("Namn", validators=[
        DataRequired("Fyll i namnet."), Length(max=200, message="Namnet får ha högst 200 tecken.")])


def _title_field() -> StringField:
    return StringField("Titel (frivillig)", validators=[
        Optional(), Length(max=200, message="Titeln får ha högst 200 tecken.")])


class StaffForm(FlaskForm):
    name = _name_field()
    email = _email_field()
    title = _title_field()
    role = SelectField("Roll", choices=STAFF_ROLE_CHOICES, default=Role.REVIEWER.value,
                       validators=[DataRequired("Välj en roll.")])
    submit = SubmitField("Skapa kontot och skicka inbjudan")


class RoleForm(FlaskForm):
    role = SelectField("Roll", choices=STAFF_ROLE_CHOICES,
                       validators=[DataRequired("Välj en roll.")])
    save_role = SubmitField("Byt roll")


class ContactForm(FlaskForm):
    name = _name_field()
    email = _email_field()
    title = _title_field()
    phone = StringField("Telefon (frivilligt)", validators=[
        Optional(), Length(max=40, message="Telefonnumret får ha högst 40 tecken."),
        Regexp(r"^[0-9 +()\-–]*$",
               message="Telefonnumret får bara innehålla siffror, mellanslag, +, - och ().")])
    submit = SubmitField("Spara kontaktpersonen")


class MoveForm(FlaskForm):
    source = SelectField("Från organisation", coerce=int,
                         validators=[DataRequired("Välj organisationen personen lämnar.")])
    target = SelectField("Till organisation", coerce=int,
                         validators=[DataRequired("Välj organisationen personen flyttar till.")])
    move = SubmitField("Flytta")


class MainContactForm(FlaskForm):
    contact = SelectField("Huvudkontakt", coerce=int,
                          validators=[DataRequired("Välj en kontaktperson.")])
    save_main = SubmitField("Gör till huvudkontakt")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("E-postadress", validators=[
        DataRequired("Fyll i din e-postadress."),
        Length(max=254, message="E-postadressen får ha högst 254 tecken.")])
    submit = SubmitField("Skicka länk")


class ChoosePasswordForm(FlaskForm):
    password = PasswordField("Nytt lösenord", validators=[
        DataRequired("Fyll i ett lösenord."),
        Length(min=PASSWORD_MIN, max=PASSWORD_MAX,
               message=f"Lösenordet ska ha minst {PASSWORD_MIN} och högst {PASSWORD_MAX} tecken.")],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Samma lösenord igen", validators=[
        DataRequired("Skriv lösenordet en gång till."),
        EqualTo("password", message="Lösenorden är inte likadana.")],
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Spara lösenordet")


class ApprovalSettingForm(FlaskForm):
    need_approval = BooleanField("Kollegor som en huvudkontakt bjuder in måste godkännas av "
                                 "enheten innan de får någon länk")
    save_setting = SubmitField("Spara inställningen")
