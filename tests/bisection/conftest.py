"""Fixtures for the dispute-game tests (helpers in bisection_cases)."""
from __future__ import annotations

import pytest
from .bisection_cases import MODELS, case


@pytest.fixture(params=MODELS)
def zoo_case(request):
    return case(request.param)
