"""Custom fields that override MongoEngine's one-argument ``validate(self, value)``.

API.md §3: a field's own ``validate()`` may raise ``ValidationError("message")``; the
document's validation files that message under the field's dotted path like any other, also
inside lists, dicts and embedded documents. No database: these pin the paths and messages.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from asyncodm import (
    DateTimeField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    IntField,
    ListField,
    StringField,
    ValidationError,
)
from asyncodm.fields import BaseField
from asyncodm.fields._checks import file_error


class StrictDateTimeField(DateTimeField):
    """The issue's example: a field that rejects what the built-in field would convert."""

    def validate(self, value: Any) -> None:
        if not isinstance(value, datetime.datetime):
            raise ValidationError(f"must be a datetime not {type(value).__name__}")
        super().validate(value)


class AgeField(IntField):
    """MongoEngine's documented example (guide/validation): built-in checks first."""

    def validate(self, value: Any) -> None:
        super().validate(value)  # IntField's checks: an int within min_value / max_value
        if value == 60:
            self.error("60 is not allowed")


class EvenField(BaseField[int]):
    """A field with no built-in ancestor but BaseField, as MongoEngine users write them."""

    def validate(self, value: Any) -> None:
        if not isinstance(value, int) or value % 2:
            self.error(f"expected an even integer, found {value!r}")


class CvEvent(EmbeddedDocument):
    when = StrictDateTimeField()
    label = StringField(max_length=5)


class CvTimeline(Document):
    start = StrictDateTimeField()
    age = AgeField(min_value=0, max_value=120)
    evens = ListField(EvenField())
    by_day = DictField(StrictDateTimeField())
    main = EmbeddedDocumentField(CvEvent)
    items = EmbeddedDocumentListField(CvEvent)
    required_start = StrictDateTimeField(required=True)


NOW = datetime.datetime(2026, 1, 2, 3, 4, 5)


def errors_of(doc: Document) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        doc.validate()
    return info.value.errors


def test_the_message_is_filed_under_the_top_level_field() -> None:
    doc = CvTimeline(start=5, required_start=NOW)
    assert errors_of(doc) == {"start": "must be a datetime not int"}


def test_a_valid_document_passes() -> None:
    doc = CvTimeline(
        start=NOW,
        age=30,
        evens=[2, 4],
        by_day={"mon": NOW},
        main=CvEvent(when=NOW, label="a"),
        items=[CvEvent(when=NOW)],
        required_start=NOW,
    )
    doc.validate()
    assert doc.is_valid()


def test_messages_inside_lists_dicts_and_embedded_documents_have_dotted_paths() -> None:
    doc = CvTimeline(
        evens=[2, 3, 4, 7],
        by_day={"mon": NOW, "tue": "tomorrow"},
        main=CvEvent(when=1),
        items=[CvEvent(when=NOW), CvEvent(when=NOW), CvEvent(when=3, label="toolong")],
        required_start=NOW,
    )
    assert errors_of(doc) == {
        "evens.1": "expected an even integer, found 3",
        "evens.3": "expected an even integer, found 7",
        "by_day.tue": "must be a datetime not str",
        "main.when": "must be a datetime not int",
        "items.2.when": "must be a datetime not int",
        "items.2.label": "expected at most 5 characters, found 7 characters",
    }


def test_super_validate_runs_the_built_in_checks() -> None:
    assert errors_of(CvTimeline(age=130, required_start=NOW)) == {
        "age": "expected an integer <= 120, found 130"
    }
    assert errors_of(CvTimeline(age=60, required_start=NOW)) == {"age": "60 is not allowed"}
    assert errors_of(CvTimeline(age="x", required_start=NOW)) == {
        "age": "expected an integer, found str 'x'"
    }


def test_none_is_not_handed_to_validate_and_required_still_applies() -> None:
    assert errors_of(CvTimeline()) == {
        "required_start": "expected a datetime, found None (the field is required)"
    }


def test_every_entry_point_honours_the_override() -> None:
    doc = CvTimeline(start="soon", required_start=NOW)
    for check in (doc.validate, doc.full_clean, doc.clean_fields):
        with pytest.raises(ValidationError) as info:
            check()
        assert info.value.errors == {"start": "must be a datetime not str"}
    assert not doc.is_valid()


