"""Files in documents: ``FileField`` / ``ImageField`` values and where their content is kept.

Re-exports only (PyMODM's ``pymodm.files`` names): ``File`` wraps content to store,
``FieldFile`` / ``ImageFieldFile`` are what the fields read as, ``Storage`` is the base class of
storages and ``GridFSStorage`` the default one. ``FileInfo`` is a stored file's record,
``GridFSBucket`` the async bucket behind ``GridFSStorage`` (``storage.bucket(alias)``), and
``NoFile`` the error for a missing file (a ``DoesNotExist``).
"""

from asyncodm._gridfs._bucket import CorruptFile, FileInfo, GridFSBucket, NoFile
from asyncodm._gridfs._storage import DEFAULT_CHUNK_SIZE, File, FileReader, GridFSStorage, Storage
from asyncodm.fields._fieldfile import FieldFile
from asyncodm.fields._image import ImageFieldFile

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "CorruptFile",
    "FieldFile",
    "File",
    "FileInfo",
    "FileReader",
    "GridFSBucket",
    "GridFSStorage",
    "ImageFieldFile",
    "NoFile",
    "Storage",
]
