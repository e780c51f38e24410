"""The contract fixtures (one deployed system per worker, a snapshot per test) shared with tests/contracts."""
from tests.contracts.conftest import deployed, model_id, system  # noqa: F401 - pytest fixtures
from tests.generation.conftest import hf_dirs  # noqa: F401,E402 - pytest fixture
