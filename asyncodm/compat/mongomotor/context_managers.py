"""MongoEngine's ``context_managers`` under their names: ``switch_db``, ``switch_collection``,
``no_dereference``.

Stage: compat. They are asyncodm's contexts (task-local, so concurrent tasks never see each
other's switches); ``no_dereference`` is MongoEngine's name for ``no_auto_dereference``.
"""

from __future__ import annotations

from asyncodm import no_auto_dereference, switch_collection, switch_db

__all__ = ["no_dereference", "switch_collection", "switch_db"]

no_dereference = no_auto_dereference
