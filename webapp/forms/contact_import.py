from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import HiddenField, SubmitField
from wtforms.validators import DataRequired

from webapp.services.contact_file import MAX_BYTES


class ContactFileForm(FlaskForm):
    file = FileField("Fil med kontaktpersoner (.xlsx eller .csv)", validators=[
        FileRequired("Välj en fil med kontaktpersoner."),
        FileAllowed(["xlsx", "csv", "txt"], "Filen måste vara en Excel-arbetsbok (.xlsx) "
                                            "eller en CSV-fil (.csv)."),
        FileSize(MAX_BYTES, message="Filen är för stor: en kontaktlista får vara högst 2 MB."),
    ])
    submit = SubmitField("Förhandsgranska")


class ConfirmImportForm(FlaskForm):
    # Signed by the server when the preview was made; the service checks it and recomputes
    # everything from the database, so an edited value only gets a refusal.
    token = HiddenField(validators=[DataRequired("Förhandsgranskningen saknas. Välj filen "
                                                 "igen.")])
    submit = SubmitField("Läs in kontaktpersonerna")
