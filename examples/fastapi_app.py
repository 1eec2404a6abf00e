"""A blog API on FastAPI and asyncodm: users, posts with embedded comments, categories.

Run it with ``make serve`` (uvicorn, on the embedded in-memory database) or
``MONGODB_URI=mongodb://localhost/blog make serve``; the OpenAPI docs are at ``/docs``.

What it shows (API.md §12): request and response models generated from the documents (so a
201-character title is a 422 before the database is touched, and ``/docs`` shows
``maxLength: 200``); endpoints that return documents; a 404 for an unknown id, a 422 naming a
malformed id, a 409 naming a duplicate email, a 409 naming the posts that keep a category;
deleting a user deletes their posts (CASCADE); comments and view counts are atomic updates, so
concurrent requests lose nothing; the admin at ``/admin`` edits every document (it needs
``asyncodm[admin]``, on Python 3.11 or later).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Response

from asyncodm.admin import Admin, ModelView
from asyncodm.fastapi import get_or_404, install_error_handlers, lifespan
from asyncodm.pydantic import ObjectIdStr, pydantic_model
from examples.blog import MODELS, Category, Comment, Post, User

MONGODB_URI = os.environ.get("MONGODB_URI", "mongomock://localhost/blog")
ADMIN_SECRET_KEY = os.environ.get("ADMIN_SECRET_KEY", "blog example: not a secret")

# --- request and response models, generated from the documents ---------------------------------

UserOut = pydantic_model(User)
UserIn = pydantic_model(User, exclude={"id"})
CategoryOut = pydantic_model(Category)
CategoryIn = pydantic_model(Category, exclude={"id"})
PostOut = pydantic_model(Post)
PostIn = pydantic_model(Post, exclude={"id", "views", "created", "comments"})
PostPatch = pydantic_model(Post, partial=True, exclude={"id", "author", "created"})
# Named: PostPatch's comments are the full CommentIn, and one schema cannot hold two of them.
NewComment = pydantic_model(Comment, exclude={"created"}, name="NewComment")


@contextlib.asynccontextmanager
async def blog_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The app's own startup, run connected: the blog's indexes (the unique emails)."""
    for model in MODELS:
        await model.ensure_indexes()
    yield


def create_app(uri: str | None = MONGODB_URI, **connect_kwargs: Any) -> FastAPI:
    """The app, connected to ``uri`` (or to ``client=``/``db=``) while it runs."""
    app = FastAPI(
        title="Blog", lifespan=lifespan(uri, app_lifespan=blog_lifespan, **connect_kwargs)
    )
    install_error_handlers(app)

    # --- users ----------------------------------------------------------------------------

    @app.post("/users", response_model=UserOut, status_code=201)
    async def create_user(body: UserIn) -> Any:
        return await User(**body.model_dump(exclude_unset=True)).save()

    @app.get("/users", response_model=list[UserOut])
    async def list_users() -> Any:
        return await User.objects.order_by("name").to_list()

    @app.get("/users/{uid}", response_model=UserOut)
    async def read_user(uid: ObjectIdStr) -> Any:
        return await get_or_404(User, id=uid)

    @app.delete("/users/{uid}", status_code=204)
    async def delete_user(uid: ObjectIdStr) -> Response:
        user = await get_or_404(User, id=uid)
        await user.delete()  # CASCADE: their posts go too
        return Response(status_code=204)

    # --- categories -----------------------------------------------------------------------

    @app.post("/categories", response_model=CategoryOut, status_code=201)
    async def create_category(body: CategoryIn) -> Any:
        return await Category(**body.model_dump(exclude_unset=True)).save()

    @app.delete("/categories/{cid}", status_code=204)
    async def delete_category(cid: ObjectIdStr) -> Response:
        category = await get_or_404(Category, id=cid)
        await category.delete()  # DENY while a post refers to it: 409 naming Post
        return Response(status_code=204)

    # --- posts ----------------------------------------------------------------------------

    @app.post("/posts", response_model=PostOut, status_code=201)
    async def create_post(body: PostIn) -> Any:
        data = body.model_dump(exclude_unset=True)
        await _must_exist(User, data["author"], "author")
        if data.get("category") is not None:
            await _must_exist(Category, data["category"], "category")
        return await Post(**data).save()

    @app.get("/posts", response_model=list[PostOut])
    async def list_posts(
        tag: str | None = None,
        limit: int = Query(20, ge=1, le=100),
        skip: int = Query(0, ge=0),
    ) -> Any:
        posts = Post.objects(tags=tag) if tag is not None else Post.objects
        return await posts.skip(skip).limit(limit).to_list()

    @app.get("/posts/{pid}", response_model=PostOut)
    async def read_post(pid: ObjectIdStr) -> Any:
        return await get_or_404(Post, id=pid)

    @app.patch("/posts/{pid}", response_model=PostOut)
    async def patch_post(pid: ObjectIdStr, body: PostPatch) -> Any:
        post = await get_or_404(Post, id=pid)
        for key, value in body.model_dump(exclude_unset=True).items():
            setattr(post, key, value)
        return await post.save()  # the document's own validation: a 422 at the field's path

    @app.delete("/posts/{pid}", status_code=204)
    async def delete_post(pid: ObjectIdStr) -> Response:
        post = await get_or_404(Post, id=pid)
        await post.delete()
        return Response(status_code=204)

    @app.post("/posts/{pid}/comments", response_model=PostOut, status_code=201)
    async def add_comment(pid: ObjectIdStr, body: NewComment) -> Any:
        comment = Comment(**body.model_dump(exclude_unset=True))
        comment.validate()
        # One atomic $push: concurrent comments never overwrite each other.
        if not await Post.objects(id=pid).update_one(push__comments=comment):
            raise HTTPException(404, f"Post not found (id={pid})")
        return await get_or_404(Post, id=pid)

    @app.post("/posts/{pid}/views", response_model=PostOut)
    async def count_view(pid: ObjectIdStr) -> Any:
        if not await Post.objects(id=pid).update_one(inc__views=1):
            raise HTTPException(404, f"Post not found (id={pid})")
        return await get_or_404(Post, id=pid)

    # --- the admin: list, search, create, edit and delete every model at /admin -----------
    # The key signs the admin's CSRF and flash cookies: set ADMIN_SECRET_KEY in production.
    admin = Admin(title="Blog", secret_key=ADMIN_SECRET_KEY)
    for model in MODELS:
        admin.add_view(ModelView(model))
    admin.mount_to(app)

    return app


async def _must_exist(model: type, pk: Any, field: str) -> None:
    """A reference in a body must name a stored document: a 422 at that field otherwise."""
    if not await model.objects(id=pk).exists():
        detail = [
            {
                "loc": ["body", field],
                "msg": f"no {model.__name__} with id {pk}",
                "type": "value_error",
            }
        ]
        raise HTTPException(422, detail)


app = create_app()