def test_the_compiled_quick_check_never_vouches_for_a_custom_field() -> None:
    # Built-in fields keep their quick check; a custom one has none, so the full path runs.
    assert IntField().fast_validator() is not None
    assert AgeField().fast_validator() is None
    assert ListField(EvenField()).fast_validator() is None
    assert CvTimeline._check_quick(CvTimeline(start=NOW, required_start=NOW)) is False


def test_built_in_fields_still_collect_through_their_own_checks() -> None:
    # No extra call for built-in fields: what validation calls *is* their checks.
    assert IntField._collect_errors is IntField._builtin_checks
    assert ListField._collect_errors is ListField._builtin_checks
    assert AgeField._collect_errors is BaseField._checks_via_validate
    assert not IntField.custom_validate and AgeField.custom_validate


def test_a_subclass_of_a_custom_field_inherits_its_validate() -> None:
    class Age2(AgeField):
        pass

    errors: dict[str, str] = {}
    Age2(name="age")._collect_errors(60, "people.0.age", errors)
    assert errors == {"people.0.age": "60 is not allowed"}


def test_validate_called_directly_raises_like_mongoengine() -> None:
    field = CvTimeline.age
    with pytest.raises(ValidationError) as info:
        field.validate(60)
    assert info.value.errors == {"age": "60 is not allowed"}
    with pytest.raises(ValidationError) as info:
        IntField(max_value=3, name="n").validate(4)
    assert info.value.errors == {"n": "expected an integer <= 3, found 4"}
    IntField().validate(3)  # fine: returns None


def test_a_built_in_list_validate_names_the_bad_items() -> None:
    with pytest.raises(ValidationError) as info:
        CvTimeline.evens.validate([2, 5])
    assert info.value.errors == {"evens.1": "expected an even integer, found 5"}


def test_error_keeps_mongoengine_signature() -> None:
    field = IntField(name="n")
    with pytest.raises(ValidationError) as info:
        field.error("bad", errors={0: "first", "x": ValidationError("second")})
    assert info.value.errors == {"n.0": "first", "n.x": "second"}
    assert info.value.message == "bad"
    with pytest.raises(ValidationError) as info:
        field.error("bad", field_name="other")
    assert info.value.errors == {"other": "bad"}


def test_nested_errors_of_an_override_are_moved_under_the_path() -> None:
    class Span(BaseField[dict[str, Any]]):
        def validate(self, value: Any) -> None:
            raise ValidationError(errors={"start": "missing", "spans.end": "before start"})

    errors: dict[str, str] = {}
    Span(name="spans")._collect_errors({}, "items.2.spans", errors)
    assert errors == {"items.2.spans.start": "missing", "items.2.spans.end": "before start"}


def test_file_error_rules() -> None:
    found: dict[str, str] = {}
    file_error(ValidationError("plain"), "f", "a.0.f", found)
    file_error(ValidationError(errors={"f": "own"}), "f", "b.f", found)
    file_error(ValidationError(errors={"f.1": "item"}), "f", "c.f", found)
    file_error(ValidationError(errors={"inner": "below"}), "f", "d.f", found)
    file_error(ValidationError(errors={"fx": "not a prefix"}), "f", "e.f", found)
    assert found == {
        "a.0.f": "plain",
        "b.f": "own",
        "c.f.1": "item",
        "d.f.inner": "below",
        "e.f.fx": "not a prefix",
    }


def test_update_operators_validate_through_the_override() -> None:
    # Queryset updates check a single value with ``validate_value`` (MongoEngine issue 453).
    with pytest.raises(ValidationError) as info:
        CvTimeline.age.validate_value(60)
    assert info.value.errors == {"age": "60 is not allowed"}
    CvTimeline.age.validate_value(61)


def test_other_exceptions_of_an_override_propagate() -> None:
    class Broken(IntField):
        def validate(self, value: Any) -> None:
            raise RuntimeError("a bug in the field")

    with pytest.raises(RuntimeError, match="a bug in the field"):
        Broken(name="b").validate_value(1)
