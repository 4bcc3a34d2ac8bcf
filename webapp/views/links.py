"""Personal links. GET only shows a page (mail scanners follow links); pressing "Fortsätt"
(a POST) signs in. After sign-in the address carries no token."""
from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, session, url_for

from webapp import clock
from webapp.extensions import limiter
from webapp.forms.links import ContinueForm, NewLinkForm
from webapp.security import public
from webapp.services import links, mail
from webapp.services.links import LinkRefused
from webapp.views.auth import finish_login

bp = Blueprint("links", __name__, url_prefix="/lank")
# The session of a link sign-in is bound to the link's round (see respond views).
LINK_ROUND = "link_round_id"


def _private(response):  # type: ignore[no-untyped-def]
    """The token is in this page's address: never cache it, never send it as a Referer.
    strict-origin, not no-referrer: the browser still sends the bare origin (no path, no
    token), which Flask-WTF's CSRF check requires of a POST over https; with no Referer at
    all, pressing "Fortsätt" behind the TLS proxy was refused (400)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "strict-origin"
    return response


@bp.route("/<token>", methods=["GET"])
@public
def open_link(token: str):  # type: ignore[no-untyped-def]
    try:
        link = links.find(token)
    except LinkRefused as refusal:
        return _private(make_response(render_template(
            "links/refused.html", message=refusal.message, form=NewLinkForm()), 404))
    return _private(make_response(render_template("links/continue.html", link=link,
                                                  form=ContinueForm())))


@bp.route("/<token>", methods=["POST"])
@public
def use_link(token: str):  # type: ignore[no-untyped-def]
    form = ContinueForm()
    if not form.validate_on_submit():
        return redirect(url_for(".open_link", token=token))
    try:
        link = links.use(token)
    except LinkRefused as refusal:
        return _private(make_response(render_template(
            "links/refused.html", message=refusal.message, form=NewLinkForm()), 404))
    finish_login(link.user, "link", link.id)
    session[LINK_ROUND] = link.round_id
    organisations = [o for o in link.user.organisations
                     if o in link.round.recipients]
    if len(organisations) == 1:
        return redirect(url_for("respond.overview", round_id=link.round_id,
                                organisation_id=organisations[0].id))
    return redirect(url_for("respond.home"))


@bp.route("/ny", methods=["GET", "POST"])
@public
@limiter.limit("5 per minute; 30 per hour", methods=["POST"])
def new_link():  # type: ignore[no-untyped-def]
    form = NewLinkForm()
    if form.validate_on_submit():
        mail.request_new_link(form.email.data or "", clock.now())
        # Sent by the dispatcher's next run; the same words whether the address exists or not.
        flash("Om adressen finns hos oss skickar vi en ny länk inom några minuter. "
              "Titta även i skräpposten.", "success")
        return redirect(url_for(".new_link"))
    return render_template("links/new.html", form=form), 422 if form.errors else 200
