from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import SubmitField

# A plan file is a few kilobytes of text; a megabyte is far more than any region needs.
MAX_PLAN_FILE_BYTES = 1024 * 1024


class PlanFileForm(FlaskForm):
    file = FileField("Planfil (.yaml)", validators=[
        FileRequired("Välj en planfil att läsa in."),
        FileAllowed(["yaml", "yml"], "Planfilen måste vara en YAML-fil (.yaml eller .yml)."),
        FileSize(MAX_PLAN_FILE_BYTES, message="Filen är för stor: en planfil får vara högst "
                                              "1 MB."),
    ])
    submit = SubmitField("Läs in planfilen")
