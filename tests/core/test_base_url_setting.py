"""Links in messages point where the service really is (issue 11): with
DEBUG off, start-up fails without MSCC_BASE_URL; run-demo sets it from PORT.
Each case is read in a fresh process, as a deployment starts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

SCRIPT = (
    "import django; django.setup(); from django.conf import settings; print(settings.MSCC_BASE_URL)"
)
PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "example.invalid"}


def start(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "MSCC_BASE_URL")}
    env.update({"MSCC_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "mscc.settings"})
    env.update(extra)
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_with_debug_off_a_missing_base_url_stops_start_up(tmp_path: Path) -> None:
    done = start(tmp_path, **PRODUCTION)
    assert done.returncode != 0
    assert "MSCC_BASE_URL must be set when DEBUG is off" in done.stderr


def test_with_debug_off_the_base_url_given_is_used_without_a_trailing_slash(
    tmp_path: Path,
) -> None:
    done = start(tmp_path, **PRODUCTION, MSCC_BASE_URL="https://mscc.example.invalid:8443/")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "https://mscc.example.invalid:8443"


def test_the_embedded_default_still_starts_with_no_settings(tmp_path: Path) -> None:
    done = start(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8000"


@pytest.mark.parametrize("value", ["127.0.0.1:8000", "ftp://example.invalid", "https://"])
def test_an_address_without_http_scheme_or_host_is_refused(tmp_path: Path, value: str) -> None:
    done = start(tmp_path, MSCC_BASE_URL=value)
    assert done.returncode != 0
    assert "MSCC_BASE_URL must be an http(s) address with a host" in done.stderr


def test_run_demo_sets_the_base_url_from_port() -> None:
    script = (Path(django_settings.BASE_DIR) / "scripts" / "run-demo").read_text()
    assert 'export MSCC_BASE_URL="${MSCC_BASE_URL:-http://127.0.0.1:${PORT}}"' in script
