"""Checked by mypy and pyright (``make lint``), not run by pytest: references are typed.

``post.author`` is a ``Ref[User] | None`` (``post.author.pk`` needs no query) and awaiting it
gives a ``User``; a list of references awaits to ``list[User]`` in one query; a generic
reference to a ``Document``. Inside ``no_auto_dereference`` references read as raw ids, which
no annotation can follow: the types below are those of the default, dereferencing reads.
"""

from __future__ import annotations

from typing import Any

from bson import DBRef, ObjectId
from typing_extensions import assert_type

import asyncodm as odm
from asyncodm.fields import Ref, RefList


class User(odm.Document):
    name = odm.StringField(required=True)


class Comment(odm.EmbeddedDocument):
    content = odm.StringField()


class Post(odm.Document):
    title = odm.StringField(required=True)
    author = odm.ReferenceField(User)
    editors = odm.ListField(odm.ReferenceField(User))
    by_role = odm.DictField(odm.ReferenceField(User))
    named = odm.ReferenceField("User")
    anything = odm.GenericReferenceField()
    comment = odm.EmbeddedDocumentField(Comment)
    comments = odm.EmbeddedDocumentListField(Comment)
    tags = odm.ListField(odm.StringField())


class Node(odm.Document):
    """A target named by a string reads as ``Ref[Any]``; annotate the field to name its type."""

    parent: odm.ReferenceField[Node] = odm.ReferenceField("self")
    owner: odm.ReferenceField[User] = odm.ReferenceField("User")


async def forward_references(n: Node) -> None:
    assert_type(n.parent, Ref[Node] | None)
    assert n.owner is not None
    assert_type(await n.owner, User)


async def reads(p: Post) -> None:
    assert_type(p.author, Ref[User] | None)
    assert p.author is not None
    assert_type(p.author.pk, Any)
    a = await p.author
    assert_type(a, User)
    assert_type(a.name, str | None)
    assert_type(await p.author.fetch(), User | None)
    assert_type(p.editors, RefList[User] | None)
    assert p.editors is not None
    assert_type(await p.editors, list[User])
    for ref in p.editors:
        assert_type(ref, Ref[User])
    assert p.by_role is not None
    assert_type(await p.by_role, dict[str, User])
    assert p.anything is not None
    assert_type(await p.anything, odm.Document)
    assert_type(p.named, Ref[Any] | None)
    assert_type(Post.author, odm.ReferenceField[User])
    assert_type(p.tags, list[str] | None)
    assert_type(p.comments, list[Comment] | None)


async def writes(p: Post, u: User) -> None:
    p.author = u
    p.author = Ref(User, ObjectId())
    p.author = ObjectId()
    p.author = DBRef("user", ObjectId())
    p.author = None
    p.editors = [u, ObjectId()]
    p.by_role = {"lead": u}
    p.anything = u
    p.comment = Comment(content="x")
    p.comment = {"content": "x"}
    p.comments = [Comment(content="x"), {"content": "y"}]
    p.tags = ["a", "b"]


async def instance_methods(p: Post) -> None:
    assert_type(await p.save(), Post)
    assert_type(await p.reload(), Post)
    assert_type(await p.reload("title"), Post)
    assert_type(await p.refresh_from_db(), Post)
    assert_type(await p.modify(set__title="x"), bool)  # False if nothing matched (API.md §2)
    assert_type(await p.update(inc__views=1), int)
    assert_type(Post.from_son({"title": "x"}), Post)
    assert_type(Post.from_json("{}"), Post)
