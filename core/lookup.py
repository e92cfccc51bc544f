"""What other processes add to a look-up page of another package.

- Lookup sections: the repairs status look-up ("Where is my unit?") shows, under
  its own results, what each registered process finds for the same query
  (DOA cases). A section is a context name, a template included by the page, and
  ``find(query, actor)`` returning the rows that template shows under that name.
- Model names: the pick list of unit models (DOA application form) is the union of
  the registered sources, each a select of one column of model names.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class LookupSection:
    """One process's part of a look-up page."""

    name: str
    template: str
    find: Callable


_SECTIONS: dict[str, LookupSection] = {}
_MODEL_NAMES: list[Callable] = []


def register_lookup(name: str, template: str, find: Callable) -> None:
    """Show ``template`` on the status look-up, with ``name`` bound to ``find(query, actor=actor)``."""
    _SECTIONS.setdefault(name, LookupSection(name, template, find))


def lookup_sections() -> tuple[LookupSection, ...]:
    """The registered sections, in the order they were registered."""
    return tuple(_SECTIONS.values())


def lookup_results(query: str, actor) -> dict[str, list]:
    """Each section's rows for ``query`` (empty lists without a query)."""
    return {s.name: (list(s.find(query, actor=actor)) if query else []) for s in _SECTIONS.values()}


def register_model_names(source: Callable) -> None:
    """``source()`` returns a select of one column of model names known to Depot."""
    if source not in _MODEL_NAMES:
        _MODEL_NAMES.append(source)


def model_name_sources() -> tuple:
    """The registered model-name selects."""
    return tuple(source() for source in _MODEL_NAMES)
