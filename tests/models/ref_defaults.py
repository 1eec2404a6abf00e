"""Models for the defaults of containers of references: every way a default can be spelt
(``default=list``, a callable, a constant, none at all), for lists, sorted lists and dicts."""

from __future__ import annotations

from asyncodm import (
    DictField,
    Document,
    ListField,
    MapField,
    ReferenceField,
    SortedListField,
    StringField,
)
from tests.models.refs import Author


class Reading(Document):
    """One container of references per spelling of its default."""

    title = StringField()
    spelt_list = ListField(ReferenceField(Author), default=list)
    unspelt = ListField(ReferenceField(Author))
    by_callable = ListField(ReferenceField(Author), default=list)
    by_constant = ListField(ReferenceField(Author), default=[])
    ranked = SortedListField(ReferenceField(Author), default=list)
    roles = DictField(ReferenceField(Author), default=dict)
    roles_unspelt = MapField(ReferenceField(Author))
    roles_by_callable = DictField(ReferenceField(Author), default=dict)
    meta = {"collection": "readings"}
