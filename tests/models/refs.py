"""Models for references and delete rules: authors, posts, pages, a three-model cascade chain,
a cycle, and rules declared on an abstract parent and on a class defined after its target."""

from __future__ import annotations

from asyncodm import (
    CASCADE,
    DENY,
    NULLIFY,
    PULL,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    GenericReferenceField,
    ListField,
    ReferenceField,
    StringField,
)


class Author(Document):
    name = StringField(required=True)


class Reply(EmbeddedDocument):
    text = StringField()
    by = ReferenceField(Author)


class Post(Document):
    title = StringField()
    author = ReferenceField(Author, reverse_delete_rule=CASCADE)
    editor = ReferenceField("Author", reverse_delete_rule=NULLIFY, null=True)
    reviewers = ListField(ReferenceField(Author), default=list)
    by_role = DictField(ReferenceField(Author))
    reply = EmbeddedDocumentField(Reply)


class Bookmark(Document):
    """Defined after Post and referring to it by name: its rules still apply."""

    post = ReferenceField("Post", reverse_delete_rule=CASCADE)
    note = StringField()


class Blocker(Document):
    author = ReferenceField(Author, reverse_delete_rule=DENY)


class Team(Document):
    members = ListField(ReferenceField(Author, reverse_delete_rule=PULL))


class Owned(Document):
    """An abstract parent declaring the rule; each concrete child inherits it."""

    owner = ReferenceField(Author, reverse_delete_rule=NULLIFY)
    meta = {"abstract": True}


class Car(Owned):
    model = StringField()


class Chicken(Document):
    """Half of a cycle: Chicken and Egg cascade into each other."""

    name = StringField()
    egg = ReferenceField("Egg", reverse_delete_rule=CASCADE)


class Egg(Document):
    name = StringField()
    chicken = ReferenceField(Chicken, reverse_delete_rule=CASCADE)


class Like(Document):
    target = GenericReferenceField(choices=[Post, Author])
