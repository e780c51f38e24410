from __future__ import annotations

import pytest

from runtime import zoo
from runtime.model import Model


@pytest.fixture(scope="session", params=["digits-mlp", "digits-cnn", "digits-resnet"])
def digits(request):
    """(name, model loaded for the exact profile, x_test, y_test)."""
    m = Model.load(request.param, profile="exact")
    x, y = zoo.test_data(request.param)
    return request.param, m, x, y
