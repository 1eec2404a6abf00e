"""Stage: instance (the hot path, pure and synchronous). What a document object is and does in
memory: its state, the per-class generated constructor, loader, dumper and quick check, the
codec (to SON, delta) and validation. Nothing here awaits."""
