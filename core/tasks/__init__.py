"""Tasks: one model and one life cycle for "contact the dealer (or a department) about this".

A process (repairs, DOA, ...) registers its task kinds, the answers each kind
allows, how its subjects are described and what an answer or a settlement does
to its own records (:mod:`core.tasks.registry`); the life cycle
(open -> agreed | disputed -> resolved), the page and the API live here once.
"""
