"""What the reviewer saw of the activities, kept on the answer revision they reviewed

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answer_revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_activities', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('answer_revision', schema=None) as batch_op:
        batch_op.drop_column('reviewed_activities')
