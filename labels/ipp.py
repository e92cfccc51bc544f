"""The one IPP operation Depot needs: Print-Job (RFC 8011), in IPP's binary encoding (RFC 8010) over HTTP.

No well-kept Python library sends a print job by IPP: ``pyipp`` is an
asynchronous client for printer status only, ``pycups`` needs libcups and a
local CUPS. A Print-Job request is a short header, a few operation attributes
and the document, posted as ``application/ipp`` to the printer's URI
(``ipp://host:631/printers/x`` is ``http://host:631/printers/x``). A printer or
a CUPS queue answers with a status code; ``successful-ok`` and its variants
(below 0x0100) mean the job was accepted.
"""
from __future__ import annotations

import http.client
import itertools
import struct
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import gettext as _

PRINT_JOB = 0x0002
VERSION = (1, 1)
DEFAULT_PORT = 631
# Value tags and delimiters (RFC 8010 3.5).
OPERATION_ATTRIBUTES = 0x01
END_OF_ATTRIBUTES = 0x03
TAG_INTEGER = 0x21
TAG_TEXT = 0x41
TAG_NAME = 0x42
TAG_KEYWORD = 0x44
TAG_URI = 0x45
TAG_CHARSET = 0x47
TAG_LANGUAGE = 0x48
TAG_MIME = 0x49

_request_ids = itertools.count(1)


SERVER_ERROR_BUSY = 0x0507      # "busy": the printer takes no job now; the same one may be sent again later
SERVER_ERROR_NOT_ACCEPTING = 0x0506


class IppError(Exception):
    """The job was not accepted. ``sent`` tells whether the whole request left Depot (it may have printed);
    ``busy`` that the printer refused it for now (printing another job) and took nothing."""

    def __init__(self, message: str, *, sent: bool, busy: bool = False):
        super().__init__(message)
        self.sent = sent
        self.busy = busy


@dataclass(frozen=True)
class IppAnswer:
    """The printer's answer to a Print-Job."""

    status: int
    job_id: int | None
    message: str


def _attribute(tag: int, name: str, value: str | int) -> bytes:
    raw = struct.pack(">i", value) if isinstance(value, int) else value.encode("utf-8")
    encoded = name.encode("ascii")
    return struct.pack(">BH", tag, len(encoded)) + encoded + struct.pack(">H", len(raw)) + raw


def print_job_request(uri: str, document: bytes, *, document_format: str, job_name: str, user: str) -> bytes:
    """The encoded Print-Job request for ``document`` to the printer at ``uri``."""
    head = struct.pack(">BBHi", *VERSION, PRINT_JOB, next(_request_ids) % 2**31)
    attrs = b"".join([
        bytes([OPERATION_ATTRIBUTES]),
        _attribute(TAG_CHARSET, "attributes-charset", "utf-8"),
        _attribute(TAG_LANGUAGE, "attributes-natural-language", "en"),
        _attribute(TAG_URI, "printer-uri", uri),
        _attribute(TAG_NAME, "requesting-user-name", user[:255] or "depot"),
        _attribute(TAG_NAME, "job-name", job_name[:255]),
        _attribute(TAG_MIME, "document-format", document_format),
        bytes([END_OF_ATTRIBUTES]),
    ])
    return head + attrs + document


def parse_answer(body: bytes) -> IppAnswer:
    """The status code, job id and status message of an IPP response."""
    if len(body) < 8:
        raise IppError(_("The printer's answer is not IPP."), sent=True)
    _major, _minor, status, _request_id = struct.unpack(">BBHi", body[:8])
    job_id, message = None, ""
    pos = 8
    while pos < len(body):
        tag = body[pos]
        pos += 1
        if tag == END_OF_ATTRIBUTES:
            break
        if tag < 0x10:  # a group delimiter
            continue
        if pos + 2 > len(body):
            break
        (name_len,) = struct.unpack(">H", body[pos:pos + 2])
        name = body[pos + 2:pos + 2 + name_len].decode("utf-8", "replace")
        pos += 2 + name_len
        (value_len,) = struct.unpack(">H", body[pos:pos + 2])
        value = body[pos + 2:pos + 2 + value_len]
        pos += 2 + value_len
        if name == "job-id" and tag == TAG_INTEGER and value_len == 4:
            job_id = struct.unpack(">i", value)[0]
        elif name == "status-message" and tag == TAG_TEXT:
            message = value.decode("utf-8", "replace")
    return IppAnswer(status, job_id, message)


def http_target(uri: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) to post to for an ``ipp://`` or ``ipps://`` printer URI."""
    parts = urlsplit(uri)
    if parts.scheme not in ("ipp", "ipps", "http", "https") or not parts.hostname:
        raise ValueError(uri)
    secure = parts.scheme in ("ipps", "https")
    return ("https" if secure else "http", parts.hostname, parts.port or DEFAULT_PORT, parts.path or "/")


def print_job(uri: str, document: bytes, *, document_format: str = "application/pdf", job_name: str,
              user: str = "depot", timeout: float = 10.0) -> IppAnswer:
    """Send ``document`` to the printer at ``uri``; the accepted answer, or IppError.

    IppError.sent is False when the request did not leave whole (nothing can
    have printed: safe to send again) and True when it did but no acceptance
    came back (it may have printed).
    """
    scheme, host, port, path = http_target(uri)
    request = print_job_request(uri, document, document_format=document_format, job_name=job_name, user=user)
    conn_class = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    conn = conn_class(host, port, timeout=timeout)
    try:
        try:
            conn.request("POST", path, body=request, headers={"Content-Type": "application/ipp"})
        except OSError as err:
            raise IppError(_("Could not reach the printer (%(error)s).", error=err), sent=False) from err
        try:
            resp = conn.getresponse()
            body = resp.read()
        except OSError as err:
            raise IppError(_("The printer did not answer (%(error)s).", error=err), sent=True) from err
        except http.client.HTTPException as err:
            raise IppError(_("The printer's answer was broken (%(error)s).", error=err), sent=True) from err
    finally:
        conn.close()
    if resp.status != 200:
        raise IppError(_("The printer answered HTTP %(status)d.", status=resp.status), sent=resp.status >= 500)
    answer = parse_answer(body)
    if answer.status >= 0x0100:
        raise IppError(_("The printer refused the job (IPP status 0x%(status)04x%(message)s).",
                         status=answer.status, message=(": " + answer.message) if answer.message else ""),
                       sent=False, busy=answer.status == SERVER_ERROR_BUSY)
    return answer
