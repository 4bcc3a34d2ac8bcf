"""The unit's "Personer" section: staff accounts and contacts per organisation. And, public,
choosing a password from a one-time link and "Glömt lösenordet?"."""
from __future__ import annotations

import time

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp import clock
from webapp.extensions import db, limiter
from webapp.forms.auth import EmptyForm
from webapp.forms.people import (
    ApprovalSettingForm,
    ChoosePasswordForm,
    ContactForm,
    ForgotPasswordForm,
    MainContactForm,
    MoveForm,
    RoleForm,
    StaffForm,
)
from webapp.models import Organisation, OutboxMessage, Role, TokenPurpose, User
from webapp.models.people import COLLEAGUE_INVITES_NEED_APPROVAL
from webapp.security import public, roles_required
from webapp.services import accounts, app_settings, contacts
from webapp.views.boundary import REFUSED, attempt, enqueue_after_commit

bp = Blueprint("people", __name__)


def _flash_form_errors(form) -> None:  # type: ignore[no-untyped-def]
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


# --- staff ------------------------------------------------------------------------------------

def _staff(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    if not user.role.is_staff:
        abort(404)
    return user


@bp.route("/admin/personal", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def staff():  # type: ignore[no-untyped-def]
    form = StaffForm()
    if form.validate_on_submit():
        created = attempt(lambda: accounts.create_staff(
            current_user, name=form.name.data or "", email=form.email.data or "",
            role=Role(form.role.data), title=form.title.data))
        if created is not REFUSED:
            user, message_id = created
            if message_id is not None:
                enqueue_after_commit("send_mail", message_id)
            flash(f"Kontot för {user.name} är skapat. En inbjudan med en länk för att välja "
                  f"lösenord skickas till {user.email}.", "success")
            return redirect(url_for(".staff_member", user_id=user.id))
    people = db.session.scalars(select(User).where(User.role.in_(accounts.STAFF_ROLES))
                                .order_by(User.active.desc(), User.name, User.id)).all()
    return render_template("people/staff.html", form=form, people=people), \
        422 if form.errors else 200


@bp.route("/admin/personal/<int:user_id>")
@roles_required(Role.ADMIN)
def staff_member(user_id: int):  # type: ignore[no-untyped-def]
    user = _staff(user_id)
    role_form = RoleForm(formdata=None, role=user.role.value)
    account_mail = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == user.id,
                                    OutboxMessage.round_id.is_(None))
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(5)).all()
    return render_template("people/staff_member.html", person=user, role_form=role_form,
                           account_mail=account_mail, button=EmptyForm())


