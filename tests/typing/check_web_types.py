"""Checked by mypy and pyright (``make lint``), not run by pytest: the web helpers' types."""

from __future__ import annotations

from bson import ObjectId
from pydantic import BaseModel
from typing_extensions import assert_type

import asyncodm as odm
from asyncodm.fastapi import get_or_404
from asyncodm.pydantic import ObjectIdStr, pydantic_model


class Article(odm.Document):
    title = odm.StringField(required=True)


ArticleOut = pydantic_model(Article)
assert_type(ArticleOut, type[BaseModel])


def an_id(value: ObjectIdStr) -> ObjectId:
    return value  # ObjectIdStr is an ObjectId to type checkers


async def fetch(pid: ObjectId) -> None:
    article = await get_or_404(Article, id=pid)
    assert_type(article, Article)
