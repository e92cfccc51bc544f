"""The inventory package."""


def init_app(app) -> None:
    """Register this package's blueprints, navigation, commands and demo data."""
