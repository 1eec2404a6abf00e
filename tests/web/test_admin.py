"""The admin over HTTP (httpx's ASGI transport), on every backend: list, detail, create, edit
and delete, each write checked in the stored document read through the driver."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from bson import ObjectId

from tests._backends import Backend

pytest.importorskip("starlette_admin")  # the "admin" extra (Python >= 3.11)

from tests.web._admin_blog import Contributor, Kudos, NewsStory, make_app


@pytest.fixture
async def client(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://admin.test") as c:
        yield c


async def _csrf(client: httpx.AsyncClient, url: str) -> str:
    page = await client.get(url)
    assert page.status_code == 200, page.text[:500]
    found = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


async def _post_form(client: httpx.AsyncClient, url: str, data: dict[str, Any]) -> httpx.Response:
    token = await _csrf(client, url)
    return await client.post(url, data={"csrftoken": token, **data})


async def _raw(backend: Backend, model: type[Any]) -> list[dict[str, Any]]:
    from asyncodm import describe

    name = describe(model).collection
    assert name is not None
    return [d async for d in backend.db[name].find({}).sort("_id", 1)]


async def _stories(n: int, author: Contributor | None = None) -> list[NewsStory]:
    out = []
    for i in range(n):
        s = NewsStory(title=f"story {i:02d}", views=i, author=author)
        await s.save()
        out.append(s)
    return out


async def test_list_paginates_sorts_and_searches(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    await _stories(12)
    await NewsStory(title="dots a.b* here", views=100).save()
    await NewsStory(title="axbb none", views=101).save()

    page1 = await client.get("/admin/news-story/list", params={"page_size": 10})
    assert page1.status_code == 200
    assert page1.text.count("story 0") == 10 or "story 09" in page1.text
    page2 = await client.get("/admin/news-story/list", params={"page": 2, "page_size": 10})
    assert "story 10" in page2.text or "story 11" in page2.text
    assert "story 00" not in page2.text

    ordered = await client.get(
        "/admin/news-story/list", params={"sort": "views__desc", "page_size": 10}
    )
    assert ordered.text.index("axbb none") < ordered.text.index("dots a.b* here")
    assert "story 00" not in ordered.text  # the 10 highest only

    found = await client.get("/admin/news-story/list", params={"q": "A.B*"})
    assert "dots a.b* here" in found.text
    assert "axbb none" not in found.text  # the dot and the star match literally
    assert "story 01" not in found.text

    filtered = await client.get("/admin/news-story/list", params={"filter": "views__gte=100"})
    assert "dots a.b* here" in filtered.text and "axbb none" in filtered.text
    assert "story 03" not in filtered.text
    for params in ({"q": '{"$ne": null}'}, {"filter": "title__eq={$ne:null}"}):
        bad = await client.get("/admin/news-story/list", params=params)
        assert bad.status_code == 200
        assert "story 03" not in bad.text  # the operator is only text: nothing matches


async def test_detail(backend: Backend, client: httpx.AsyncClient) -> None:
    ann = Contributor(name="Ann Writer")
    await ann.save()
    (story,) = await _stories(1, author=ann)
    page = await client.get("/admin/news-story/detail", params={"pk": str(story.pk)})
    assert page.status_code == 200
    assert "story 00" in page.text
    missing = await client.get("/admin/news-story/detail", params={"pk": str(ObjectId())})
    assert missing.status_code == 404


async def test_create_with_embedded_items_and_a_reference(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    ann = Contributor(name="Ann")
    await ann.save()
    response = await _post_form(
        client,
        "/admin/news-story/create",
        {
            "title": "Launch",
            "status": "live",
            "mood": "happy",
            "views": "7",
            "tags.0": "a",
            "tags.1": "b",
            "notes.0.body": "first",
            "notes.0.stars": "4",
            "notes.1.body": "second",
            "byline.place": "Paris",
            "author": str(ann.pk),
        },
    )
    assert response.status_code == 303, response.text[:2000]
    (raw,) = await _raw(backend, NewsStory)
    assert raw["title"] == "Launch" and raw["status"] == "live" and raw["mood"] == "happy"
    assert raw["views"] == 7 and raw["tags"] == ["a", "b"]
    assert [n["body"] for n in raw["notes"]] == ["first", "second"]
    assert raw["notes"][0]["stars"] == 4
    assert raw["byline"] == {"place": "Paris"}
    assert raw["author"] == ann.pk


async def test_validation_errors_show_at_their_fields(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    response = await _post_form(
        client,
        "/admin/news-story/create",
        {"title": "x" * 61, "views": "1", "notes.0.body": "y" * 41},
    )
    assert response.status_code == 422
    assert await _raw(backend, NewsStory) == []
    text = response.text
    title = text[text.index('id="title"') :]
    assert 'aria-invalid="true"' in title[:400]
    assert "expected at most 60 characters" in title  # under the title input
    # under the note's own input (starlette-admin numbers the re-rendered items itself)
    assert re.search(r'id="notes\.\d+\.body-error">expected at most 40 characters', text), (
        "the note's error is not shown at its input"
    )


async def test_edit(backend: Backend, client: httpx.AsyncClient) -> None:
    ann = Contributor(name="Ann")
    await ann.save()
    bob = Contributor(name="Bob")
    await bob.save()
    (story,) = await _stories(1, author=ann)
    url = f"/admin/news-story/edit?pk={story.pk}"
    response = await _post_form(
        client,
        url,
        {
            "title": "Renamed",
            "status": "draft",
            "views": "9",
            "notes.0.body": "only",
            "author": str(bob.pk),
        },
    )
    assert response.status_code == 303, response.text[:2000]
    (raw,) = await _raw(backend, NewsStory)
    assert raw["_id"] == story.pk
    assert raw["title"] == "Renamed" and raw["views"] == 9
    assert [n["body"] for n in raw["notes"]] == ["only"]
    assert raw["author"] == bob.pk


async def _delete(client: httpx.AsyncClient, key: str, pk: Any) -> httpx.Response:
    await client.get(f"/admin/{key}/list")  # sets the CSRF cookie the page's script sends back
    token = client.cookies["starlette_admin_csrftoken"]
    return await client.post(
        f"/admin/_api/{key}/action",
        params={"name": "delete", "pks": str(pk)},
        headers={"X-CSRFToken": token},
    )


async def test_delete_cascades(backend: Backend, client: httpx.AsyncClient) -> None:
    (story, other) = await _stories(2)
    await Kudos(story=story, who="x").save()
    await Kudos(story=other, who="y").save()
    response = await _delete(client, "news-story", story.pk)
    assert response.status_code == 200, response.text
    assert [r["_id"] for r in await _raw(backend, NewsStory)] == [other.pk]
    assert [r["who"] for r in await _raw(backend, Kudos)] == ["y"]


async def test_delete_denied_shows_the_message_and_deletes_nothing(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    ann = Contributor(name="Ann")
    await ann.save()
    await _stories(1, author=ann)
    response = await _delete(client, "contributor", ann.pk)
    assert response.status_code == 400
    message = response.json()["msg"]
    assert "NewsStory" in message
    assert [r["_id"] for r in await _raw(backend, Contributor)] == [ann.pk]
    assert len(await _raw(backend, NewsStory)) == 1


async def test_file_upload_goes_to_gridfs_and_is_served(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    url = "/admin/news-story/create"
    token = await _csrf(client, url)
    response = await client.post(
        url,
        data={"csrftoken": token, "title": "With a file"},
        files={"attachment": ("report.txt", b"hello gridfs", "text/plain")},
    )
    assert response.status_code == 303, response.text[:2000]
    (raw,) = await _raw(backend, NewsStory)
    file_id = raw["attachment"]
    stored = await backend.db["fs.files"].find_one({"_id": file_id})
    assert stored is not None and stored["filename"] == "report.txt"
    assert stored["length"] == len(b"hello gridfs")

    detail = await client.get("/admin/news-story/detail", params={"pk": str(raw["_id"])})
    link = re.search(r'href="([^"]*asyncodm-file[^"]*)"', detail.text)
    assert link is not None, "the detail page links the stored file"
    served = await client.get(link.group(1))
    assert served.status_code == 200 and served.content == b"hello gridfs"
