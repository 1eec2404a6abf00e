"""PyMODM's file classes (``pymodm.files``): asyncodm's, under the same names.

Stage: compat. ``File`` wraps content to store; ``FieldFile`` / ``ImageFieldFile`` are what a
``FileField`` / ``ImageField`` reads as; ``Storage`` is the base class of storages and
``GridFSStorage`` the default one. Reading and writing content is awaited
(``await doc.attachment.read()``).
"""

from __future__ import annotations

from asyncodm.files import FieldFile, File, GridFSStorage, ImageFieldFile, Storage

__all__ = ["FieldFile", "File", "GridFSStorage", "ImageFieldFile", "Storage"]
