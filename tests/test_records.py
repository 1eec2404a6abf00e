"""The per-class record decides what save, delete and dereference do: no import order, no
global lists, nothing left behind by ``registry.reset()``.

A reference handle fetches through its document class in a fresh interpreter that imported
only ``asyncodm``; a ``FileField`` declared by one test adds no work to another model's saves;
a delete rule declared by a class of one test no longer applies once the registry is reset.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from asyncodm import CASCADE, Document, FileField, ReferenceField, StringField
from asyncodm._registry import registry
from tests._backends import Backend


@pytest.fixture
def own_models() -> Iterator[None]:
    """Models defined inside a test (and their rules) leave the registry when it ends."""
    saved = registry.snapshot()
    try:
        yield
    finally:
        registry.restore(saved)


def test_ref_fetch_works_after_importing_only_asyncodm() -> None:
    script = textwrap.dedent(
        """
        import asyncio
        import sys

        import asyncodm

        assert "asyncodm._io._field_hooks" not in sys.modules

        class Person(asyncodm.Document):
            name = asyncodm.StringField()

        class Note(asyncodm.Document):
            author = asyncodm.ReferenceField(Person)

        async def main():
            asyncodm.connect("mongomock://localhost/records_fresh")
            ann = await Person(name="Ann").save()
            note = await Note(author=ann).save()
            loaded = await Note.objects.get(pk=note.pk)
            fetched = await loaded.author.fetch()
            assert fetched.name == "Ann", fetched
            again = await Note.objects.get(pk=note.pk)
            assert (await again.author).name == "Ann"
            print("fetched", fetched.name)

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "fetched Ann"


@pytest.mark.usefixtures("own_models")
@pytest.mark.needs("command_monitoring")
async def test_a_file_field_of_another_test_adds_no_work_to_saves(backend: Backend) -> None:
    class WithFile(Document):
        body = FileField()
        meta = {"collection": "records_with_file"}

    assert WithFile._schema.save_work == (WithFile.body,)
    registry.reset()

    class Plain(Document):
        title = StringField()
        meta = {"collection": "records_plain"}

    assert Plain._schema.save_work == () and Plain._schema.delete_work == ()
    with backend.query_counter() as q:
        doc = await Plain(title="a").save()
        doc.title = "b"
        await doc.save()
        await doc.delete()
        await Plain(title="c").save()
        assert await Plain.objects.delete() == 1
    assert q.names == ["insert", "update", "delete", "insert", "delete"]
    assert not any(".files" in str(c) or ".chunks" in str(c) for c in q.commands)


@pytest.mark.usefixtures("own_models")
async def test_a_delete_rule_of_another_test_is_gone_after_reset(backend: Backend) -> None:
    class Owner(Document):
        name = StringField()
        meta = {"collection": "records_owners"}

    class Pet(Document):
        owner = ReferenceField(Owner, reverse_delete_rule=CASCADE)
        meta = {"collection": "records_pets"}

    assert [r.referrer for r in registry.rules_for(Owner)] == [Pet]
    ann = await Owner(name="Ann").save()
    await Pet(owner=ann).save()
    registry.reset()
    assert registry.rules_for(Owner) == [] and registry.rules == []
    assert registry.find("Owner") is None and registry.find("Pet") is None
    await ann.delete()
    assert await backend.db["records_pets"].count_documents({}) == 1  # no CASCADE any more


@pytest.mark.usefixtures("own_models")
async def test_another_class_of_the_same_name_neither_takes_nor_hides_a_rule(
    backend: Backend,
) -> None:
    """Two modules may each define an ``Owner``: a rule declared with the class object stays
    with that class (a name-only lookup found the newest ``Owner`` and dropped the rule)."""

    class Owner(Document):
        name = StringField()
        meta = {"collection": "records_owners"}

    class Pet(Document):
        owner = ReferenceField(Owner, reverse_delete_rule=CASCADE)
        meta = {"collection": "records_pets"}

    first = Owner

    class Owner(Document):  # type: ignore[no-redef]  # another module's Owner
        name = StringField()
        meta = {"collection": "records_other_owners"}

    assert [r.referrer for r in registry.rules_for(first)] == [Pet]
    assert registry.rules_for(Owner) == []
    ann = await first(name="Ann").save()
    await Pet(owner=ann).save()
    other = await Owner(name="Bob").save()
    await other.delete()  # not the rule's Owner: the pet stays
    assert await backend.db["records_pets"].count_documents({}) == 1
    await ann.delete()  # CASCADE
    assert await backend.db["records_pets"].count_documents({}) == 0


def test_the_record_lists_only_what_a_class_needs(own_models: None) -> None:
    class Target(Document):
        pass

    class Holder(Document):
        one = ReferenceField(Target)
        name = StringField()
        meta = {"collection": "records_holders"}

    record: Any = Holder._schema
    assert record.reference_fields == (("one", "one"),)
    assert record.save_work == () and record.delete_work == () and record.delete_rules == ()
    assert record.index_plans == ()
