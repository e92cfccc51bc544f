"""Language: the user's choice, else the browser's (zh-CN for Chinese browsers).

Also the words kept for later: a sentence written when something happens (a task's
detail) is stored as its message id and parameters (:func:`message`), marked with
:func:`N_` so extraction finds it, and translated when it is shown
(:func:`render_message`), in the reader's language rather than the writer's.
"""
import functools
from pathlib import Path

from babel import Locale, support
from flask import current_app, has_request_context, request, session
from flask.globals import _cv_app, _cv_request
from flask_babel import Domain, get_locale
from flask_babel import gettext as _

from core.extensions import babel


def select_locale() -> Locale:
    """The request's language (Flask-Babel's locale selector)."""
    return _locale(_choose_code())


@functools.cache
def _locale(code: str) -> Locale:
    # Parsing a locale reads Babel's data files: once per language, not per request.
    return Locale.parse(code)


def _choose_code() -> str:
    if not has_request_context():
        # Commands (flask depot ...) translate service messages too: default language.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
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
    translations = str(Path(__file__).parent / "translations")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", translations)
    babel.init_app(app, locale_selector=select_locale)
    babel.domain_instance = _FolderDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))


def _folder_names(locale) -> list[str]:
    """Folder names to look for a locale's catalogue in, best first.

    Babel calls Simplified Chinese "zh_Hans_CN" (it adds the script), but the
    catalogue lives in translations/zh_CN (what ``pybabel update -l zh_CN`` uses),
    and gettext only falls back from "zh_Hans_CN" to "zh". Without the
    language_TERRITORY name the Chinese catalogue is never found.
    """
    names = [str(locale)]
    if locale.territory and f"{locale.language}_{locale.territory}" not in names:
        names.append(f"{locale.language}_{locale.territory}")
    return names


class _FolderDomain(Domain):
    """Flask-Babel's domain, finding translations/zh_CN for the locale zh_Hans_CN."""

    def get_translations(self):
        # Every message of a request asks for the catalogue (a scan's answer, five times):
        # it is found once per request and kept on ``g``, and found again if the locale
        # changes (flask_babel.force_locale). The context variables are read directly:
        # going through the ``g`` and ``request`` proxies cost more than the lookup itself.
        app_context = _cv_app.get(None)
        if app_context is None:
            return self._find_translations(None)
        state = app_context.g.__dict__
        babel_context = state.get("_flask_babel")
        locale = getattr(babel_context, "babel_locale", None) or get_locale()
        if _cv_request.get(None) is None:
            return self._find_translations(locale)
        cached = state.get("_depot_translations")
        if cached is None or cached[0] is not locale:
            cached = state["_depot_translations"] = (locale, self._find_translations(locale))
        return cached[1]

    def _find_translations(self, locale):
        if locale is None:
            return support.NullTranslations()
        cache = self.get_translations_cache(None)
        key = (str(locale), self.domain[0])
        if key not in cache:
            translations = support.Translations()
            for dirname in self.translation_directories:
                catalog = support.Translations.load(dirname, _folder_names(locale), self.domain[0])
                translations.merge(catalog)
                if hasattr(catalog, "plural"):
                    translations.plural = catalog.plural
            cache[key] = translations
        return cache[key]


# --------------------------------------------------------------------------- words kept for later

def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction without translating it: it is stored, and translated when shown."""
    return msgid


def message(msgid: str, **params) -> dict:
    """A sentence to store and translate when shown: ``{"msg": msgid, "params": {...}}`` (JSON-ready).

    A parameter is plain text (a serial, a number, what a user typed) or itself a
    :func:`message` or a :func:`message_list`, translated with the sentence.
    """
    return {"msg": msgid, "params": params}


def message_list(items, sep: str = ", ") -> dict:
    """Several stored words (messages or plain text) shown one after the other, joined by ``sep``."""
    return {"list": list(items), "sep": sep}


def render_message(value) -> str:
    """A stored :func:`message` (or :func:`message_list`, or plain text) in the current language.

    A catalogue whose translation does not fit the stored parameters (a parameter
    renamed since) shows the English sentence rather than failing the page.
    """
    if isinstance(value, dict) and "list" in value:
        return str(value.get("sep", ", ")).join(render_message(item) for item in value["list"] or ())
    if isinstance(value, dict) and "msg" in value:
        params = {name: render_message(v) for name, v in (value.get("params") or {}).items()}
        try:
            return _(value["msg"], **params)
        except (KeyError, ValueError, TypeError):
            try:
                return value["msg"] % params if params else value["msg"]
            except (KeyError, ValueError, TypeError):
                return value["msg"]
    return "" if value is None else str(value)
