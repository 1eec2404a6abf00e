"""Stage: schema (definition time, pure). A document class is compiled once, when it is
defined, into one record that every later stage reads: its meta, fields, primary key, stored
names, index plans and delete-rule declarations. Nothing here touches an instance or the
database."""
