"""Hypothesis settings for the property tests: reproducible runs, nothing written to the repo.

``derandomize=True`` makes every run draw the same examples (a failure seen once is seen again,
on CI and locally); ``database=None`` keeps hypothesis from writing a ``.hypothesis`` folder of
saved examples into the checkout. ``deadline=None``: examples that round-trip through a server
share two cores with other work, so their timing says nothing about the code under test.
Tests that draw examples inside a function-scoped fixture (the ``backend``) suppress
``HealthCheck.function_scoped_fixture`` themselves, where that is what they mean.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("asyncodm", deadline=None, derandomize=True, database=None)
settings.load_profile("asyncodm")
