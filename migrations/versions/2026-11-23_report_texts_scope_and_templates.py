"""report texts scope and templates

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_report_template_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_template'))
    )
    op.create_table('round_section',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('placement', sa.String(length=10), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_round_section_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_section'))
    )
    with op.batch_alter_table('round_section', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_section_round_id'), ['round_id'], unique=False)

    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phase', sa.Enum('queued', 'collecting', 'writing', 'done', 'failed', name='reportphase', native_enum=False, length=20), server_default='queued', nullable=False))
        batch_op.add_column(sa.Column('focus_area_ids', sa.String(length=400), server_default='', nullable=False))
        batch_op.add_column(sa.Column('organisation_ids', sa.String(length=400), server_default='', nullable=False))
        batch_op.add_column(sa.Column('include_provenance', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('template_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_report_job_template_id_report_template'), 'report_template', ['template_id'], ['id'])

    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('foreword_signature', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_column('foreword_signature')

    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_report_job_template_id_report_template'), type_='foreignkey')
        batch_op.drop_column('template_id')
        batch_op.drop_column('include_provenance')
        batch_op.drop_column('organisation_ids')
        batch_op.drop_column('focus_area_ids')
        batch_op.drop_column('phase')

    with op.batch_alter_table('round_section', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_section_round_id'))

    op.drop_table('round_section')
    op.drop_table('report_template')

