"""review revisions and assignments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reviewer_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('focus_area_id', sa.Integer(), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(focus_area_id IS NULL) <> (district_id IS NULL)', name=op.f('ck_reviewer_assignment_one_target')),
    sa.ForeignKeyConstraint(['district_id'], ['organisation.id'], name=op.f('fk_reviewer_assignment_district_id_organisation')),
    sa.ForeignKeyConstraint(['focus_area_id'], ['focus_area.id'], name=op.f('fk_reviewer_assignment_focus_area_id_focus_area')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user_account.id'], name=op.f('fk_reviewer_assignment_reviewer_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviewer_assignment'))
    )
    with op.batch_alter_table('reviewer_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviewer_assignment_reviewer_id'), ['reviewer_id'], unique=False)

    op.create_table('answer_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['answer.id'], name=op.f('fk_answer_revision_answer_id_answer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_answer_revision_author_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_revision')),
    sa.UniqueConstraint('answer_id', 'number', name=op.f('uq_answer_revision_answer_id_number'))
    )
    with op.batch_alter_table('answer_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_revision_answer_id'), ['answer_id'], unique=False)

    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_reviewer_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_answer_assigned_reviewer_id_user_account'), 'user_account', ['assigned_reviewer_id'], ['id'])

    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignment_mode', sa.Enum('focus_area', 'district', name='assignmentmode', native_enum=False, length=20), server_default='focus_area', nullable=False))


def downgrade():
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_column('assignment_mode')

    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_answer_assigned_reviewer_id_user_account'), type_='foreignkey')
        batch_op.drop_column('assigned_reviewer_id')

    with op.batch_alter_table('answer_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_revision_answer_id'))

    op.drop_table('answer_revision')
    with op.batch_alter_table('reviewer_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviewer_assignment_reviewer_id'))

    op.drop_table('reviewer_assignment')

