"""The ledger's rules in one import: parts, locations, posting and reversing movements, reading balances.

Each concept has its module: :mod:`inventory.parts`, :mod:`inventory.locations`, :mod:`inventory.ledger`
(posting, with the guarded UPDATE that never takes stock below zero) and :mod:`inventory.stock` (reading).
The other packages use the names below through ``inventory.service``.
"""
from inventory.parts import (  # noqa: F401
    catalogue_brands,
    set_part_brand,
    part_by_sku,
    by_id,
    get_part,
    parts_by_sku,
    list_parts,
    create_part,
)
from inventory.locations import (  # noqa: F401
    SYSTEM_LOCATIONS,
    HQ_STAFF,
    CLOCK_SKEW,
    system_location,
    office_location,
    defective_location,
    location_by_code,
    get_location,
    create_bin,
    visible_locations,
    ensure_location_access,
)
from inventory.ledger import (  # noqa: F401
    balance_of,
    post_movement,
    reverse_movement,
    get_movement,
    record_movement,
    reverse_by_id,
)
from inventory.stock import (  # noqa: F401
    balances_query,
    movements_page,
    movements_query,
    serials_at,
    serial_history,
    holdings,
)
