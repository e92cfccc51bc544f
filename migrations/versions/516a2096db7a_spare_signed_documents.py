"""Signed documents (备品签字版文件) on spare requests, year-end returns and counts

Revision ID: 516a2096db7a
Revises: c3f1a8d2e5b7
"""
import sqlalchemy as sa
from alembic import op

import core.types


revision = '516a2096db7a'
down_revision = "c3f1a8d2e5b7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inv_signed_document',
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('return_id', sa.Integer(), nullable=True),
    sa.Column('count_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.CheckConstraint('(CASE WHEN request_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN return_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN count_id IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_inv_signed_document_one_record')),
    sa.ForeignKeyConstraint(['count_id'], ['inv_count.id'], name=op.f('fk_inv_signed_document_count_id_inv_count')),
    sa.ForeignKeyConstraint(['request_id'], ['inv_spare_request.id'], name=op.f('fk_inv_signed_document_request_id_inv_spare_request')),
    sa.ForeignKeyConstraint(['return_id'], ['inv_office_return.id'], name=op.f('fk_inv_signed_document_return_id_inv_office_return')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inv_signed_document')),
    sa.UniqueConstraint('count_id', 'sha256', name=op.f('uq_inv_signed_document_count_id_sha256')),
    sa.UniqueConstraint('request_id', 'sha256', name=op.f('uq_inv_signed_document_request_id_sha256')),
    sa.UniqueConstraint('return_id', 'sha256', name=op.f('uq_inv_signed_document_return_id_sha256')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_inv_signed_document_stored_name'))
    )


def downgrade():
    op.drop_table('inv_signed_document')
