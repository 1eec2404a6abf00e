"""The admin tests' blog: contributors, stories with embedded notes, kudos; and the app.

A contributor who wrote a story cannot be deleted (DENY); deleting a story deletes its kudos
(CASCADE). The names are this module's own so no other test's classes are replaced.
"""

from __future__ import annotations

import enum

from starlette.applications import Starlette

from asyncodm import (
    CASCADE,
    DENY,
    BooleanField,
    Document,
    EmailField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EnumField,
    FileField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)
from asyncodm.admin import Admin, ModelView


class Mood(enum.Enum):
    HAPPY = "happy"
    GRUMPY = "grumpy"


class StoryNote(EmbeddedDocument):
    body = StringField(required=True, max_length=40)
    stars = IntField(min_value=0, max_value=5)


class Byline(EmbeddedDocument):
    place = StringField()


class Contributor(Document):
    name = StringField(required=True, max_length=50)
    email = EmailField()


class NewsStory(Document):
    title = StringField(required=True, max_length=60)
    status = StringField(choices=[("draft", "Draft"), ("live", "Live")], default="draft")
    mood = EnumField(Mood)
    views = IntField(min_value=0, default=0)
    featured = BooleanField(default=False)
    tags = ListField(StringField(max_length=20))
    notes = ListField(EmbeddedDocumentField(StoryNote))
    byline = EmbeddedDocumentField(Byline)
    author = ReferenceField(Contributor, reverse_delete_rule=DENY)
    attachment = FileField()


class Kudos(Document):
    story = ReferenceField(NewsStory, reverse_delete_rule=CASCADE)
    who = StringField()


class NewsStoryView(ModelView):
    """A customised view: its list leaves the nested and file columns out."""

    exclude_fields_from_list = ["notes", "byline", "attachment", "mood"]


def make_app() -> Starlette:
    """A Starlette app with the admin at /admin."""
    app = Starlette()
    admin = Admin(title="Newsroom", secret_key="admin-tests")
    admin.add_view(ModelView(Contributor))
    admin.add_view(NewsStoryView(NewsStory, menu_label="News stories"))
    admin.add_view(ModelView(Kudos))
    admin.mount_to(app)
    return app
