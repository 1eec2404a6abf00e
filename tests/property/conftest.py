"""Hypothesis settings for the property tests: reproducible runs, nothing written to the repo.

``derandomize=True`` makes every run draw the same examples (a failure seen once is seen again,
on CI and locally); ``database=None`` keeps no saved examples, and hypothesis's other caches
(unicode tables, constants) go to the temporary directory, so no ``.hypothesis`` folder is
written into the checkout. ``deadline=None``: examples that round-trip through a server
share two cores with other work, so their timing says nothing about the code under test.
Tests that draw examples inside a function-scoped fixture (the ``backend``) suppress
``HealthCheck.function_scoped_fixture`` themselves, where that is what they mean.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "asyncodm-hypothesis")

settings.register_profile("asyncodm", deadline=None, derandomize=True, database=None)
settings.load_profile("asyncodm")
