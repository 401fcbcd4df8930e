import pytest

from crmlab.generator import generate


@pytest.fixture(scope="session")
def small_company(tmp_path_factory):
    """A small generated company, shared by tests that only read it."""
    out = tmp_path_factory.mktemp("small")
    generate(out, n_customers=1500, seed=7)
    return out
