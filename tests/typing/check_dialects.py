"""Checked by mypy and pyright (``make lint``), not run by pytest: the dialects keep the types.

A dialect's classes are asyncodm documents, so what loading gives is typed the same way.
"""

from __future__ import annotations

from typing_extensions import assert_type

from asyncodm.compat.pymodm import MongoModel, fields
from asyncodm.compat.pymodm.manager import Manager
from asyncodm.queryset import QuerySet


class User(MongoModel):
    email = fields.EmailField(primary_key=True)
    first_name = fields.CharField()


async def pymodm() -> None:
    assert_type(User.objects, Manager[User])
    assert_type(User.objects.get_queryset(), QuerySet[User])
    u = await User.objects.get({"first_name": "Bob"})
    assert_type(u, User)
    assert_type(u.first_name, str | None)
    assert_type(await User.objects.to_list(), list[User])
    User("user@email.com", "Bob")
