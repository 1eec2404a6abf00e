"""``ModelView`` and ``Admin``: starlette-admin over asyncodm documents (API.md §12).

Stage: integration (admin), above ``_document``, on the public API and the model description
only. A view reads and writes through querysets and ``save()``/``delete()``, so everything the
ODM does on its own (validation, stored names, references as ids, GridFS uploads, delete
rules) happens exactly as in application code, on every backend. What the ODM reports is
translated for the admin here: a ``ValidationError``'s dotted paths become the nested error
dict starlette-admin shows at each field, and a delete that a DENY rule refuses becomes an
``ActionFailed`` whose message the list page shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import starlette_admin.fields as sa
from bson import ObjectId
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette_admin.base import BaseAdmin
from starlette_admin.exceptions import ActionFailed, FormValidationError
from starlette_admin.filters import FilterGroup, FilterRegistry
from starlette_admin.helpers import prettify_class_name
from starlette_admin.security.csrf import CSRFMiddleware
from starlette_admin.views import BaseModelView

from asyncodm import (
    DoesNotExist,
    File,
    ModelSpec,
    NotUniqueError,
    OperationError,
    Q,
    ValidationError,
    describe,
)
from asyncodm.admin._convert import HasMany, HasOne, convert_fields, view_key
from asyncodm.admin._query import AsyncODMFilterRegistry, filter_query, order_keys, search_query

__all__ = ["Admin", "ModelView", "nested_errors"]


def nested_errors(errors: dict[str, str]) -> dict[str | int, Any]:
    """``{"comments.1.content": "msg"}`` -> ``{"comments": {1: {"content": "msg"}}}``.

    starlette-admin renders a list item's or embedded field's error from this nested shape
    (list items keyed by index), so each message shows beside its own input.
    """
    out: dict[str | int, Any] = {}
    for path, message in errors.items():
        parts: list[str | int] = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: dict[str | int, Any] = out
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node.setdefault(parts[-1], message)
    return out


class ModelView(BaseModelView):
    """A starlette-admin view of one asyncodm ``Document`` class.

    Fields come from ``asyncodm.describe(document)`` (see ``_convert``); set ``fields`` on a
    subclass to choose or reorder them, and every other ``BaseModelView`` option (excluded
    fields, searchable/sortable fields, page size, actions) works as documented there.
    """

    def __init__(
        self,
        document: type[Any],
        icon: str | None = None,
        display_name: str | None = None,
        menu_label: str | None = None,
        key: str | None = None,
    ) -> None:
        spec = describe(document)
        if spec.embedded or spec.collection is None:
            raise TypeError(f"ModelView needs a top-level Document class, not {spec.name}")
        self.document = document
        self.spec: ModelSpec = spec
        self.key = key or self.key or view_key(document)
        self.menu_label = menu_label or self.menu_label or prettify_class_name(spec.name) + "s"
        self.display_name = display_name or self.display_name or prettify_class_name(spec.name)
        self.icon = icon or self.icon
        self.pk_attr = spec.pk
        # ``fields`` may name fields (converted from describe()) and hold admin fields as is.
        declared: list[Any] = list(self.fields or spec.fields)
        names = [f for f in declared if isinstance(f, str)]
        by_name = {f.name: f for f in convert_fields(document, names)}
        self.fields = [by_name[f] if isinstance(f, str) else f for f in declared]
        super().__init__()

    # --- reading ------------------------------------------------------------------------------

    def get_filter_registry(self) -> FilterRegistry:
        return AsyncODMFilterRegistry()

    def _where(self, request: Request, q: str | None, filters: FilterGroup | None) -> Q | None:
        """The search box and the filter builder, AND-ed, as one ``Q`` (None: everything)."""
        parts: list[Q] = []
        if q:
            found = search_query(self.get_fields_list(request), q)
            if found is None:
                return Q(pk__in=[])
            parts.append(found)
        if filters is not None and not filters.is_empty():
            fields = {f.name: f for f in self.get_fields_list(request, include_nested=True)}
            compiled = filter_query(filters, fields, self.get_filter_registry())
            if compiled is not None:
                parts.append(compiled)
        if not parts:
            return None
        where = parts[0]
        for part in parts[1:]:
            where = where & part
        return where

    def _queryset(self, request: Request, q: str | None, filters: FilterGroup | None) -> Any:
        where = self._where(request, q, filters)
        manager = self.document.objects
        return manager(where) if where is not None else manager.all()

    def _related(self) -> list[str]:
        return [f.name for f in self.fields or () if isinstance(f, (HasOne, HasMany))]

    async def count(
        self, request: Request, q: str | None = None, filters: FilterGroup | None = None
    ) -> int:
        return int(await self._queryset(request, q, filters).count())

    async def find_all(
        self,
        request: Request,
        skip: int = 0,
        limit: int = 100,
        q: str | None = None,
        sorts: Sequence[tuple[str, str]] | None = None,
        filters: FilterGroup | None = None,
    ) -> Sequence[Any]:
        qs = self._queryset(request, q, filters)
        if sorts:
            qs = qs.order_by(*order_keys(sorts))
        related = self._related()
        if related:
            qs = qs.select_related(*related)
        if skip:
            qs = qs.skip(skip)
        if limit > 0:
            qs = qs.limit(limit)
        return list(await qs.to_list())

    def _pk(self, raw: Any) -> Any:
        """A primary key from the URL, as stored; None when it cannot be one."""
        field = self.spec.fields[self.pk_attr or "id"]
        try:
            return _coerce_pk(field.kind, raw)
        except (TypeError, ValueError):
            return None

    async def find_by_pk(self, request: Request, pk: Any) -> Any:
        key = self._pk(pk)
        if key is None:
            return None
        try:
            return await self.document.objects(pk=key).first()
        except (DoesNotExist, ValidationError):
            return None

    async def find_by_pks(self, request: Request, pks: Sequence[Any]) -> Sequence[Any]:
        keys = [k for k in (self._pk(p) for p in pks) if k is not None]
        return list(await self.document.objects(pk__in=keys).to_list())

    async def repr(self, obj: Any, request: Request) -> str:
        """How a document reads in selects, reference columns and messages: its
        ``__admin_repr__`` if it has one, else its first text field (a name or a title reads
        better than an id), else starlette-admin's ``Display(pk)``."""
        if getattr(type(obj), "__admin_repr__", None) is None:
            for name, field in self.spec.fields.items():
                if field.kind == "string" and not field.primary_key and not field.choices:
                    value = getattr(obj, name, None)
                    if isinstance(value, str) and value:
                        return value
        return await super().repr(obj, request)

    async def get_pk_value(self, request: Request, obj: Any) -> Any:
        return obj.pk

    async def get_serialized_pk_value(self, request: Request, obj: Any) -> Any:
        return str(obj.pk)

    # --- writing ------------------------------------------------------------------------------

    async def create(self, request: Request, data: dict[str, Any]) -> Any:
        try:
            await self.validate(request, data)
            doc = self.document()
            await self._populate(request, doc, data, self.get_fields_list(request))
            await self._emit_before_create(request, data, doc)
            await doc.save()
            await self._emit_after_create(request, doc)
            return doc
        except Exception as exc:
            self.handle_exception(exc)
            raise
        finally:
            await _close_uploads(data)

    async def edit(self, request: Request, pk: Any, data: dict[str, Any]) -> Any:
        try:
            await self.validate(request, data)
            doc = await self.find_by_pk(request, pk)
            if doc is None:
                raise HTTPException(404)
            await self._populate(request, doc, data, self.get_fields_list(request))
            await self._emit_before_edit(request, data, doc, pk=pk)
            await doc.save()
            await self._emit_after_edit(request, doc, pk=pk)
            return doc
        except Exception as exc:
            self.handle_exception(exc)
            raise
        finally:
            await _close_uploads(data)

    async def delete(self, request: Request, pks: list[Any]) -> int | None:
        """Delete through the queryset, which applies every delete rule: a DENY refuses the
        whole delete before anything is written, and its message is shown on the page."""
        docs = await self.find_by_pks(request, pks)
        for doc in docs:
            await self._emit_before_delete(request, doc.pk, doc)
        try:
            count = await self.document.objects(pk__in=[d.pk for d in docs]).delete()
        except OperationError as exc:
            raise ActionFailed(str(exc)) from exc
        for doc in docs:
            await self._emit_after_delete(request, doc.pk, doc)
        return int(count)

    def handle_exception(self, exc: Exception) -> None:
        """Raise the admin's form error for what the ODM refused, so it shows at its field."""
        if isinstance(exc, ValidationError) and exc.errors:
            raise FormValidationError(nested_errors(exc.errors)) from exc
        if isinstance(exc, NotUniqueError):
            names = [f.name for f in self.fields or () if exc.index and f.name in exc.index]
            if names:
                raise FormValidationError({names[0]: str(exc)}) from exc

    async def _populate(
        self, request: Request, obj: Any, data: dict[str, Any], fields: Sequence[sa.BaseField]
    ) -> None:
        """Assign the parsed form values to ``obj``, recursing into embedded documents."""
        spec = describe(type(obj)).fields
        for field in fields:
            if field.read_only or field.name not in spec:
                continue
            value = data.get(field.name)
            fspec = spec[field.name]
            if isinstance(field, sa.FileField):
                await self._set_file(obj, field.name, value)
            elif isinstance(field, sa.CollectionField) and fspec.document is not None:
                if value is None:
                    setattr(obj, field.name, None)
                    continue
                current = getattr(obj, field.name, None) or fspec.document()
                await self._populate(request, current, value, field.fields)
                setattr(obj, field.name, current)
            elif (
                isinstance(field, sa.ListField)
                and isinstance(field.field, sa.CollectionField)
                and fspec.item is not None
                and fspec.item.document is not None
            ):
                old = list(getattr(obj, field.name, None) or [])
                items = []
                for index, item in enumerate(value or []):
                    current = old[index] if index < len(old) else fspec.item.document()
                    await self._populate(request, current, item, field.field.fields)
                    items.append(current)
                setattr(obj, field.name, items)
            elif isinstance(field, HasMany):
                setattr(obj, field.name, [v for v in value or [] if v])
            else:
                setattr(obj, field.name, None if value == "" else value)

    async def _set_file(self, obj: Any, name: str, value: Any) -> None:
        """An upload becomes a pending ``File`` that ``save()`` streams to GridFS (and the old
        file is removed once the save succeeded); "delete" clears the field."""
        upload, should_be_deleted = value if isinstance(value, tuple) else (None, False)
        if isinstance(upload, UploadFile):
            setattr(
                obj,
                name,
                File(upload.file, name=upload.filename, content_type=upload.content_type),
            )
        elif should_be_deleted:
            current = getattr(obj, name, None)
            if current:
                await current.delete()
            setattr(obj, name, None)


