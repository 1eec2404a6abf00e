"""MongoMotor, on asyncodm: ``from asyncodm.compat.mongomotor import Document, fields, connect``.

Stage: compat. Code written for MongoMotor (MongoEngine's API, awaited) runs with only its
imports changed; every class is an asyncodm document, so the native API works on it too.
Modules mirror MongoMotor's and MongoEngine's: ``fields``, ``queryset``, ``connection``,
``signals``, ``errors``, ``context_managers``, ``document``.

The habits kept where asyncodm's own API differs:

* an unset reference awaits to ``None`` (``await doc.ref``); a set one to the document;
* ``connect(db=None, alias="default", host=..., port=..., ...)`` takes MongoEngine's
  settings, and ``disconnect()`` works without ``await``;
* ``Doc.objects.insert(doc_or_docs, load_bulk=True)`` is MongoEngine's;
* ``FileField`` values keep ``put()`` extras (``mime_type=...``) readable as attributes.

Example:
    ```python
    from asyncodm.compat.mongomotor import Document, connect, disconnect, fields

    connect("blog", host="mongodb://localhost:27017")


    class Post(Document):
        title = fields.StringField()
        author = fields.ReferenceField("User")


    post = await Post(title="hi").save()
    assert await post.author is None
    disconnect()
    ```
"""

from __future__ import annotations

from asyncodm.compat.mongomotor import context_managers, errors, fields, signals
from asyncodm.compat.mongomotor.connection import (
    DEFAULT_CONNECTION_NAME,
    connect,
    disconnect,
    disconnect_all,
    get_connection,
    get_db,
    register_connection,
)
from asyncodm.compat.mongomotor.document import (
    Document,
    DynamicDocument,
    DynamicEmbeddedDocument,
    EmbeddedDocument,
)
from asyncodm.compat.mongomotor.fields import (
    CASCADE,
    DENY,
    DO_NOTHING,
    NULLIFY,
    PULL,
)
from asyncodm.compat.mongomotor.queryset import Q, QuerySet

__all__ = [
    "CASCADE",
    "DEFAULT_CONNECTION_NAME",
    "DENY",
    "DO_NOTHING",
    "NULLIFY",
    "PULL",
    "Document",
    "DynamicDocument",
    "DynamicEmbeddedDocument",
    "EmbeddedDocument",
    "Q",
    "QuerySet",
    "connect",
    "context_managers",
    "disconnect",
    "disconnect_all",
    "errors",
    "fields",
    "get_connection",
    "get_db",
    "register_connection",
    "signals",
]
