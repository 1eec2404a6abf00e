"""Change streams, public names (API.md §13): ``Change`` and ``ChangeStream``.

Stage: integration (re-exports only). Open a stream with ``Model.watch(...)`` or
``Model.objects(...).watch(...)``; the machinery lives in ``asyncodm.queryset._watch`` so the
queryset can open it without reaching above its own layer.
"""

from asyncodm.queryset._watch import Change, ChangeStream, change_stream_match

__all__ = ["Change", "ChangeStream", "change_stream_match"]
