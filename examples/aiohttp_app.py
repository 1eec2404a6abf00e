"""The blog API on aiohttp and asyncodm (the documents of ``examples/blog.py``).

Run it with ``python -m examples.aiohttp_app`` (embedded database, port 8080) or with
``MONGODB_URI=mongodb://localhost/blog`` set. ``asyncodm.aiohttp.setup`` connects while the app
runs and answers asyncodm errors as JSON, with the statuses and bodies of the FastAPI example:
the documents' own validation gives the 422s (aiohttp has no request models), a duplicate email
is a 409 naming the field, an unknown id a 404, a malformed one a 422 naming the parameter.
"""

from __future__ import annotations

import os
from typing import Any

from aiohttp import web

from asyncodm.aiohttp import json_response, object_id, setup
from examples.blog import MODELS, Comment, Post, User

MONGODB_URI = os.environ.get("MONGODB_URI", "mongomock://localhost/blog")

routes = web.RouteTableDef()


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        detail = [{"loc": ["body"], "msg": "expected a JSON object", "type": "value_error"}]
        raise web.HTTPUnprocessableEntity(
            text=web.json_response({"detail": detail}).text, content_type="application/json"
        )
    return data


@routes.post("/users")
async def create_user(request: web.Request) -> web.Response:
    user = await User(**await _body(request)).save()  # unknown keys: 422 naming them
    return json_response(user, status=201)


@routes.get("/users/{uid}")
async def read_user(request: web.Request) -> web.Response:
    return json_response(await User.objects.get(id=object_id(request, "uid")))


@routes.delete("/users/{uid}")
async def delete_user(request: web.Request) -> web.Response:
    user = await User.objects.get(id=object_id(request, "uid"))
    await user.delete()  # CASCADE: their posts go too
    return web.Response(status=204)


@routes.post("/posts")
async def create_post(request: web.Request) -> web.Response:
    data = await _body(request)
    data.pop("id", None)
    post = await Post(**data).save()
    return json_response(post, status=201)


@routes.get("/posts/{pid}")
async def read_post(request: web.Request) -> web.Response:
    return json_response(await Post.objects.get(id=object_id(request, "pid")))


@routes.post("/posts/{pid}/comments")
async def add_comment(request: web.Request) -> web.Response:
    pid = object_id(request, "pid")
    comment = Comment(**await _body(request))
    comment.validate()
    if not await Post.objects(id=pid).update_one(push__comments=comment):
        raise web.HTTPNotFound(text=f"Post not found (id={pid})")
    return json_response(await Post.objects.get(id=pid), status=201)


async def _indexes(app: web.Application) -> None:
    for model in MODELS:
        await model.ensure_indexes()


def create_app(uri: str | None = MONGODB_URI, **connect_kwargs: Any) -> web.Application:
    """The app, connected to ``uri`` (or to ``client=``/``db=``) while it runs."""
    app = web.Application()
    setup(app, uri, **connect_kwargs)
    app.on_startup.append(_indexes)  # runs after the cleanup_ctx connected
    app.add_routes(routes)
    return app


if __name__ == "__main__":
    web.run_app(create_app())
