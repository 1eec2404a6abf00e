"""A tiny ledger for the transaction tests: accounts moved between in one transaction, and a
lazily indexed journal whose first operation may happen inside one."""

from __future__ import annotations

from asyncodm import Document, IntField, StringField


class LedgerAccount(Document):
    owner = StringField(required=True)
    balance = IntField(default=0)
    meta = {"collection": "ledger_accounts"}


class LedgerLine(Document):
    memo = StringField()
    amount = IntField()
    meta = {"collection": "ledger_lines", "auto_create_index": True, "indexes": ["memo"]}
