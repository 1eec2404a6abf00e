"""PyMODM, awaited: ``from asyncodm.compat.pymodm import MongoModel, EmbeddedMongoModel, fields``.

Stage: compat. Code written for PyMODM runs with ``await`` added where it touches the
database (``save``, ``delete``, ``refresh_from_db``, queryset results, dereferencing); every
model is an asyncodm document, so the native API works on it too. Modules mirror PyMODM's:
``fields``, ``queryset``, ``manager``, ``context_managers``, ``errors``, ``files``,
``validators``, ``connection``.

Example:
    ```python
    from asyncodm.compat.pymodm import MongoModel, connect, fields

    connect("mongodb://localhost:27017/myDatabase", alias="my-app")


    class User(MongoModel):
        email = fields.EmailField(primary_key=True)
        first_name = fields.CharField()
        last_name = fields.CharField()

        class Meta:
            connection_alias = "my-app"


    await User("user@email.com", "Bob", "Ross").save()
    ```
"""

from __future__ import annotations

from asyncodm.compat.pymodm import errors, fields
from asyncodm.compat.pymodm.connection import connect
from asyncodm.compat.pymodm.fields import *  # noqa: F403 - PyMODM exports every field here
from asyncodm.compat.pymodm.fields import __all__ as _field_names
from asyncodm.compat.pymodm.models import EmbeddedMongoModel, MongoModel

__all__ = ["EmbeddedMongoModel", "MongoModel", "connect", "errors", "fields", *_field_names]