async def _close_uploads(data: dict[str, Any]) -> None:
    """Close the uploaded files once saved (or refused): the form leaves them to us."""
    for value in data.values():
        upload = value[0] if isinstance(value, tuple) and value else None
        if isinstance(upload, UploadFile):
            await upload.close()


def _coerce_pk(kind: str, raw: Any) -> Any:
    if raw is None or raw == "":
        return None
    if kind == "objectid":
        return raw if isinstance(raw, ObjectId) else ObjectId(str(raw))
    if kind in ("int", "long", "sequence"):
        return int(raw)
    return raw


class _ClosingCSRFMiddleware(CSRFMiddleware):
    """starlette-admin's CSRF check, closing the copy of a multipart form it parses to read
    the token (the view parses the body again), so no upload's temporary file is left open."""

    async def _get_submitted_token(self, request: Request) -> str | None:
        if request.headers.get(self.header_name) is not None:
            return await super()._get_submitted_token(request)
        token = await super()._get_submitted_token(request)
        await request.close()
        return token


class Admin(BaseAdmin):
    """starlette-admin's admin site, plus a route that serves the documents' stored files.

    ``admin = Admin(title="Blog"); admin.add_view(ModelView(Post)); admin.mount_to(app)``
    mounts it at ``/admin`` of any Starlette or FastAPI app.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assert self.secret_key is not None  # BaseAdmin generates one when none is given
        self.middlewares = [
            Middleware(_ClosingCSRFMiddleware, secret_key=self.secret_key)
            if getattr(m, "cls", None) is CSRFMiddleware
            else m
            for m in self.middlewares
        ]

    def mount_to(self, app: Starlette) -> None:
        self.routes.append(
            Route(
                "/api/asyncodm-file/{key}/{field}/{pk}",
                self._serve_file,
                methods=["GET"],
                name="api:asyncodm-file",
            )
        )
        super().mount_to(app)

    async def _serve_file(self, request: Request) -> Response:
        """A document's file, read back through its file field (so any storage serves)."""
        key = request.path_params["key"]
        view = next((v for v in self._views if isinstance(v, ModelView) and v.key == key), None)
        if view is None or not view.is_accessible(request):
            raise HTTPException(404)
        name = request.path_params["field"]
        if describe(view.document).fields.get(name) is None:
            raise HTTPException(404)
        doc = await view.find_by_pk(request, request.path_params["pk"])
        stored = getattr(doc, name, None) if doc is not None else None
        if not stored:
            raise HTTPException(404)
        data = await stored.read()
        filename = (stored.filename or "file").replace('"', "")
        return Response(
            data,
            media_type=stored.content_type or "application/octet-stream",
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )
