"""Sign-in hardening, measured the way the security test stated its findings
(issue 9, items 1 and 2), against a real server.

It starts gunicorn (DEBUG off, two sync workers, so a per-process counter
shows) on SQLite in a temporary folder, loads ``seed_demo``, and then, each
scenario from its own loopback address (127.0.0.11, .12, ...: the server sees
each as a different client, and no scenario's counts spill into another's):

1. the HTML sign-in: 60 wrong passwords, then the right one; and the right one
   from another address;
2. the admin sign-in: 30 wrong passwords at ``/admin/login/``, then the right
   one, and whether ``/admin/`` then opens;
3. the token call with a spoofed ``X-Forwarded-For`` (a new address each time):
   100 wrong passwords, how many were processed;
4. the token call from one address, 100 wrong passwords for 100 different
   usernames (no lockout applies), how many were processed: the throttle of
   ``SIGN_IN_RATE`` (30/min) counted in one place, or once per worker;
5. the password rules: ``Summer2026`` and other weak passwords;
6. two-factor for a coordinator: the token call without ``otp``, then the HTML
   sign-in;
7. tokens: two sign-ins give one token or two; a token after the API
   sign-out, after a password change, after "sign out everywhere".

``--source DIR`` runs the same scenarios against another checkout (e.g. the
code before the change, from ``git archive``), with this interpreter. Every
loop is bounded, everything stays on 127.0.0.0/8, and the script stops on its
own (about 30 s). The figures are printed and written to
``bench/results/sign_in-<UTC time>.json``.

Run from the repository root:  python bench/sign_in.py [--source DIR]
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TIMEOUT = 30.0


def totp(secret_b32: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30 s): what an authenticator app shows."""
    key = base64.b32decode(secret_b32)
    counter = int((time.time() if at is None else at) // 30)
    mac = hmac.new(key, counter.to_bytes(8, "big"), "sha1").digest()
    offset = mac[-1] & 0x0F
    code = (int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


class Browser:
    """A client from one loopback address that keeps its cookies by hand:
    with DEBUG off the cookies are ``Secure``, which httpx would not send back
    over plain HTTP to 127.0.0.1."""

    def __init__(self, base_url: str, address: str) -> None:
        self.client = httpx.Client(
            base_url=base_url,
            timeout=TIMEOUT,
            transport=httpx.HTTPTransport(local_address=address),
        )
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.client.request(method, path, headers=headers, **kwargs)
        for line in response.headers.get_list("set-cookie"):
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if value in ('""', "") or "Max-Age=0" in line:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return response

    def csrf(self, path: str) -> str:
        page = self.request("GET", path, follow_redirects=True)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        return match.group(1) if match else ""

    def post_form(self, path: str, data: dict[str, str], csrf_from: str) -> httpx.Response:
        token = self.csrf(csrf_from)
        return self.request("POST", path, data={**data, "csrfmiddlewaretoken": token})

    def close(self) -> None:
        self.client.close()


def counts(statuses: list[int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for status in statuses:
        out[str(status)] = out.get(str(status), 0) + 1
    return dict(sorted(out.items()))


def signed_in(browser: Browser) -> bool:
    """Whether the browser's session opens a signed-in page (its own referrals)."""
    response = browser.request("GET", "/referrals/mine/")
    return response.status_code == 200


# --- the server -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(var_dir: Path, password: str, totp_secret: str) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "MSCC_TRUSTED_PROXIES"):
        env.pop(key, None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "mscc.settings",
            "DEBUG": "false",
            "MSCC_BASE_URL": "http://127.0.0.1",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "MSCC_VAR_DIR": str(var_dir),
            "MSCC_DEMO_PASSWORD": password,
            # Enrols the demo's staff users with this TOTP secret (seed_demo);
            # code before two-factor ignores it.
            "MSCC_DEMO_TOTP_SECRET": totp_secret,
            "LOG_LEVEL": "ERROR",
        }
    )
    return env


def manage(source: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=source,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def start_server(
    source: Path, env: dict[str, str], port: int, log: Path
) -> subprocess.Popen[bytes]:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [
        str(gunicorn) if gunicorn.exists() else "gunicorn",
        "mscc.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--worker-class",
        "sync",
        "--timeout",
        "60",
    ]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=source, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for_health(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            if httpx.get(f"{base_url}/health/", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("/health/ did not answer 200 within 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


# --- the scenarios --------------------------------------------------------------


def html_sign_in(base_url: str, password: str) -> dict[str, Any]:
    """60 wrong passwords at the sign-in page, then the right one; then the
    right one from another address."""
    user = "demo-referrer-2"
    attacker = Browser(base_url, "127.0.0.11")
    wrong = [
        attacker.post_form(
            "/accounts/login/", {"username": user, "password": f"wrong-{i}"}, "/accounts/login/"
        ).status_code
        for i in range(60)
    ]
    right = attacker.post_form(
        "/accounts/login/", {"username": user, "password": password}, "/accounts/login/"
    )
    result = {
        "wrong_statuses": counts(wrong),
        "right_status": right.status_code,
        "right_signed_in": signed_in(attacker),
    }
    attacker.close()
    other = Browser(base_url, "127.0.0.12")
    other_right = other.post_form(
        "/accounts/login/", {"username": user, "password": password}, "/accounts/login/"
    )
    result["other_address_status"] = other_right.status_code
    result["other_address_signed_in"] = signed_in(other)
    other.close()
    return result


def admin_sign_in(base_url: str, password: str, totp_secret: str) -> dict[str, Any]:
    """30 wrong passwords at the admin sign-in, then the right one."""
    user = "demo-admin"
    attacker = Browser(base_url, "127.0.0.13")
    form = "/admin/login/?next=/admin/"
    wrong = [
        attacker.post_form(
            form, {"username": user, "password": f"wrong-{i}", "next": "/admin/"}, form
        ).status_code
        for i in range(30)
    ]
    right = attacker.post_form(
        form, {"username": user, "password": password, "next": "/admin/"}, form
    )
    admin_page = attacker.request("GET", "/admin/")
    result: dict[str, Any] = {
        "wrong_statuses": counts(wrong),
        "right_status": right.status_code,
        "right_location": right.headers.get("location", ""),
        "admin_opens": admin_page.status_code == 200 and "Site administration" in admin_page.text,
    }
    if right.headers.get("location", "").startswith("/accounts/login/"):
        # The admin site now signs in through the service's sign-in page: the
        # same 30 wrong passwords there, then the right one.
        page = "/accounts/login/?next=/admin/"
        wrong = [
            attacker.post_form(
                page, {"username": user, "password": f"wrong-{i}", "next": "/admin/"}, page
            ).status_code
            for i in range(30)
        ]
        right = attacker.post_form(
            page, {"username": user, "password": password, "next": "/admin/"}, page
        )
        admin_page = attacker.request("GET", "/admin/")
        result["via_sign_in_page"] = {
            "wrong_statuses": counts(wrong),
            "right_status": right.status_code,
            "admin_opens": admin_page.status_code == 200
            and "Site administration" in admin_page.text,
        }
    attacker.close()
    return result


def token_spoofed(base_url: str) -> dict[str, Any]:
    """100 wrong passwords at the token call, each with a new X-Forwarded-For."""
    client = httpx.Client(
        base_url=base_url,
        timeout=TIMEOUT,
        transport=httpx.HTTPTransport(local_address="127.0.0.14"),
    )
    statuses = []
    for i in range(100):
        spoofed = f"198.51.100.{i % 250 + 1}, 203.0.113.{i % 250 + 1}"
        statuses.append(
            client.post(
                "/api/v1/auth/token/",
                json={"username": "demo-ward", "password": f"wrong-{i}"},
                headers={"X-Forwarded-For": spoofed},
            ).status_code
        )
    client.close()
    return {
        "statuses": counts(statuses),
        "processed": sum(1 for s in statuses if s == 400),
    }


def token_per_process(base_url: str) -> dict[str, Any]:
    """100 wrong passwords from one address, each for another username: no
    lockout applies, so only the per-address throttle (30/min) stops them."""
    client = httpx.Client(
        base_url=base_url,
        timeout=TIMEOUT,
        transport=httpx.HTTPTransport(local_address="127.0.0.15"),
    )
    statuses = [
        client.post(
            "/api/v1/auth/token/", json={"username": f"nobody-{i}", "password": "wrong"}
        ).status_code
        for i in range(100)
    ]
    client.close()
    return {"statuses": counts(statuses), "processed": sum(1 for s in statuses if s == 400)}


PASSWORDS = ["Summer2026", "Password1234", "demo-coordinator-2026", "a long passphrase of words"]


def password_rules(source: Path, env: dict[str, str]) -> dict[str, Any]:
    script = (
        "import json\n"
        "from django.contrib.auth.password_validation import validate_password\n"
        "from django.core.exceptions import ValidationError\n"
        "from referrals.models import User\n"
        "user = User.objects.get(username='demo-coordinator')\n"
        "out = {}\n"
        f"for p in {PASSWORDS!r}:\n"
        "    try:\n"
        "        validate_password(p, user)\n"
        "        out[p] = 'accepted'\n"
        "    except ValidationError as e:\n"
        "        out[p] = 'refused: ' + ' '.join(e.messages)\n"
        "print(json.dumps(out))\n"
    )
    return json.loads(manage(source, env, "shell", "-c", script).strip().splitlines()[-1])


def two_factor(base_url: str, password: str, totp_secret: str) -> dict[str, Any]:
    user = "demo-coordinator"
    client = httpx.Client(
        base_url=base_url,
        timeout=TIMEOUT,
        transport=httpx.HTTPTransport(local_address="127.0.0.16"),
    )
    no_otp = client.post("/api/v1/auth/token/", json={"username": user, "password": password})
    result: dict[str, Any] = {
        "token_without_otp_status": no_otp.status_code,
        "token_without_otp_body": no_otp.json() if no_otp.status_code < 500 else None,
    }
    if no_otp.status_code == 400:
        with_otp = client.post(
            "/api/v1/auth/token/",
            json={"username": user, "password": password, "otp": totp(totp_secret)},
        )
        result["token_with_otp_status"] = with_otp.status_code
    client.close()
    browser = Browser(base_url, "127.0.0.17")
    page = browser.post_form(
        "/accounts/login/", {"username": user, "password": password}, "/accounts/login/"
    )
    result["html_password_status"] = page.status_code
    result["html_password_location"] = page.headers.get("location", "")
    result["html_password_alone_signed_in"] = signed_in(browser)
    browser.close()
    return result


def tokens(base_url: str, source: Path, env: dict[str, str], password: str) -> dict[str, Any]:
    user = "demo-referrer"
    client = httpx.Client(
        base_url=base_url,
        timeout=TIMEOUT,
        transport=httpx.HTTPTransport(local_address="127.0.0.18"),
    )

    def sign_in() -> dict[str, Any]:
        response = client.post("/api/v1/auth/token/", json={"username": user, "password": password})
        response.raise_for_status()
        return dict(response.json())

    def works(token: str) -> int:
        return client.get(
            "/api/v1/auth/me/", headers={"Authorization": f"Token {token}"}
        ).status_code

    first, second = sign_in(), sign_in()
    result: dict[str, Any] = {
        "two_sign_ins_same_token": first["token"] == second["token"],
        "answer_fields": sorted(first),
    }
    # The API sign-out (there was none before: 404).
    out = client.post(
        "/api/v1/auth/sign-out/", headers={"Authorization": f"Token {first['token']}"}
    )
    result["sign_out_status"] = out.status_code
    result["after_sign_out"] = works(first["token"])
    # A password change (as an admin would make it).
    third = sign_in()
    manage(
        source,
        env,
        "shell",
        "-c",
        "from referrals.models import User\n"
        f"u = User.objects.get(username={user!r})\n"
        f"u.set_password({password!r} + '-changed')\n"
        "u.save()\n",
    )
    result["after_password_change"] = works(third["token"])
    manage(
        source,
        env,
        "shell",
        "-c",
        "from referrals.models import User\n"
        f"u = User.objects.get(username={user!r})\n"
        f"u.set_password({password!r})\n"
        "u.save()\n",
    )
    # Sign out everywhere: two tokens, one call.
    fourth, fifth = sign_in(), sign_in()
    everywhere = client.post(
        "/api/v1/auth/sign-out-everywhere/", headers={"Authorization": f"Token {fourth['token']}"}
    )
    result["sign_out_everywhere_status"] = everywhere.status_code
    result["after_sign_out_everywhere"] = [works(fourth["token"]), works(fifth["token"])]
    client.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout to run (default: this)")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/")
    opts = parser.parse_args()
    source = opts.source.resolve()
    var_dir = Path(tempfile.mkdtemp(prefix="mscc-sign-in-"))
    password = secrets.token_urlsafe(18)
    totp_secret = base64.b32encode(secrets.token_bytes(20)).decode()
    env = environment(var_dir, password, totp_secret)
    manage(source, env, "migrate", "--no-input", "-v", "0")
    manage(source, env, "seed_demo")
    # DEBUG off serves hashed static files from the manifest that collectstatic makes.
    manage(source, env, "collectstatic", "--no-input", "-v", "0")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = start_server(source, env, port, var_dir / "gunicorn.log")
    try:
        wait_for_health(base_url, server)
        results = {
            "source": str(source),
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "html_sign_in": html_sign_in(base_url, password),
            "admin_sign_in": admin_sign_in(base_url, password, totp_secret),
            "token_spoofed_forwarded_for": token_spoofed(base_url),
            "token_throttle_one_address": token_per_process(base_url),
            "password_rules": password_rules(source, env),
            "two_factor": two_factor(base_url, password, totp_secret),
            "tokens": tokens(base_url, source, env, password),
        }
    finally:
        stop_server(server)
    print(json.dumps(results, indent=2))
    if not opts.no_json:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        (RESULTS / f"sign_in-{stamp}.json").write_text(json.dumps(results, indent=2))
    shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
