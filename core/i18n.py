"""Language: the user's choice, else the browser's (zh-CN for Chinese browsers)."""
from flask import current_app, request, session


def select_locale() -> str:
    chosen = session.get("locale")
    locales = current_app.config["DEPOT_LOCALES"]
    if chosen in locales:
        return chosen
    # Any Chinese browser gets Simplified Chinese.
    for lang, _quality in request.accept_languages:
        lang = lang.lower().replace("-", "_")
        if lang.startswith("zh"):
            return "zh_CN"
        if lang.startswith("en"):
            return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app) -> None:
    from pathlib import Path

    from core.extensions import babel

    translations = str(Path(__file__).parent / "translations")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", translations)
    babel.init_app(app, locale_selector=select_locale)
