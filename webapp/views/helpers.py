from __future__ import annotations

import datetime as dt

from flask import Flask
from flask_babel import format_date, format_datetime

from webapp.views.boundary import REFUSED, Refused, attempt, enqueue_after_commit  # noqa: F401
from webapp.workflows.review import NOT_STARTED_LABEL, ReviewState

AUDIT_LABELS = {
    "answer.submit": "skickade in svaret",
    "answer.approve": "godkände svaret",
    "answer.return": "returnerade svaret",
    "answer.reopen": "öppnade svaret igen",
    "answer.withdraw": "tog tillbaka svaret för att ändra det",
    "answer.reassign": "bytte granskare",
    "round.open": "öppnade omgången",
    "round.assignment_mode": "ändrade hur granskningen fördelas",
    "review.assignments": "ändrade fördelningen av granskningen",
    "audit.export": "exporterade loggen",
    "round.close": "stängde omgången",
    "round.deadline": "flyttade sista svarsdag",
    "round.opened_on_schedule": "omgången öppnades enligt schemat",
    "link.use": "loggade in med personlig länk",
    "link.revoke": "spärrade personliga länkar",
    "mail.resend": "skickade om e-post",
    "person.export": "tog ut ett registerutdrag",
    "person.anonymise": "anonymiserade en kontaktperson",
    "privacy.retention": "gallrade länkar och inloggningar",
    "user.disable": "inaktiverade ett konto",
    "user.password_change": "bytte sitt lösenord",
    "colleague.invite": "bjöd in en kollega",
    "colleague.approve": "godkände en inbjuden kollega",
    "colleague.refuse": "avslog en inbjuden kollega",
    "subgoal.assign": "ändrade vem som ansvarar för ett delmål",
    "setting.colleague_approval": "ändrade om inbjudna kollegor ska godkännas",
    "user.enable": "aktiverade ett konto",
    "access.denied": "nekades åtkomst",
    "activity.save": "sparade en aktivitet",
    "round.texts": "skrev rapporttexterna",
    "report.template_upload": "laddade upp en rapportmall",
    "export.xlsx": "exporterade godkända svar (Excel)",
    "export.csv": "exporterade godkända svar (CSV)",
    "activity.remove": "tog bort en aktivitet ur omgången",
    "report.request": "beställde rapporten",
    "report.download": "laddade ner rapporten",
    "questionnaire.add": "lade till en fråga",
    "questionnaire.update": "ändrade en fråga",
    "questionnaire.move": "flyttade en fråga",
    "questionnaire.remove": "tog bort en fråga",
    "questionnaire.copy": "kopierade frågeformuläret",
    "plan.import": "läste in planfilen",
    "plan.export": "laddade ner planfilen",
    "user.create": "skapade ett konto för personal",
    "user.role": "bytte roll på ett konto",
    "user.reset_second_factor": "återställde tvåstegsverifieringen",
    "user.invite_resend": "skickade en ny inbjudan till personal",
    "user.password_set": "valde lösenord med inbjudningslänken",
    "user.password_reset": "valde nytt lösenord med återställningslänken",
    "user.password_reset_requested": "en länk för nytt lösenord begärdes",
    "contact.create": "lade till en kontaktperson",
    "contact.update": "ändrade en kontaktperson",
    "contact.move": "flyttade en kontaktperson till en annan organisation",
    "contact.main": "valde huvudkontakt för en organisation",
    "contact.import": "läste in kontaktpersoner från fil",
    "contact.export": "laddade ner kontaktpersonerna",
    "setting.change": "ändrade en inställning",
}


def register(app: Flask) -> None:
    @app.template_filter("statelabel")
    def statelabel(value: str | None) -> str:
        try:
            return ReviewState(value).label if value else ""
        except ValueError:
            return value or ""

    @app.template_filter("handelse")
    def handelse(action: str) -> str:
        return AUDIT_LABELS.get(action, action)

    @app.template_filter("datum")
    def datum(value: dt.date | dt.datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            return format_datetime(value, "yyyy-MM-dd 'kl.' HH:mm")
        return format_date(value, "yyyy-MM-dd")

    # A global, not a context processor: imported macros see globals only.
    app.jinja_env.globals["NOT_STARTED_LABEL"] = NOT_STARTED_LABEL
    from webapp.services.questionnaires import display_value, format_number, text_limit

    app.jinja_env.globals["display_value"] = display_value
    app.jinja_env.globals["text_limit"] = text_limit
    app.jinja_env.globals["format_number"] = format_number
