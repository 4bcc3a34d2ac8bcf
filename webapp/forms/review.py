from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class ReviewForm(FlaskForm):
    comment = TextAreaField("Kommentar till kontaktpersonen", validators=[
        Length(max=5000, message="Högst 5000 tecken.")])
    # What the reviewer saw: if someone else acted first, nothing happens twice.
    expected_state = HiddenField()
    expected_version = HiddenField()
    expected_activities = HiddenField()  # fingerprint of the activities shown
    approve = SubmitField("Godkänn")
    return_ = SubmitField("Returnera med kommentar")


class ReopenForm(FlaskForm):
    reason = TextAreaField("Skäl till att öppna svaret igen", validators=[
        DataRequired("Skriv varför svaret öppnas igen."),
        Length(max=5000, message="Högst 5000 tecken.")])
    expected_state = HiddenField()
    expected_version = HiddenField()
    reopen = SubmitField("Öppna svaret igen")


class ReassignForm(FlaskForm):
    reviewer = SelectField("Granskare för det här svaret", coerce=int)
    reassign = SubmitField("Byt granskare")


class BulkApproveForm(FlaskForm):
    # Values are "answer id:version seen", so a changed answer is not approved unseen.
    selected = SelectMultipleField("Markerade svar", validate_choice=False)
    bulk_approve = SubmitField("Godkänn markerade svar")

    def selection(self) -> list[tuple[int, int]]:
        pairs = []
        for value in self.selected.data or []:
            answer_id, _, version = value.partition(":")
            # isascii too: "²".isdigit() is true, but int("²") raises.
            if (answer_id + version).isascii() and answer_id.isdigit() and version.isdigit():
                pairs.append((int(answer_id), int(version)))
        return pairs


class OverviewFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that only filters what is shown

    district = SelectField("Länsdel", coerce=int, default=0)
    focus_area = SelectField("Insatsområde", coerce=int, default=0)
    state = SelectField("Läge", default="")
    reviewer = SelectField("Granskare", coerce=int, default=0)
