"""Benchmarks of asyncodm against the raw drivers and the other Python ODMs.

Run by ``make bench`` (``python -m benchmarks.run``), never by the test suite; see README.md.
"""
