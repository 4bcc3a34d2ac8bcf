"""activities

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_activity_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity'))
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('activity_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('planned', 'ongoing', 'paused', 'done', 'ended', name='activitystatus', native_enum=False, length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('start_year', sa.Integer(), nullable=True),
    sa.Column('end_year', sa.Integer(), nullable=True),
    sa.Column('responsible_unit', sa.String(length=200), nullable=True),
    sa.Column('level', sa.Enum('promoting', 'preventive', 'treating', name='activitylevel', native_enum=False, length=20), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_activity_report_activity_id_activity'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_activity_report_round_id_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_activity_report_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_report')),
    sa.UniqueConstraint('activity_id', 'round_id', name=op.f('uq_activity_report_activity_id_round_id'))
    )
    with op.batch_alter_table('activity_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_report_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_report_round_id'), ['round_id'], unique=False)

    op.create_table('activity_report_sub_goal',
    sa.Column('activity_report_id', sa.Integer(), nullable=False),
    sa.Column('sub_goal_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_report_id'], ['activity_report.id'], name=op.f('fk_activity_report_sub_goal_activity_report_id_activity_report'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sub_goal_id'], ['sub_goal.id'], name=op.f('fk_activity_report_sub_goal_sub_goal_id_sub_goal')),
    sa.PrimaryKeyConstraint('activity_report_id', 'sub_goal_id', name=op.f('pk_activity_report_sub_goal'))
    )


def downgrade():
    op.drop_table('activity_report_sub_goal')
    with op.batch_alter_table('activity_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_report_round_id'))
        batch_op.drop_index(batch_op.f('ix_activity_report_activity_id'))

    op.drop_table('activity_report')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_organisation_id'))

    op.drop_table('activity')

