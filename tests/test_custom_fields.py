"""Custom fields with MongoEngine's ``validate(self, value)`` reject documents at save, on every
backend: the message is filed under the field's dotted path and nothing is written (read back
through the driver)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from asyncodm import (
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    IntField,
    ListField,
    ValidationError,
)
from tests._backends import Backend

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5)


class StrictWhen(DateTimeField):
    def validate(self, value: Any) -> None:
        if not isinstance(value, datetime.datetime):
            raise ValidationError(f"must be a datetime not {type(value).__name__}")
        super().validate(value)


class CfAge(IntField):
    def validate(self, value: Any) -> None:
        super().validate(value)
        if value == 60:
            self.error("60 is not allowed")


class CfStep(EmbeddedDocument):
    when = StrictWhen()


class CfPlan(Document):
    start = StrictWhen()
    age = CfAge(min_value=0)
    moments = ListField(StrictWhen())
    steps = EmbeddedDocumentListField(CfStep)


async def stored(backend: Backend) -> list[dict[str, Any]]:
    return [d async for d in backend.db["cf_plan"].find({})]


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"start": 5}, {"start": "must be a datetime not int"}),
        ({"age": 60}, {"age": "60 is not allowed"}),
        ({"age": -1}, {"age": "expected an integer >= 0, found -1"}),
        ({"moments": [NOW, "later"]}, {"moments.1": "must be a datetime not str"}),
        (
            {"steps": [CfStep(when=NOW), CfStep(when=NOW), CfStep(when=7)]},
            {"steps.2.when": "must be a datetime not int"},
        ),
    ],
)
async def test_save_files_the_message_under_the_path_and_writes_nothing(
    backend: Backend, values: dict[str, Any], errors: dict[str, str]
) -> None:
    with pytest.raises(ValidationError) as info:
        await CfPlan(**values).save()
    assert info.value.errors == errors
    assert info.value.model == "CfPlan"
    assert await stored(backend) == []


async def test_a_valid_document_is_saved_and_a_bad_change_is_not(backend: Backend) -> None:
    plan = await CfPlan(start=NOW, age=30, moments=[NOW], steps=[CfStep(when=NOW)]).save()
    [raw] = await stored(backend)
    assert raw == {
        "_id": plan.pk,
        "start": NOW,
        "age": 30,
        "moments": [NOW],
        "steps": [{"when": NOW}],
    }
    loaded = await CfPlan.objects.get(pk=plan.pk)
    loaded.steps[0].when = "noon"  # type: ignore[assignment]
    with pytest.raises(ValidationError) as info:
        await loaded.save()
    assert info.value.errors == {"steps.0.when": "must be a datetime not str"}
    assert await stored(backend) == [raw]


async def test_queryset_updates_run_the_override(backend: Backend) -> None:
    plan = await CfPlan(age=30).save()
    with pytest.raises(ValidationError) as info:
        await CfPlan.objects(pk=plan.pk).update(set__age=60)
    assert info.value.errors == {"age": "60 is not allowed"}
    [raw] = await stored(backend)
    assert raw["age"] == 30
