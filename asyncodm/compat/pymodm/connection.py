"""PyMODM's ``pymodm.connection``: ``connect(mongodb_uri, alias="default", **kwargs)``.

Stage: compat. It is asyncodm's ``connect``: the URI must name the database, the call does no
I/O, and connecting an alias again replaces it. Extra keyword arguments go to the driver's
client, as in PyMODM.
"""

from __future__ import annotations

from asyncodm.connection import connect

DEFAULT_CONNECTION_ALIAS = "default"

__all__ = ["DEFAULT_CONNECTION_ALIAS", "connect"]
