"""Complaints (客诉): complaint, its events, the dealer's letters on file, the mediation agreement

Revision ID: 86e9508997d4
Revises: a9da4ac37159
"""
import sqlalchemy as sa
from alembic import op

import core.types


revision = '86e9508997d4'
down_revision = "a9da4ac37159"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('dealer_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('about_staff', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('created_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('answer_due', sa.Date(), nullable=True),
    sa.Column('due_set_by', sa.String(length=64), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('internal_letter', sa.Text(), nullable=False),
    sa.Column('referred_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('department_answer', sa.Text(), nullable=False),
    sa.Column('department_answered_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('report', sa.Text(), nullable=False),
    sa.Column('report_by', sa.String(length=64), nullable=True),
    sa.Column('report_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('compensation', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('signed_by', sa.String(length=64), nullable=True),
    sa.Column('signed_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('gm_approved_by', sa.String(length=64), nullable=True),
    sa.Column('gm_approved_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dealer_answer', sa.Text(), nullable=False),
    sa.Column('answered_by', sa.String(length=64), nullable=True),
    sa.Column('answered_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('fix', sa.Text(), nullable=False),
    sa.Column('fixed_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('visit_due', sa.Date(), nullable=True),
    sa.Column('visit_outcome', sa.Text(), nullable=False),
    sa.Column('visit_satisfied', sa.Boolean(), nullable=True),
    sa.Column('visited_by', sa.String(length=64), nullable=True),
    sa.Column('visited_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('closed_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealer.id'], name=op.f('fk_complaint_dealer_id_dealer')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_complaint_department_id_department')),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], name=op.f('fk_complaint_office_id_office')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint')),
    sa.UniqueConstraint('number', name=op.f('uq_complaint_number'))
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_dealer_id'), ['dealer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_state'), ['state'], unique=False)
        batch_op.create_index('ix_complaint_state_answer_due', ['state', 'answer_due'], unique=False)
        batch_op.create_index('ix_complaint_state_visit_due', ['state', 'visit_due'], unique=False)

    op.create_table('complaint_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_complaint_attachment_complaint_id_complaint')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_attachment')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_complaint_attachment_stored_name'))
    )
    with op.batch_alter_table('complaint_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_attachment_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('complaint_event',
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=64), nullable=False),
    sa.Column('at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('from_state', sa.String(length=24), nullable=True),
    sa.Column('to_state', sa.String(length=24), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_complaint_event_complaint_id_complaint')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_event'))
    )
    with op.batch_alter_table('complaint_event', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_event_complaint_id_id', ['complaint_id', 'id'], unique=False)

    op.create_table('complaint_mediation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('agreement_number', sa.String(length=40), nullable=False),
    sa.Column('customer_name', sa.String(length=80), nullable=False),
    sa.Column('customer_address', sa.String(length=300), nullable=False),
    sa.Column('customer_phone', sa.String(length=40), nullable=False),
    sa.Column('id_number_token', sa.String(length=400), nullable=False),
    sa.Column('company_name', sa.String(length=120), nullable=False),
    sa.Column('company_address', sa.String(length=300), nullable=False),
    sa.Column('company_phone', sa.String(length=40), nullable=False),
    sa.Column('company_contact', sa.String(length=80), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('complained_on', sa.Date(), nullable=True),
    sa.Column('product', sa.String(length=300), nullable=False),
    sa.Column('customer_duties', sa.Text(), nullable=False),
    sa.Column('company_duties', sa.Text(), nullable=False),
    sa.Column('customer_representative', sa.String(length=80), nullable=False),
    sa.Column('company_representative', sa.String(length=80), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_complaint_mediation_complaint_id_complaint')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_mediation')),
    sa.UniqueConstraint('complaint_id', name=op.f('uq_complaint_mediation_complaint_id'))
    )


def downgrade():
    op.drop_table('complaint_mediation')
    with op.batch_alter_table('complaint_event', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_event_complaint_id_id')

    op.drop_table('complaint_event')
    with op.batch_alter_table('complaint_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_attachment_complaint_id'))

    op.drop_table('complaint_attachment')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_state_visit_due')
        batch_op.drop_index('ix_complaint_state_answer_due')
        batch_op.drop_index(batch_op.f('ix_complaint_state'))
        batch_op.drop_index(batch_op.f('ix_complaint_office_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_department_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_dealer_id'))

    op.drop_table('complaint')
