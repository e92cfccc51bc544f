"""Every model of the shared kernel, imported so metadata and migrations see them."""
from core.accounts.models import ApiToken, User, UserRole  # noqa: F401
from core.audit.models import AuditEntry  # noqa: F401
from core.calendar.models import Closure  # noqa: F401
from core.chase import ChaseNotice  # noqa: F401
from core.sequences import SequenceCounter  # noqa: F401
from core.directory.models import Dealer, Department, Factory, Office, RepairRoute, Vendor  # noqa: F401
from core.idempotency import IdempotencyRecord  # noqa: F401
from core.tasks.models import Task  # noqa: F401
