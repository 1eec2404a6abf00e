"""Stage: I/O (the only code outside ``queryset`` that awaits). Saving, reloading and deleting
one document, delete rules, dereferencing, indexes, transactions and the prepared collection a
model uses right now, all through the driver seam."""
