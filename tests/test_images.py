"""ImageField on every backend: resizing (cropped with ``force``, shrunk to fit without),
thumbnails stored as their own GridFS files and referenced from the image's metadata, width /
height / format on the value, non-images refused by name, and no orphaned thumbnails."""

from __future__ import annotations

import importlib.util
import io
from typing import Any

import pytest
from PIL import Image

import asyncodm
from asyncodm import (
    ConfigurationError,
    Document,
    File,
    FileField,
    GridFSStorage,
    ImageField,
    InvalidDocumentError,
    NotUniqueError,
    StringField,
    ValidationError,
)
from asyncodm.files import ImageFieldFile
from asyncodm.testing import assert_num_queries, capture_commands
from tests._backends import Backend
from tests.models.media import Photo, Scan


def image_bytes(size: tuple[int, int], fmt: str = "PNG", color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


NX_METADATA_JSON = (
    "nx-27017 keeps GridFS metadata as JSON and refuses the thumbnail's ObjectId in it"
)
nx_thumbnails = pytest.mark.xfail_backend(
    "nx", reason=NX_METADATA_JSON, raises=asyncodm.OperationError
)


async def files_in(backend: Backend, bucket: str = "fs") -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await backend.db[f"{bucket}.files"].find({}).to_list(None)
    return found


@nx_thumbnails
async def test_a_large_image_is_cropped_to_size_and_gets_a_thumbnail(backend: Backend) -> None:
    photo = Photo(caption="wide", image=image_bytes((200, 100)))
    await photo.save()
    image = photo.image
    assert isinstance(image, ImageFieldFile)
    assert (image.width, image.height, image.format) == (80, 60, "PNG")
    assert image.size == (80, 60)
    assert decode(await image.read()).size == (80, 60)
    thumbnail = image.thumbnail
    assert thumbnail is not None and thumbnail.file_id == image.metadata["thumbnail_id"]  # type: ignore[index]
    assert decode(await thumbnail.read()).size == (16, 12)  # fits 16x16, aspect kept
    by_id = {f["_id"]: f for f in await files_in(backend)}
    assert set(by_id) == {image.file_id, thumbnail.file_id}
    assert by_id[image.file_id]["metadata"] == {
        "width": 80,
        "height": 60,
        "format": "PNG",
        "thumbnail_id": thumbnail.file_id,
    }
    assert by_id[thumbnail.file_id]["metadata"]["thumbnail"] is True


async def test_without_force_an_image_is_shrunk_to_fit(backend: Backend) -> None:
    scan = Scan(page=image_bytes((200, 100), "JPEG"))
    await scan.save()
    assert (scan.page.width, scan.page.height, scan.page.format) == (50, 25, "JPEG")
    assert scan.page.thumbnail is None
    assert decode(await scan.page.read()).size == (50, 25)
    assert len(await files_in(backend, "scans")) == 1


async def test_a_small_image_is_stored_as_it_came(backend: Backend) -> None:
    original = image_bytes((30, 20), "GIF")
    scan = Scan(page=original)
    await scan.save()
    assert (scan.page.width, scan.page.height, scan.page.format) == (30, 20, "GIF")
    assert await scan.page.read() == original


async def test_a_loaded_image_reads_its_details_without_an_await(backend: Backend) -> None:
    await Scan(page=image_bytes((100, 100))).save()
    async with assert_num_queries(2):  # the scan, then its files document
        loaded = await Scan.objects.first()
    assert loaded is not None
    async with assert_num_queries(0):
        assert (loaded.page.width, loaded.page.height, loaded.page.format) == (50, 50, "PNG")
        assert loaded.page.size == (50, 50)
    [raw] = await files_in(backend, "scans")
    assert raw["metadata"] == {"width": 50, "height": 50, "format": "PNG"}
    by_id = Scan._from_son(await backend.db["scans"].find_one({}))  # known by its id alone
    with pytest.raises(asyncodm.OperationError, match=r"`await doc.page.open\(\)`"):
        _ = by_id.page.width
    await by_id.page.open()
    assert by_id.page.size == (50, 50)


@nx_thumbnails
async def test_a_loaded_image_reads_its_thumbnail(backend: Backend) -> None:
    await Photo(caption="c", image=image_bytes((100, 100))).save()
    loaded = await Photo.objects.get(caption="c")
    assert (loaded.image.width, loaded.image.height) == (80, 60)
    thumbnail = loaded.image.thumbnail
    assert thumbnail is not None
    with pytest.raises(asyncodm.OperationError, match="not loaded"):
        _ = thumbnail.width  # a file of its own, not fetched with the batch
    assert decode(await thumbnail.read()).size == (16, 12)
    assert thumbnail.size == (16, 12)  # its metadata, known once read


class Listing(Document):
    title = StringField()
    brochure = FileField()
    picture = ImageField(size=(20, 20), storage=GridFSStorage("images"))
    meta = {"collection": "listings"}


async def test_files_and_images_in_two_buckets_cost_one_query_each_per_batch(
    backend: Backend,
) -> None:
    for i in range(3):
        listing = Listing(title=f"l{i}", brochure=File(b"pdf" * i, name=f"b{i}.pdf"))
        listing.picture = File(image_bytes((40, 10 * (i + 1))), name=f"p{i}.png")
        await listing.save()
    async with capture_commands() as log:
        listings = await Listing.objects.order_by("title").batch_size(2).to_list()
    per_batch = [("find", "fs.files"), ("find", "images.files")]
    assert [(c.name, c.collection) for c in log.commands] == [("find", "listings"), *per_batch * 2]
    pictures = {f["_id"]: f for f in await files_in(backend, "images")}
    async with assert_num_queries(0):
        for i, listing in enumerate(listings):
            assert listing.brochure.filename == f"b{i}.pdf" and listing.brochure.length == 3 * i
            picture = pictures[listing.picture.file_id]
            assert listing.picture.metadata == picture["metadata"]
            assert listing.picture.size == (20, 5 * (i + 1)) and listing.picture.format == "PNG"
            assert listing.picture.filename == picture["filename"] == f"p{i}.png"


@pytest.mark.xfail_backend(
    "nx", reason="nx-27017 keeps no contentType in its GridFS table", raises=AssertionError
)
async def test_the_content_type_follows_the_format(backend: Backend) -> None:
    await Scan(page=image_bytes((10, 10), "JPEG")).save()
    loaded = await Scan.objects.first()
    assert loaded is not None
    await loaded.page.open()
    assert loaded.page.content_type == "image/jpeg"


async def test_put_processes_the_image_too(backend: Backend) -> None:
    scan = Scan()
    await scan.page.put(image_bytes((400, 300)), filename="big.png", metadata={"taken_by": "me"})
    assert (scan.page.width, scan.page.height) == (50, 38)
    assert scan.page.metadata is not None and scan.page.metadata["taken_by"] == "me"
    assert scan.page.filename == "big.png"
    await scan.save()
    [raw] = await files_in(backend, "scans")
    assert raw["metadata"] == {"taken_by": "me", "width": 50, "height": 38, "format": "PNG"}


@pytest.mark.xfail_backend(
    "nx",
    reason="nx-27017 keeps <bucket>.files in a fixed SQLite table: keys beyond the spec's are "
    "dropped",
    raises=KeyError,
)
async def test_put_keywords_of_an_image_are_files_document_fields(backend: Backend) -> None:
    scan = Scan()
    await scan.page.put(image_bytes((10, 10)), filename="small.png", taken_by="me")
    await scan.save()
    [raw] = await files_in(backend, "scans")
    assert raw["taken_by"] == "me" and "taken_by" not in raw["metadata"]
    loaded = await Scan.objects.get(id=scan.id)
    assert loaded.page.gridout.taken_by == "me" and loaded.page.width == 10


async def test_content_that_is_no_image_is_a_validation_error_naming_the_field(
    backend: Backend,
) -> None:
    photo = Photo(caption="x", image=b"%PDF-1.4 certainly not an image")
    with pytest.raises(ValidationError) as info:
        await photo.save()
    assert list(info.value.errors) == ["image"]
    assert "expected an image" in info.value.errors["image"]
    assert await files_in(backend) == []
    assert await backend.db["photos"].find({}).to_list(None) == []
    with pytest.raises(ValidationError, match="page"):
        await Scan().page.put(b"not an image either")
    assert await files_in(backend, "scans") == []


WITH_AND_WITHOUT_THUMBNAIL = [
    pytest.param((8, 8), 2, id="thumbnail", marks=nx_thumbnails),
    pytest.param(None, 1, id="no-thumbnail"),
]


def poster_model(thumbnail_size: Any) -> type[Document]:
    class Poster(Document):
        title = StringField(unique=True)
        art = ImageField(size=(40, 40), thumbnail_size=thumbnail_size)
        meta = {"collection": "posters"}

    return Poster


@pytest.mark.parametrize(("thumbnail_size", "per_image"), WITH_AND_WITHOUT_THUMBNAIL)
async def test_deleting_the_document_deletes_image_and_thumbnail(
    backend: Backend, thumbnail_size: Any, per_image: int
) -> None:
    poster = poster_model(thumbnail_size)(title="gone", art=image_bytes((100, 100)))
    await poster.save()
    assert len(await files_in(backend)) == per_image
    await poster.delete()
    assert await files_in(backend) == []


@nx_thumbnails
async def test_a_queryset_delete_finds_the_thumbnails_in_the_loaded_records(
    backend: Backend,
) -> None:
    for i in range(3):
        await Photo(caption=f"c{i}", image=image_bytes((100, 100))).save()
    assert len(await files_in(backend)) == 6  # three images, three thumbnails
    async with capture_commands() as log:
        assert await Photo.objects.delete() == 3
    looked_up = [c for c in log.commands if c.collection == "fs.files" and c.name == "find"]
    assert len(looked_up) == 1  # the batch's records, not one query per image
    assert await files_in(backend) == []


@pytest.mark.parametrize(("thumbnail_size", "per_image"), WITH_AND_WITHOUT_THUMBNAIL)
async def test_replacing_an_image_deletes_the_old_one_and_its_thumbnail(
    backend: Backend, thumbnail_size: Any, per_image: int
) -> None:
    model = poster_model(thumbnail_size)
    await model(title="v", art=image_bytes((100, 100), color="red")).save()
    old = {f["_id"] for f in await files_in(backend)}
    loaded = await model.objects.get(title="v")  # details not loaded: found by lookup
    loaded.art = image_bytes((100, 100), color="blue")  # type: ignore[attr-defined]
    await loaded.save()
    now = {f["_id"] for f in await files_in(backend)}
    assert len(now) == per_image and not (now & old)


@pytest.mark.parametrize(("thumbnail_size", "per_image"), WITH_AND_WITHOUT_THUMBNAIL)
async def test_a_failed_save_removes_image_and_thumbnail(
    backend: Backend, thumbnail_size: Any, per_image: int
) -> None:
    model = poster_model(thumbnail_size)
    await model.ensure_indexes()  # type: ignore[attr-defined]
    await model(title="same", art=image_bytes((20, 20))).save()
    before = await files_in(backend)
    assert len(before) == per_image
    with pytest.raises(NotUniqueError):
        await model(title="same", art=image_bytes((30, 30))).save()
    assert await files_in(backend) == before


def test_without_pillow_the_field_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "PIL" else real(name, *a)
    )
    with pytest.raises(ConfigurationError, match=r"pip install 'asyncodm\[images\]'"):
        ImageField()


@pytest.mark.parametrize("size", [(10,), (0, 10), ("a", 10), (1, 2, 3, 4), "big"])
def test_bad_sizes_are_refused(size: Any) -> None:
    with pytest.raises(InvalidDocumentError, match="ImageField size"):
        ImageField(size=size)
