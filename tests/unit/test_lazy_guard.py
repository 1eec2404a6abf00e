"""The N+1 guard without a database: the context it sets and the errors it words."""

from __future__ import annotations

import contextvars

from asyncodm import LazyLoadError, no_lazy_loading
from asyncodm._context import lazy_loading_forbidden
from asyncodm._io._deref import lazy_load_error
from asyncodm.errors import ODMError
from tests.models.refs import Author


def test_the_block_sets_and_restores_the_context() -> None:
    assert not lazy_loading_forbidden()
    guard = no_lazy_loading()
    with guard:
        assert lazy_loading_forbidden()
        with guard:
            assert lazy_loading_forbidden()
        assert lazy_loading_forbidden()
        assert repr(guard) == "<no_lazy_loading active>"
    assert not lazy_loading_forbidden()
    assert repr(guard) == "<no_lazy_loading inactive>"


def test_another_context_does_not_see_the_block() -> None:
    outside = contextvars.copy_context()
    with no_lazy_loading():
        assert outside.run(lazy_loading_forbidden) is False
        assert contextvars.copy_context().run(lazy_loading_forbidden) is True


def test_the_error_names_the_field_and_the_select_related_path() -> None:
    error = lazy_load_error(Author, [1], "Post.editor")
    assert isinstance(error, LazyLoadError) and isinstance(error, ODMError)
    assert str(error) == (
        "awaiting Post.editor would query Author 1 inside no_lazy_loading(): load it with its "
        'documents, Post.objects.select_related("editor"), or await it outside the block'
    )
    assert (error.owner, error.field, error.model, error.pks) == ("Post", "editor", "Author", [1])


def test_several_ids_and_a_reference_in_an_embedded_document() -> None:
    error = lazy_load_error(Author, [1, 2, 3], "Reply.by")  # Reply is embedded in Post
    assert str(error) == (
        "awaiting Reply.by would query 3 Authors inside no_lazy_loading(): load it with its "
        "documents, select_related() with the path from the queried documents to it, ending in "
        '"__by" (e.g. "comments__by"), or await it outside the block'
    )


def test_a_handle_that_names_no_field() -> None:
    error = lazy_load_error(Author, [1], "")
    assert error.field is None and error.owner is None
    assert str(error).startswith("awaiting a reference would query Author 1 inside")
