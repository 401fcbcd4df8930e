import os
import shutil

import pytest
from _postgres import PostgresServer, server_programs

from crmlab.generator import generate


@pytest.fixture(scope="session")
def small_company(tmp_path_factory):
    """A small generated company, shared by tests that only read it."""
    out = tmp_path_factory.mktemp("small")
    generate(out, n_customers=1500, seed=7)
    return out


@pytest.fixture(scope="session")
def postgres_server():
    """A throw-away PostgreSQL server (tests/_postgres.py); skips, saying why, where there is none."""
    programs, reason = server_programs()
    if programs is None:
        if os.environ.get("CRMLAB_REQUIRE_POSTGRES"):
            pytest.fail(f"CRMLAB_REQUIRE_POSTGRES is set but {reason}")
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    server = PostgresServer(programs)
    yield server
    server.stop()


def _empty_database(request, folder) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{folder / (request.fixturename + '.sqlite')}"
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """The URL of a new empty database: an SQLite file, and a database on the PostgreSQL server."""
    return _empty_database(request, tmp_path)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def _built_template(request, tmp_path_factory):
    from crmlab.crm_system import build_database

    url = _empty_database(request, tmp_path_factory.mktemp("template"))
    build_database(url)
    return request.param, url


@pytest.fixture
def crm_database(_built_template, request, tmp_path):
    """The URL of a CRM database just built from the sample company, for a test that writes to it
    (a copy of one build per backend: the SQLite file copied, the PostgreSQL database as a template)."""
    backend, template = _built_template
    if backend == "sqlite":
        copy = tmp_path / "crm_database.sqlite"
        shutil.copyfile(template.removeprefix("sqlite:///"), copy)
        return f"sqlite:///{copy}"
    return request.getfixturevalue("postgres_server").new_database(template=template.rsplit("/", 1)[1])


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def sample_crm_database(request, tmp_path_factory):
    """The URL of one CRM database built from the sample company per backend, shared by tests that only read it."""
    from crmlab.crm_system import build_database

    url = _empty_database(request, tmp_path_factory.mktemp("crm"))
    build_database(url)
    return url
