"""One complaint as a reader sees it: the record, what the reader may do, its letters, history and agreement."""
from __future__ import annotations

from complaints import letters, mediation, service
from complaints.models import Complaint


class ComplaintView:
    """The complaint's own attributes plus what this reader sees of it (the agreement masked or not)."""

    def __init__(self, actor, complaint: Complaint):
        self.complaint = complaint
        self.allowed = service.allowed_for(actor, complaint)
        self.attachments = letters.attachments(complaint)
        self.mediation = mediation.shown(actor, complaint.mediation)
        self.events = service.history(complaint)
        self.department = complaint.department.name if complaint.department else None

    def __getattr__(self, name):
        return getattr(self.complaint, name)


def detail(actor, number: str) -> ComplaintView:
    """The complaint ``number`` as ``actor`` reads it (404 if it is not theirs to see)."""
    return ComplaintView(actor, service.get_complaint(actor, number))
