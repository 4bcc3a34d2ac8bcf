"""Questionnaire versions are numbered per round: a new round's questionnaire is version 1 and
a copy over it the next number, instead of one count across all rounds ("version 7" for a
round's first questionnaire).

Revision ID: 0009
Revises: 0008_people
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008_people'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questionnaire', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_questionnaire_version'), type_='unique')
    # A round has had one questionnaire so far (a copy replaces it): each is its version 1.
    op.execute(sa.text("UPDATE questionnaire SET version = 1 WHERE NOT is_template"))


def downgrade():
    # One count across all questionnaires again: the id is unique and increasing.
    op.execute(sa.text("UPDATE questionnaire SET version = id"))
    with op.batch_alter_table('questionnaire', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_questionnaire_version'), ['version'])
