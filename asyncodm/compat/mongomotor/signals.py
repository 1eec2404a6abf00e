"""MongoMotor's ``mongomotor.signals``: asyncodm's signals, whose receivers may be sync or async.

Stage: compat. MongoMotor sends its signals through ``asyncblink`` so that receivers can be
coroutines; asyncodm's ``Signal`` awaits coroutine receivers the same way, and ``connect``
takes ``sender=`` as blinker does.
"""

from __future__ import annotations

from asyncodm.signals import (
    Signal,
    post_bulk_insert,
    post_delete,
    post_init,
    post_save,
    pre_bulk_insert,
    pre_delete,
    pre_init,
    pre_save,
)

__all__ = [
    "Signal",
    "post_bulk_insert",
    "post_delete",
    "post_init",
    "post_save",
    "pre_bulk_insert",
    "pre_delete",
    "pre_init",
    "pre_save",
]
