"""people: accounts, main contacts and delegation

Main contact per organisation, title and invitation fields on users, one-time account
tokens (invite, password reset), sub-goal assignments inside an organisation, unit-editable
settings, and outbox rows without a round (account mails).

Revision ID: 0008_people
Revises: 0007
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_people'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('pending_approval', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('invited_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_user_account_invited_by_id_user_account'),
                                    'user_account', ['invited_by_id'], ['id'],
                                    ondelete='SET NULL')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('main_contact_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_organisation_main_contact_id_user_account'),
                                    'user_account', ['main_contact_id'], ['id'],
                                    ondelete='SET NULL')

    op.create_table('account_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('invite', 'password_reset', name='tokenpurpose',
                                 native_enum=False, length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_account_token_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_account_token_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_token_token_hash'))
    )
    with op.batch_alter_table('account_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_token_user_id'), ['user_id'], unique=False)

    op.create_table('sub_goal_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('sub_goal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['user_account.id'], name=op.f('fk_sub_goal_assignment_assigned_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_sub_goal_assignment_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sub_goal_id'], ['sub_goal.id'], name=op.f('fk_sub_goal_assignment_sub_goal_id_sub_goal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_sub_goal_assignment_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sub_goal_assignment')),
    sa.UniqueConstraint('organisation_id', 'sub_goal_id', name=op.f('uq_sub_goal_assignment_organisation_id_sub_goal_id'))
    )
    with op.batch_alter_table('sub_goal_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sub_goal_assignment_user_id'), ['user_id'], unique=False)

    op.create_table('app_setting',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_setting'))
    )

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.alter_column('round_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index('uq_outbox_message_account_mail', ['user_id', 'kind', 'step'],
                              unique=True, postgresql_where=sa.text('round_id IS NULL'),
                              sqlite_where=sa.text('round_id IS NULL'))


def downgrade():
    # Account mails have no round; they cannot survive round_id becoming NOT NULL again.
    op.execute("DELETE FROM outbox_message WHERE round_id IS NULL")
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('uq_outbox_message_account_mail')
        batch_op.alter_column('round_id', existing_type=sa.Integer(), nullable=False)

    op.drop_table('app_setting')
    with op.batch_alter_table('sub_goal_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sub_goal_assignment_user_id'))
    op.drop_table('sub_goal_assignment')
    with op.batch_alter_table('account_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_token_user_id'))
    op.drop_table('account_token')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_organisation_main_contact_id_user_account'),
                                 type_='foreignkey')
        batch_op.drop_column('main_contact_id')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_user_account_invited_by_id_user_account'),
                                 type_='foreignkey')
        batch_op.drop_column('invited_by_id')
        batch_op.drop_column('pending_approval')
        batch_op.drop_column('title')