@bp.route("/admin/personal/<int:user_id>/roll", methods=["POST"])
@roles_required(Role.ADMIN)
def change_role(user_id: int):  # type: ignore[no-untyped-def]
    user = _staff(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
    elif attempt(lambda: accounts.change_role(current_user, user,
                                              Role(form.role.data))) is not REFUSED:
        flash(f"{user.name} har nu rollen {user.role.label.lower()}. Den gäller från nästa "
              "inloggning.", "success")
    return redirect(url_for(".staff_member", user_id=user.id))


@bp.route("/admin/personal/<int:user_id>/tvastegsverifiering", methods=["POST"])
@roles_required(Role.ADMIN)
def reset_second_factor(user_id: int):  # type: ignore[no-untyped-def]
    user = _staff(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if attempt(lambda: accounts.reset_second_factor(current_user, user)) is not REFUSED:
        flash(f"Tvåstegsverifieringen för {user.name} är återställd och hen är utloggad. Vid "
              "nästa inloggning kopplar hen appen på nytt.", "success")
    return redirect(url_for(".staff_member", user_id=user.id))


@bp.route("/admin/personal/<int:user_id>/inbjudan", methods=["POST"])
@roles_required(Role.ADMIN)
def resend_invitation(user_id: int):  # type: ignore[no-untyped-def]
    user = _staff(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    message_id = attempt(lambda: accounts.resend_invitation(current_user, user))
    if message_id is not REFUSED:
        if message_id is not None:
            enqueue_after_commit("send_mail", message_id)
        flash(f"En ny inbjudan skickas till {user.email}. Tidigare länkar slutar fungera när "
              "den nya används.", "success")
    return redirect(url_for(".staff_member", user_id=user.id))


@bp.route("/admin/personal/<int:user_id>/<any(aktivera, inaktivera):change>",
          methods=["POST"])
@roles_required(Role.ADMIN)
def staff_active(user_id: int, change: str):  # type: ignore[no-untyped-def]
    user = _staff(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if attempt(lambda: accounts.set_active(current_user, user,
                                           change == "aktivera")) is not REFUSED:
        flash(f"{user.name} är {'aktiverad' if user.active else 'inaktiverad och utloggad'}.",
              "success")
    return redirect(url_for(".staff_member", user_id=user.id))


# --- contacts ---------------------------------------------------------------------------------

def _contact(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    if user.role is not Role.CONTACT:
        abort(404)
    return user


def _active_organisations() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).where(Organisation.active.is_(True))
                                   .order_by(Organisation.kind.desc(), Organisation.name)))


@bp.route("/admin/kontaktpersoner")
@roles_required(Role.ADMIN)
def organisations():  # type: ignore[no-untyped-def]
    overview = contacts.organisations_overview()
    missing = [o for o, active, _ in overview if active == 0]
    setting_form = ApprovalSettingForm(formdata=None, need_approval=app_settings.get_bool(
        COLLEAGUE_INVITES_NEED_APPROVAL))
    return render_template("people/organisations.html", overview=overview, missing=missing,
                           setting_form=setting_form)


@bp.route("/admin/kontaktpersoner/installning", methods=["POST"])
@roles_required(Role.ADMIN)
def approval_setting():  # type: ignore[no-untyped-def]
    form = ApprovalSettingForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
    else:
        changed = attempt(lambda: app_settings.set_bool(
            current_user, COLLEAGUE_INVITES_NEED_APPROVAL, bool(form.need_approval.data)))
        if changed is not REFUSED:
            flash(("Inbjudna kollegor måste nu godkännas av enheten." if form.need_approval.data
                   else "Inbjudna kollegor får sin länk direkt.") if changed
                  else "Inställningen är oförändrad.", "success" if changed else "info")
    return redirect(url_for(".organisations"))


@bp.route("/admin/kontaktpersoner/organisation/<int:organisation_id>",
          methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def organisation(organisation_id: int):  # type: ignore[no-untyped-def]
    org = db.get_or_404(Organisation, organisation_id)
    form = ContactForm()
    if form.validate_on_submit():
        contact = attempt(lambda: contacts.create_contact(
            current_user, org, name=form.name.data or "", email=form.email.data or "",
            title=form.title.data, phone=form.phone.data))
        if contact is not REFUSED:
            flash(f"{contact.name} är kontaktperson för {org.name}. Är en omgång öppen för "
                  f"{org.name} får hen inbjudan vid nästa utskick.", "success")
            return redirect(url_for(".organisation", organisation_id=org.id))
    people = contacts.contacts_of(org)
    main_form = MainContactForm(formdata=None, contact=org.main_contact_id)
    main_form.contact.choices = [(p.id, f"{p.name} ({p.email})") for p in people if p.active]
    return render_template("people/organisation.html", organisation=org, people=people,
                           form=form, main_form=main_form, button=EmptyForm()), \
        422 if form.errors else 200


@bp.route("/admin/kontaktpersoner/organisation/<int:organisation_id>/huvudkontakt",
          methods=["POST"])
@roles_required(Role.ADMIN)
def main_contact(organisation_id: int):  # type: ignore[no-untyped-def]
    org = db.get_or_404(Organisation, organisation_id)
    form = MainContactForm()
    form.contact.choices = [(p.id, p.name) for p in contacts.contacts_of(org) if p.active]
    if not form.validate_on_submit():
        _flash_form_errors(form)
    else:
        contact = _contact(form.contact.data)
        if attempt(lambda: contacts.set_main_contact(current_user, org, contact)) \
                is not REFUSED:
            flash(f"{contact.name} är huvudkontakt för {org.name}.", "success")
    return redirect(url_for(".organisation", organisation_id=org.id))


def _move_form(contact: User) -> MoveForm:
    form = MoveForm()
    form.source.choices = [(o.id, o.name) for o in contact.organisations]
    form.target.choices = [(o.id, o.name) for o in _active_organisations()
                           if not contact.represents(o.id)]
    return form


@bp.route("/admin/kontaktpersoner/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def contact(user_id: int):  # type: ignore[no-untyped-def]
    person = _contact(user_id)
    if person.anonymised_at is not None:
        flash("Personen är anonymiserad och kan inte ändras.", "info")
        return redirect(url_for("privacy.person", user_id=person.id))
    form = ContactForm(obj=person)  # on a POST the submitted values win
    if form.validate_on_submit():
        changed = attempt(lambda: contacts.update_contact(
            current_user, person, name=form.name.data or "", email=form.email.data or "",
            title=form.title.data, phone=form.phone.data))
        if changed is not REFUSED:
            flash("Ändringarna är sparade (" + ", ".join(changed) + ")." if changed
                  else "Inget ändrades.", "success" if changed else "info")
            return redirect(url_for(".contact", user_id=person.id))
    move_form = _move_form(person)
    move_form.process(formdata=None)
    return render_template("people/contact.html", person=person, form=form,
                           move_form=move_form, button=EmptyForm()), \
        422 if form.errors else 200


@bp.route("/admin/kontaktpersoner/<int:user_id>/flytta", methods=["POST"])
@roles_required(Role.ADMIN)
def move_contact(user_id: int):  # type: ignore[no-untyped-def]
    person = _contact(user_id)
    form = _move_form(person)
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(url_for(".contact", user_id=person.id))
    source = db.get_or_404(Organisation, form.source.data)
    target = db.get_or_404(Organisation, form.target.data)
    if attempt(lambda: contacts.move_contact(current_user, person, source, target)) \
            is not REFUSED:
        flash(f"{person.name} är flyttad från {source.name} till {target.name}.", "success")
    return redirect(url_for(".contact", user_id=person.id))


@bp.route("/admin/kontaktpersoner/<int:user_id>/<any(aktivera, inaktivera):change>",
          methods=["POST"])
@roles_required(Role.ADMIN)
def contact_active(user_id: int, change: str):  # type: ignore[no-untyped-def]
    person = _contact(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if attempt(lambda: contacts.set_active(current_user, person,
                                           change == "aktivera")) is not REFUSED:
        flash(f"{person.name} är aktiverad." if person.active else
              f"{person.name} är inaktiverad och får inga fler utskick.", "success")
    return redirect(url_for(".contact", user_id=person.id))


# --- one-time links and "Glömt lösenordet?" (public) ------------------------------------------

def _forgot_key() -> str:
    from flask import request

    return f"forgot:{request.remote_addr}"


@bp.route("/glomt-losenord", methods=["GET", "POST"])
@public
@limiter.limit("5 per minute; 30 per hour", methods=["POST"], key_func=_forgot_key)
def forgot_password():  # type: ignore[no-untyped-def]
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # Sent by the dispatcher's next run, not from here: the answer takes the same time
        # and says the same words whether the address exists or not.
        attempt(lambda: accounts.request_password_reset(form.email.data or "", clock.now()))
        flash("Om adressen hör till ett konto hos oss skickar vi en länk för att välja nytt "
              "lösenord inom några minuter. Titta även i skräpposten.", "success")
        return redirect(url_for(".forgot_password"))
    return render_template("people/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/konto/<token>", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute", methods=["POST"])
def choose_password(token: str):  # type: ignore[no-untyped-def]
    from webapp.views.auth import PENDING, PENDING_AT, PENDING_NEXT

    row = accounts.valid_token(token)
    if row is None:
        return render_template("people/link_invalid.html"), 404
    purpose, person = row.purpose, row.user
    form = ChoosePasswordForm()
    if form.validate_on_submit():
        user = attempt(lambda: accounts.use_token(token, form.password.data or ""))
        if user is not REFUSED:
            # Not signed in yet: the second factor comes first (or is set up, the first time).
            session.clear()
            session.update({PENDING: user.id, PENDING_AT: time.time(), PENDING_NEXT: None})
            flash("Lösenordet är sparat. " + (
                "Koppla nu en autentiseringsapp till kontot." if not user.totp_secret
                else "Logga in med koden från din autentiseringsapp."), "success")
            return redirect(url_for("auth.second_factor" if user.totp_secret
                                    else "auth.enrol"))
        if accounts.valid_token(token) is None:  # used meanwhile, in another tab
            return render_template("people/link_invalid.html"), 404
    return render_template("people/choose_password.html", form=form, person=person,
                           first=purpose is TokenPurpose.INVITE), 422 if form.errors else 200
