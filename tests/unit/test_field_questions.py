"""Fields answer the questions other stages used to ask with ``isinstance``: how they hold
references, which values their ``coerce`` keeps, whether a primary key is generated, and
whether they have save- or delete-time work (which the class record then lists)."""

from __future__ import annotations

import datetime
from typing import Any

from asyncodm import (
    DateTimeField,
    DictField,
    Document,
    FileField,
    GenericReferenceField,
    ListField,
    ObjectIdField,
    ReferenceField,
    SequenceField,
    StringField,
)
from asyncodm._types import DeleteRule
from asyncodm.fields._base import Container


class QuestionTarget(Document):
    meta = {"collection": "question_targets"}


def test_references_say_how_they_are_held() -> None:
    one = ReferenceField(QuestionTarget, reverse_delete_rule=DeleteRule.NULLIFY).references()
    assert one is not None and one.container is Container.NONE and not one.generic
    assert one.targets == ("QuestionTarget",) and one.rule == DeleteRule.NULLIFY
    item = ReferenceField(QuestionTarget)
    listed = ListField(item).references()
    assert listed is not None and listed.container is Container.LIST and listed.field is item
    held = DictField(GenericReferenceField()).references()
    assert held is not None and held.container is Container.DICT and held.generic
    assert held.targets == ("*",)
    assert ListField(ListField(ReferenceField(QuestionTarget))).references() is None
    assert StringField().references() is None


def test_coerce_keeps_holds_only_for_the_class_that_defines_coerce() -> None:
    class Stamp(DateTimeField):
        pass

    class Rounded(DateTimeField):
        def coerce(self, value: Any) -> Any:
            return value

    assert DateTimeField().coerce_keeps_types() == (datetime.datetime,)
    assert Stamp().coerce_keeps_types() == (datetime.datetime,)
    assert Rounded().coerce_keeps_types() == ()
    assert StringField().coerce_keeps_types() == ()


def test_an_objectid_primary_key_is_generated() -> None:
    pk = ObjectIdField(primary_key=True)
    assert pk.generates_id and not pk.required
    assert not StringField(primary_key=True).generates_id


def test_the_record_lists_save_work_in_save_order() -> None:
    class QuestionInvoice(Document):
        scan = FileField()
        number = SequenceField()
        title = StringField()
        meta = {"collection": "question_invoices"}

    record: Any = QuestionInvoice._schema
    assert record.save_work == (
        QuestionInvoice.number,
        QuestionInvoice.scan,
    )  # sequences before uploads
    assert record.delete_work == (QuestionInvoice.scan,)
