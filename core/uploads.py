"""Reading an uploaded scan or document: not empty, not too large, and truly the type it claims.

The type is told from the file's first bytes; the file name and the client's content
type are ignored. Every package that keeps uploaded files (DOA's signed applications,
dealer care's policy documents) reads them here, and stores them through
:func:`core.stored_files.write_file`.
"""
from __future__ import annotations

import os

from flask import current_app
from flask_babel import gettext as _

from core.errors import DomainError, ValidationFailed

# (magic bytes, content type, extension)
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
SCANS = ("pdf", "jpg", "png")
PDF_ONLY = ("pdf",)


class UnsupportedType(DomainError):
    status = 415
    code = "unsupported_media_type"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the first bytes, or None if not PDF/JPEG/PNG."""
    for magic, content_type, ext in SIGNATURES:
        if head.startswith(magic):
            return content_type, ext
    return None


def read_limited(stream, limit: int) -> bytes:
    """Read at most ``limit + 1`` bytes: enough to tell "too large" without reading it all."""
    chunks, total = [], 0
    while total <= limit:
        chunk = stream.read(min(65536, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def size_limit(config_key: str, default: int) -> int:
    """The size limit of one file from ``config_key`` (never above the request limit)."""
    limit = int(current_app.config.get(config_key) or default)
    request_limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return min(limit, int(request_limit)) if request_limit else limit


def read_upload(stream, limit: int, allowed: tuple[str, ...] = SCANS) -> tuple[bytes, str, str]:
    """The upload's bytes, content type and extension; 422 (missing, empty), 413 (too large), 415 (type)."""
    if stream is None:
        raise ValidationFailed(_("Choose a file."), errors={"file": [_("Required.")]})
    data = read_limited(stream, limit)
    if not data:
        raise ValidationFailed(_("The file is empty."), errors={"file": [_("Empty file.")]})
    if len(data) > limit:
        raise TooLarge(_("The file is larger than %(mb)s MB.", mb=round(limit / 1048576, 1)),
                       errors={"file": [_("Too large.")]})
    kind = sniff(data[:16])
    if kind is None or kind[1] not in allowed:
        if allowed == PDF_ONLY:
            raise UnsupportedType(_("Only PDF files are accepted."), errors={"file": [_("Not a PDF file.")]})
        raise UnsupportedType(_("Only PDF, JPEG or PNG scans are accepted."),
                              errors={"file": [_("Not a PDF, JPEG or PNG file.")]})
    return data, kind[0], kind[1]


def plain_filename(filename: str | None) -> str:
    """The name the client gave, without any folder part, at most 200 characters."""
    return os.path.basename((filename or "").replace("\\", "/")).strip()[:200]
