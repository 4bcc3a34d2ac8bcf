from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField


class AssignmentModeForm(FlaskForm):
    mode = SelectField("Fördela granskningen")
    save_mode = SubmitField("Spara fördelningssätt")


class AssignmentsForm(FlaskForm):
    """Fields are added per focus area and district by the view (fa-<id>, district-<id>)."""

    save_assignments = SubmitField("Spara fördelningen")
