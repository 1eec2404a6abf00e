"""``ImageField``: a ``FileField`` for images, resized on save, with an optional thumbnail.

Stage: fields. Needs Pillow (the ``images`` extra), imported only when an image is processed;
declaring an ``ImageField`` without Pillow installed fails at once with the install command.

Processing (MongoEngine's rules): an image larger than ``size`` is shrunk to fit it (or, with
``force``, scaled and cropped to exactly that size); images are never enlarged. The thumbnail is
stored as its own file of the same storage, and the main file's ``metadata`` records
``width``, ``height``, ``format`` and ``thumbnail_id``, so any GridFS tool sees them. Pillow's
decoding and encoding are CPU work, so they run in a worker thread, off the event loop. An image
must be read whole to be decoded: unlike other files, images are not streamed.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from asyncodm._gridfs._storage import File, FileInfo, Storage
from asyncodm.errors import ConfigurationError, InvalidDocumentError, ODMError, ValidationError
from asyncodm.fields._file import FieldFile, FileField
from asyncodm.fields._spec import frozen_mapping

__all__ = ["ImageField", "ImageFieldFile", "ImageSize"]

_INSTALL = "ImageField needs Pillow: pip install 'asyncodm[images]' (or pip install Pillow)"


@dataclass(frozen=True, slots=True)
class ImageSize:
    """A bounding box: ``(width, height, force)``; ``force`` crops to exactly that size."""

    width: int
    height: int
    force: bool = False


def _size(value: Any, name: str) -> ImageSize | None:
    if value is None:
        return None
    if isinstance(value, ImageSize):
        return value
    if isinstance(value, dict):
        value = (value.get("width"), value.get("height"), value.get("force", False))
    if not isinstance(value, Sequence) or len(value) not in (2, 3):
        raise InvalidDocumentError(
            f"ImageField {name} must be (width, height[, force]), not {value!r}"
        )
    width, height, *rest = value
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        raise InvalidDocumentError(
            f"ImageField {name} needs positive int width and height: {value!r}"
        )
    return ImageSize(width, height, bool(rest[0]) if rest else False)


class ImageFieldFile(FieldFile):
    """An ``ImageField``'s value: a ``FieldFile`` with ``width``, ``height``, ``format`` and
    the ``thumbnail``, read from the file's metadata: known for a document a queryset loaded,
    like every file detail (``await doc.photo.open()`` for a file known by its id alone). The
    thumbnail is a file of its own: its details need ``await doc.photo.thumbnail.open()``."""

    __slots__ = ()

    def _meta(self, key: str) -> Any:
        metadata = self.metadata
        return metadata.get(key) if metadata else None

    @property
    def width(self) -> int | None:
        return self._meta("width")  # type: ignore[no-any-return]

    @property
    def height(self) -> int | None:
        return self._meta("height")  # type: ignore[no-any-return]

    @property
    def format(self) -> str | None:
        return self._meta("format")  # type: ignore[no-any-return]

    @property
    def size(self) -> tuple[int | None, int | None]:
        """``(width, height)`` (MongoEngine's ``size``)."""
        return self.width, self.height

    @property
    def thumbnail_id(self) -> Any:
        return self._meta("thumbnail_id")

    @property
    def thumbnail(self) -> ImageFieldFile | None:
        """The thumbnail as a read-only file (``await doc.photo.thumbnail.read()``), or None."""
        thumb_id = self.thumbnail_id
        if thumb_id is None:
            return None
        return ImageFieldFile(self._instance, self._field, thumb_id, attached=False)


@dataclass(frozen=True, slots=True)
class _Processed:
    data: bytes
    format: str
    width: int
    height: int
    thumbnail: bytes | None
    thumbnail_size: tuple[int, int] | None


class _NotAnImage(Exception):
    pass


class ImageField(FileField):
    """An image file: ``ImageField(size=(800, 600, True), thumbnail_size=(64, 64))``.

    Args:
        size: Shrink larger images to fit ``(width, height)``; with a third item ``True``,
            scale and crop to exactly that size.
        thumbnail_size: Also store a thumbnail of that size (same rule for ``force``).
        storage: As for ``FileField``.

    Content that Pillow cannot read fails the save (or ``put``) with a ``ValidationError``
    naming the field.
    """

    value_class: ClassVar[type[FieldFile]] = ImageFieldFile
    streams: ClassVar[bool] = False
    expected = "an image (a File, bytes, a file object or a stored file's id)"

    def __init__(
        self,
        size: Any = None,
        thumbnail_size: Any = None,
        storage: Storage | None = None,
        **kwargs: Any,
    ) -> None:
        if importlib.util.find_spec("PIL") is None:
            raise ConfigurationError(_INSTALL)
        self.size = _size(size, "size")
        self.thumbnail_size = _size(thumbnail_size, "thumbnail_size")
        super().__init__(storage, **kwargs)

    kind = "image"

    def _describe(self) -> dict[str, Any]:
        spec = super()._describe()
        sizes = {"size": self.size, "thumbnail_size": self.thumbnail_size}
        boxes = {k: (v.width, v.height, v.force) for k, v in sizes.items() if v is not None}
        return {**spec, "options": frozen_mapping(spec["options"], **boxes)}

    async def store(self, content: File, *, alias: str, session: Any) -> FileInfo:
        data = await content.read()
        try:
            done = await asyncio.to_thread(_process, data, self.size, self.thumbnail_size)
        except _NotAnImage as exc:
            owner = self.owner.__name__ if self.owner is not None else None
            found = f"{len(data)} bytes" + (f" named {content.name!r}" if content.name else "")
            raise ValidationError(
                errors={self.name: f"expected an image Pillow can read, found {found} ({exc})"},
                model=owner,
            ) from exc
        mime = _mime(done.format)
        details: dict[str, Any] = {
            "width": done.width,
            "height": done.height,
            "format": done.format,
        }
        thumb: FileInfo | None = None
        if done.thumbnail is not None and done.thumbnail_size is not None:
            width, height = done.thumbnail_size
            thumb = await self.storage.save(
                content.name,
                File(done.thumbnail),
                {"width": width, "height": height, "format": done.format, "thumbnail": True},
                content_type=mime,
                file_id=self.storage.new_id(),
                alias=alias,
                session=session,
            )
            details["thumbnail_id"] = thumb.file_id
        extras = {"extras": content.extras} if content.extras else {}
        try:
            return await self.storage.save(
                content.name,
                File(done.data),
                {**(content.metadata or {}), **details},
                content_type=content.content_type or mime,
                file_id=self.storage.new_id(),
                alias=alias,
                session=session,
                **extras,
            )
        except BaseException:
            if thumb is not None:
                with contextlib.suppress(ODMError):
                    await self.storage.delete(thumb.file_id, alias=alias, session=session)
            raise

    async def discard(
        self, file_id: Any, *, info: FileInfo | None, alias: str, session: Any
    ) -> None:
        if info is None:
            info = await self.storage.info(file_id, alias=alias, session=session)
        thumb_id = (info.metadata or {}).get("thumbnail_id") if info is not None else None
        await self.storage.delete(file_id, alias=alias, session=session)
        if thumb_id is not None:
            await self.storage.delete(thumb_id, alias=alias, session=session)


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - checked when the field is declared
        raise ConfigurationError(_INSTALL) from exc
    return Image


def _mime(fmt: str) -> str | None:
    mime: str | None = _pillow().MIME.get(fmt)
    return mime


def _process(data: bytes, size: ImageSize | None, thumb: ImageSize | None) -> _Processed:
    """Decode, check, resize and make the thumbnail (runs in a worker thread)."""
    image_module = _pillow()
    from PIL import ImageOps

    try:
        image = image_module.open(io.BytesIO(data))
        image.load()
    except (OSError, SyntaxError, ValueError, image_module.DecompressionBombError) as exc:
        raise _NotAnImage(str(exc) or type(exc).__name__) from exc
    fmt: str = image.format or "PNG"
    lanczos = image_module.Resampling.LANCZOS
    out = data
    if size is not None and (image.width > size.width or image.height > size.height):
        if size.force:
            image = ImageOps.fit(image, (size.width, size.height), lanczos)
        else:
            image.thumbnail((size.width, size.height), lanczos)
        out = _encode(image, fmt)
    thumbnail: bytes | None = None
    thumb_dims: tuple[int, int] | None = None
    if thumb is not None:
        if thumb.force:
            small = ImageOps.fit(image, (thumb.width, thumb.height), lanczos)
        else:
            small = image.copy()
            small.thumbnail((thumb.width, thumb.height), lanczos)
        thumbnail = _encode(small, fmt)
        thumb_dims = (small.width, small.height)
    return _Processed(out, fmt, image.width, image.height, thumbnail, thumb_dims)


def _encode(image: Any, fmt: str) -> bytes:
    if fmt == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()
