"""Stage: files over the seam. An async GridFS bucket for every driver (``_bucket``), the
GridFS spec's streams (``_streams``), what an upload reads from (``_sources``) and the storages
file fields keep their content in (``_storage``). A client of ``_drivers``; the fields use it."""
