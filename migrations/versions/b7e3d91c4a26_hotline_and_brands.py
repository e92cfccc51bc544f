"""Brands, and the hotline and e-mail desk: the question log, its events, e-mails and attachments,
the mailbox's read position and the standard answers library

Revision ID: b7e3d91c4a26
Revises: 5e2b8d4f1c07
Create Date: 2026-12-01 04:24:57

New tables only; nothing existing changes. ``hotline_message.message_id`` is unique, so a
message fetched again is imported once. ``hotline_answer.source_entry_id`` has no foreign key
(the entry points back at its standard answer).
"""
import sqlalchemy as sa
from alembic import op

import core.types

# revision identifiers, used by Alembic.
revision = 'b7e3d91c4a26'
down_revision = "5e2b8d4f1c07"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('brand',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brand')),
    sa.UniqueConstraint('code', name=op.f('uq_brand_code'))
    )
    op.create_table('hotline_mailbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailbox', sa.String(length=200), nullable=False),
    sa.Column('uid_validity', sa.BigInteger(), nullable=False),
    sa.Column('last_uid', sa.BigInteger(), nullable=False),
    sa.Column('fetched_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotline_mailbox')),
    sa.UniqueConstraint('mailbox', name=op.f('uq_hotline_mailbox_mailbox'))
    )
    op.create_table('hotline_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('question', sa.String(length=500), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('source_entry_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brand.id'], name=op.f('fk_hotline_answer_brand_id_brand')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotline_answer'))
    )
    with op.batch_alter_table('hotline_answer', schema=None) as batch_op:
        batch_op.create_index('ix_hotline_answer_brand_category', ['brand_id', 'category'], unique=False)

    op.create_table('hotline_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('asker', sa.String(length=20), nullable=False),
    sa.Column('asker_name', sa.String(length=120), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('dealer_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('standard_answer_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('asked_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('logged_by', sa.String(length=64), nullable=False),
    sa.Column('answered_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.String(length=64), nullable=True),
    sa.Column('updated_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brand.id'], name=op.f('fk_hotline_entry_brand_id_brand')),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealer.id'], name=op.f('fk_hotline_entry_dealer_id_dealer')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_hotline_entry_department_id_department')),
    sa.ForeignKeyConstraint(['standard_answer_id'], ['hotline_answer.id'], name=op.f('fk_hotline_entry_standard_answer_id_hotline_answer')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_hotline_entry_task_id_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotline_entry')),
    sa.UniqueConstraint('number', name=op.f('uq_hotline_entry_number'))
    )
    with op.batch_alter_table('hotline_entry', schema=None) as batch_op:
        batch_op.create_index('ix_hotline_entry_asked_at', ['asked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_hotline_entry_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hotline_entry_dealer_id'), ['dealer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hotline_entry_state'), ['state'], unique=False)
        batch_op.create_index('ix_hotline_entry_state_due', ['state', 'due_on'], unique=False)

    op.create_table('hotline_event',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=64), nullable=False),
    sa.Column('at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('from_state', sa.String(length=24), nullable=True),
    sa.Column('to_state', sa.String(length=24), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['hotline_entry.id'], name=op.f('fk_hotline_event_entry_id_hotline_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotline_event'))
    )
    with op.batch_alter_table('hotline_event', schema=None) as batch_op:
        batch_op.create_index('ix_hotline_event_entry_id_id', ['entry_id', 'id'], unique=False)

    op.create_table('hotline_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('message_id', sa.String(length=250), nullable=False),
    sa.Column('in_reply_to', sa.String(length=250), nullable=False),
    sa.Column('references', sa.Text(), nullable=False),
    sa.Column('sender', sa.String(length=250), nullable=False),
    sa.Column('recipients', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=250), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['hotline_entry.id'], name=op.f('fk_hotline_message_entry_id_hotline_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotline_message')),
    sa.UniqueConstraint('message_id', name='uq_hotline_message_message_id')
    )
    with op.batch_alter_table('hotline_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hotline_message_entry_id'), ['entry_id'], unique=False)

    op.create_table('hotline_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['hotline_entry.id'], name=op.f('fk_hotline_attachment_entry_id_hotline_entry')),
    sa.ForeignKeyConstraint(['message_id'], ['hotline_message.id'], name=op.f('fk_hotline_attachment_message_id_hotline_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotline_attachment')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_hotline_attachment_stored_name'))
    )
    with op.batch_alter_table('hotline_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hotline_attachment_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hotline_attachment_message_id'), ['message_id'], unique=False)



def downgrade():
    with op.batch_alter_table('hotline_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hotline_attachment_message_id'))
        batch_op.drop_index(batch_op.f('ix_hotline_attachment_entry_id'))

    op.drop_table('hotline_attachment')
    with op.batch_alter_table('hotline_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hotline_message_entry_id'))

    op.drop_table('hotline_message')
    with op.batch_alter_table('hotline_event', schema=None) as batch_op:
        batch_op.drop_index('ix_hotline_event_entry_id_id')

    op.drop_table('hotline_event')
    with op.batch_alter_table('hotline_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_hotline_entry_state_due')
        batch_op.drop_index(batch_op.f('ix_hotline_entry_state'))
        batch_op.drop_index(batch_op.f('ix_hotline_entry_dealer_id'))
        batch_op.drop_index(batch_op.f('ix_hotline_entry_brand_id'))
        batch_op.drop_index('ix_hotline_entry_asked_at')

    op.drop_table('hotline_entry')
    with op.batch_alter_table('hotline_answer', schema=None) as batch_op:
        batch_op.drop_index('ix_hotline_answer_brand_category')

    op.drop_table('hotline_answer')
    op.drop_table('hotline_mailbox')
    op.drop_table('brand')
