"""Stock counts and their reconciliation against the ledger as of the count's time.

The ledger quantity of a part at location L at time T is the current balance
minus what moved into L after T plus what moved out after T: one indexed range
read of the few movements that follow a count, never a sum of the whole ledger.
Reconciliation runs as one set-based query for any number of counts.

Counts in any order
-------------------
A count says what a location held at its time T. Accepting it posts the
adjustments *dated T* (to and from count loss, and relocations of serials found
here but registered elsewhere), so afterwards the ledger as of T equals the
count, and what moved after T is kept on top of it. Because of that:

- only the latest count of a location can be accepted. Accepting a count while
  the same location has a later one (submitted, waiting for a recount, or
  accepted) is refused with a 409 naming the later count; accepting the later
  one supersedes every earlier pending count of the location. A count dated
  before an accepted count of its location is refused at submission. So an
  older count never writes off stock that a newer count found;
- a count is not accepted when it contradicts what the ledger says happened
  after T (a unit it did not find moved later, more left the location after T
  than the count leaves, a unit it found moved elsewhere later, or another
  location it would take a unit from was counted after T): 409, ask for a
  recount;
- taking a unit from another location (a serial found here but registered
  there) needs the supervisor's explicit confirmation; the value of such units
  is that location's loss (``relocated_value``), not the counting office's.

What a count is charged: the value of what it wrote off (shortfall) and of what
it brought in from count loss (surplus), at unit cost, serial by serial for
serialized parts, so a swapped serial (right quantity, wrong unit) is charged
the unit written off.

Every state change (accept, recount request, withdrawal, superseding) goes
through the workflow core (``COUNT_WORKFLOW``): a guarded UPDATE on the expected
state, so of two concurrent requests one wins and the other gets a 409 having
posted nothing.
"""

from inventory.counts.states import (  # noqa: F401
    CountStatus,
    SUBMITTED,
    RECOUNT_REQUIRED,
    SUPERSEDED,
    ACCEPTED,
    WITHDRAWN,
    PENDING,
    COUNT_TRANSITIONS,
    COUNT_ACTION_LABELS,
    COUNT_ROLES,
    COUNT_WORKFLOW,
    PAGE_ACTIONS,
    BY_THRESHOLD,
    BY_SUPERVISOR,
    RECOUNT_THRESHOLD,
    LOSS_CODE,
    SPOT,
    SPOT_CHECK_ROLES,
    kind_label,
    STATUS_LABELS,
    status_label,
    recount_message,
)
from inventory.counts.reconciliation import (  # noqa: F401
    LineResult,
    SerialResult,
    Reconciliation,
    reconcile_rows,
    reconcile_many,
    reconcile,
    serial_positions_at,
    reconcile_serials,
)
from inventory.counts.reading import (  # noqa: F401
    is_channel_visitor,
    count_kinds,
    countable_locations,
    may_see_expected,
    get_count,
    reconciliation_for,
    counts_page,
    counts_query,
    default_count_location,
    later_counts,
    same_week_counts,
    count_warnings,
)
from inventory.counts.submission import (  # noqa: F401
    CountInput,
    parse_scans,
    COUNT_COLUMNS,
    parse_count_file,
    submit_count,
    DUPLICATE_WINDOW,
)
from inventory.counts.decisions import (  # noqa: F401
    request_recount,
    is_count_party,
    may_withdraw,
    allowed_actions,
    withdraw_count,
    liable_party,
)
from inventory.counts.acceptance import (  # noqa: F401
    Adjustment,
    AcceptancePlan,
    plan_acceptance,
    accept_count,
    relocations_out,
    variance_by_location,
)
from inventory.counts.export import (  # noqa: F401
    export_sheets,
    export_csv,
    export_xlsx,
)
