"""A link session remembers its link, so revoking the link or closing the round ends it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_user_session_link_id'), ['link_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_user_session_link_id_personal_link'),
                                    'personal_link', ['link_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_user_session_link_id_personal_link'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_user_session_link_id'))
        batch_op.drop_column('link_id')
