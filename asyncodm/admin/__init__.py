"""The admin site: starlette-admin views over asyncodm documents (API.md §12).

Stage: integration, above ``_document``. ``import asyncodm`` never imports this package, so
starlette-admin stays an optional extra:

```python
from asyncodm.admin import Admin, ModelView

admin = Admin(title="Blog")
admin.add_view(ModelView(User))
admin.add_view(ModelView(Post))
admin.mount_to(app)  # any Starlette/FastAPI app: /admin
```
"""

from __future__ import annotations

try:
    import starlette_admin  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "asyncodm.admin needs starlette-admin: pip install 'asyncodm[admin]'"
    ) from exc

from asyncodm.admin._views import Admin, ModelView

__all__ = ["Admin", "ModelView"]
