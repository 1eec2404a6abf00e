"""Checked by mypy and pyright (``make lint``), not run by pytest: typed constructors.

A model that mixes in ``asyncodm.TypedInit`` and annotates its fields with their field class
(``title: StringField = StringField()``) gets a constructor type checkers check: keywords,
positional arguments in declaration order and ``**data`` type-check, a misspelt field or a
value of the wrong type does not.

The decision on ``required=True``: every parameter is optional. asyncodm lets a document be
built empty and filled in before it is saved (``post = Post(); post.title = "x"``) and checks
``required`` in ``validate()`` at save time, so making required fields required keywords would
reject code that runs. The checker catches typos and wrong types; ``validate()`` catches
missing values. (The fields are not PEP 681 field specifiers, whose ``default`` parameter would
make every field without one a required parameter: to the checker each field's declared
object is its default.)

Not caught, by design or by the type system: a ``str`` given for a list field (a ``str`` is a
``Sequence[str]``; lists are typed as sequences so a ``list[str]`` variable is accepted), and a
misspelt attribute *assigned* on an instance (documents define ``__setattr__``, which type
checkers consult for unknown names); a misspelt attribute *read* is caught.

Negative cases carry both checkers' ignore comments with the exact error code: mypy runs with
``warn_unused_ignores`` (``strict``) and pyright with ``reportUnnecessaryTypeIgnoreComment``
and without honouring ``# type: ignore``, so a case a checker stopped reporting fails the lint.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from typing_extensions import assert_type

import asyncodm as odm


class User(odm.Document, odm.TypedInit):
    name: odm.StringField = odm.StringField(required=True)


class Comment(odm.EmbeddedDocument, odm.TypedInit):
    content: odm.StringField = odm.StringField()
    votes: odm.IntField = odm.IntField()


class Post(odm.Document, odm.TypedInit):
    title: odm.StringField = odm.StringField(required=True)
    views: odm.IntField = odm.IntField()
    tags: odm.ListField[str] = odm.ListField(odm.StringField())
    comment: odm.EmbeddedDocumentField[Comment] = odm.EmbeddedDocumentField(Comment)
    comments: odm.EmbeddedDocumentListField[Comment] = odm.EmbeddedDocumentListField(Comment)
    author: odm.ReferenceField[User] = odm.ReferenceField(User)
    editors: odm.ListField[odm.Ref[User]] = odm.ListField(odm.ReferenceField(User))


class Feature(Post):
    """A subclass: the parent's fields first, then its own."""

    banner: odm.StringField = odm.StringField()


class Untyped(odm.Document):
    """Without the mixin (the MongoEngine spelling): any keywords, as before."""

    title = odm.StringField()


def valid(data: dict[str, Any], user: User) -> None:
    assert_type(Post(title="x", views=3), Post)
    Post("x", 3)
    Post("x", 3, ["a"])
    Post()  # required fields may be filled in later; validate() checks them at save
    Post(**data)
    Post(title="x", comment=Comment(content="c"), comments=[Comment(), {"content": "d"}])
    Post(comment={"content": "c", "votes": 1})
    Post(author=user, editors=[user, ObjectId()])
    Post(author=ObjectId())
    Post(id=ObjectId(), title="x")
    Post(pk=ObjectId())
    Post(title=None)
    Feature("x", 3, banner="b")
    Comment("c", 1)
    Untyped(title="x", anything="goes")
    post = Post()
    assert_type(post.title, str | None)
    post.title = "x"
    assert_type(post.author, odm.Ref[User] | None)
    assert_type(post.comments, list[Comment] | None)
    # meta versioned: the stored version, read-only (API.md §14 names it with the underscore)
    assert_type(post._version, int | None)  # pyright: ignore[reportPrivateUsage]


def typos_and_wrong_types() -> None:
    Post(titel="x")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Post(views="3")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Post(tags=[1])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
    Post(tags=("a", 2))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Post(comment=User())  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Post(author=Comment())  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Post("x", 3, ["a"], Comment(), [], None, [], "too many")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Comment(content=1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Feature(banner=2)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    post = Post()
    post.views = "3"  # type: ignore[assignment]  # pyright: ignore[reportAttributeAccessIssue]
    print(post.titel)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]
