"""Adapters of the systems measured on the ODM Performance Benchmark tasks (``odm_spec``)."""
