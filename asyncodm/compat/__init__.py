"""Dialects for users of the older ODMs: PyMODM, MongoKit, MongoMotor and minimongo.

Stage: compat (the top layer). Each dialect is a thin vocabulary over asyncodm's public API --
the same schema compiler, codec, querysets, references, delete rules, indexes and contexts --
so code written for the older library runs with ``await`` added, and every dialect class is
an ordinary asyncodm document that the native API works on too. No dialect has an engine of
its own: a dialect module imports only what ``asyncodm`` exports publicly (a test pins this).

* ``asyncodm.compat.pymodm``: ``MongoModel``, ``EmbeddedMongoModel``, PyMODM's fields, Meta
  options, QuerySet, Manager, context managers and errors.
* ``asyncodm.compat.mongokit``: dict documents described by a ``structure``.
* ``asyncodm.compat.mongomotor``: MongoEngine's API awaited, with MongoMotor's habits (unset
  references awaitable, MongoEngine's ``connect``/``disconnect``, ``insert``, GridFS extras).
* ``asyncodm.compat.minimongo``: schemaless attribute-dicts over any collection.
"""
