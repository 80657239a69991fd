"""End to end: a package compiled against a system library (psycopg2 from source, against
libpq) runs in the final image on a base that lacks the library."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.bed.fixtures import ASTRO_IMAGE, write_context
from tests.e2e.checks import shell

CONNECT = (
    "import psycopg2\n"
    "try:\n"
    "    psycopg2.connect(host='127.0.0.1', port=1, dbname='x', connect_timeout=3)\n"
    "except psycopg2.OperationalError as error:\n"
    "    print('refused' if 'refused' in str(error) else error)\n"
)


@pytest.fixture(scope="module")
def postgres_client(cli_build):
    """psycopg2 built from source with libpq-dev from --apt and an Astro packages.txt."""
    context = write_context(
        cli_build.tmp / "psycopg2",
        {
            "Dockerfile": f"FROM {ASTRO_IMAGE}\n"
            "PYENV --apt=libpq-dev --apt-file=packages.txt 3.13 pg requirements.txt\n",
            "packages.txt": "# Astro's habit: one package a line\nlibpq5\n",
            "requirements.txt": "--no-binary psycopg2\npsycopg2==2.9.10\n"
            f"# {uuid.uuid4()}: built afresh in every run\n",
        },
    )
    tag, result = cli_build.build(context)
    result.ok()
    return tag, result


def test_the_base_image_lacks_libpq_and_a_compiler():
    assert shell(ASTRO_IMAGE, "ldconfig -p | grep -c libpq || true") == "0"
    assert shell(ASTRO_IMAGE, "command -v gcc || echo none") == "none"


def test_psycopg2_built_from_source_links_and_connects(postgres_client):
    tag, result = postgres_client
    assert "installing libpq-dev libpq5 (and a C compiler) to build pg" in result.output
    assert shell(tag, f'"$ASTRO_PYENV_pg" -c "{CONNECT}"') == "refused"
    extension = shell(
        tag, '"$ASTRO_PYENV_pg" -c "import psycopg2._psycopg as m; print(m.__file__)"'
    )
    links = shell(tag, f"ldd {extension}")
    assert "not found" not in links
    libpq = next(line for line in links.splitlines() if "libpq.so.5 =>" in line)
    assert "/home/astro/.venv/pg/" in libpq and "/buildkit-pyenv-libs/libpq.so.5" in libpq


def test_the_final_image_gets_no_system_packages(postgres_client):
    tag, _ = postgres_client
    assert shell(tag, "ldconfig -p | grep -c libpq || true") == "0"
    assert shell(tag, "command -v gcc pg_config || echo none") == "none"
    manifest = json.loads(shell(tag, "cat /etc/buildkit-pyenv/manifest.json"))
    (record,) = manifest["environments"]
    assert record["system_packages"] == ["libpq-dev", "libpq5"]
    assert "libpq.so.5" in record["bundled_libraries"]
    assert record["packages"]["psycopg2"] == "2.9.10"
