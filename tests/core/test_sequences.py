"""Document numbers."""


def test_sequence_numbers_are_consecutive_per_series(ctx):
    from core.extensions import db
    from core.sequences import next_number

    assert next_number("RMA", "2611") == "RMA2611-0001"
    assert next_number("RMA", "2611") == "RMA2611-0002"
    assert next_number("RMA", "2612") == "RMA2612-0001"
    db.session.commit()
    assert next_number("RMA", "2611") == "RMA2611-0003"
