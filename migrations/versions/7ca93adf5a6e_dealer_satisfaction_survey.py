"""Dealer care: the quarterly dealer satisfaction survey (questions, personal links, answers and scores)

Revision ID: 7ca93adf5a6e
Revises: cf4cf620349c
"""
import sqlalchemy as sa
from alembic import op

import core.types

# revision identifiers, used by Alembic.
revision = '7ca93adf5a6e'
down_revision = "cf4cf620349c"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dealer_survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.String(length=7), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('created_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('sent_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_by', sa.String(length=64), nullable=True),
    sa.Column('summary_sent_at', core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('summary_sent_by', sa.String(length=64), nullable=True),
    sa.Column('summary_sent_to', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dealer_survey')),
    sa.UniqueConstraint('quarter', name=op.f('uq_dealer_survey_quarter'))
    )
    op.create_table('dealer_survey_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['brand.id'], name=op.f('fk_dealer_survey_question_brand_id_brand')),
    sa.ForeignKeyConstraint(['survey_id'], ['dealer_survey.id'], name=op.f('fk_dealer_survey_question_survey_id_dealer_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dealer_survey_question')),
    sa.UniqueConstraint('survey_id', 'position', name=op.f('uq_dealer_survey_question_survey_id_position'))
    )
    with op.batch_alter_table('dealer_survey_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dealer_survey_question_survey_id'), ['survey_id'], unique=False)

    op.create_table('dealer_survey_invite',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('dealer_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_to', sa.String(length=200), nullable=False),
    sa.Column('reminded_on', sa.Date(), nullable=True),
    sa.Column('reminders', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealer.id'], name=op.f('fk_dealer_survey_invite_dealer_id_dealer')),
    sa.ForeignKeyConstraint(['survey_id'], ['dealer_survey.id'], name=op.f('fk_dealer_survey_invite_survey_id_dealer_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dealer_survey_invite')),
    sa.UniqueConstraint('survey_id', 'dealer_id', name=op.f('uq_dealer_survey_invite_survey_id_dealer_id'))
    )
    with op.batch_alter_table('dealer_survey_invite', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dealer_survey_invite_dealer_id'), ['dealer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dealer_survey_invite_survey_id'), ['survey_id'], unique=False)

    op.create_table('dealer_survey_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('dealer_id', sa.Integer(), nullable=False),
    sa.Column('answered_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('follow_up_task_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealer.id'], name=op.f('fk_dealer_survey_answer_dealer_id_dealer')),
    sa.ForeignKeyConstraint(['follow_up_task_id'], ['task.id'], name=op.f('fk_dealer_survey_answer_follow_up_task_id_task')),
    sa.ForeignKeyConstraint(['survey_id'], ['dealer_survey.id'], name=op.f('fk_dealer_survey_answer_survey_id_dealer_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dealer_survey_answer')),
    sa.UniqueConstraint('survey_id', 'dealer_id', name=op.f('uq_dealer_survey_answer_survey_id_dealer_id'))
    )
    with op.batch_alter_table('dealer_survey_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dealer_survey_answer_dealer_id'), ['dealer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dealer_survey_answer_survey_id'), ['survey_id'], unique=False)

    op.create_table('dealer_survey_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['dealer_survey_answer.id'], name=op.f('fk_dealer_survey_score_answer_id_dealer_survey_answer')),
    sa.ForeignKeyConstraint(['question_id'], ['dealer_survey_question.id'], name=op.f('fk_dealer_survey_score_question_id_dealer_survey_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dealer_survey_score')),
    sa.UniqueConstraint('answer_id', 'question_id', name=op.f('uq_dealer_survey_score_answer_id_question_id'))
    )
    with op.batch_alter_table('dealer_survey_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dealer_survey_score_answer_id'), ['answer_id'], unique=False)



def downgrade():
    with op.batch_alter_table('dealer_survey_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dealer_survey_score_answer_id'))

    op.drop_table('dealer_survey_score')
    with op.batch_alter_table('dealer_survey_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dealer_survey_answer_survey_id'))
        batch_op.drop_index(batch_op.f('ix_dealer_survey_answer_dealer_id'))

    op.drop_table('dealer_survey_answer')
    with op.batch_alter_table('dealer_survey_invite', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dealer_survey_invite_survey_id'))
        batch_op.drop_index(batch_op.f('ix_dealer_survey_invite_dealer_id'))

    op.drop_table('dealer_survey_invite')
    with op.batch_alter_table('dealer_survey_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dealer_survey_question_survey_id'))

    op.drop_table('dealer_survey_question')
    op.drop_table('dealer_survey')
