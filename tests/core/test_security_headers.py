"""Issue 9, item 8: Content-Security-Policy with no inline script or style,
Permissions-Policy, Cache-Control: no-store on patient pages and API
answers; the schema, its docs page and DRF's browsable API not public."""

import re
from typing import Any

import pytest

from tests.coordinator.test_pages import form_post, signed_in
from tests.notifications.test_inbox_pages import raised  # noqa: F401 (a fixture)

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def _no_inline_code(html: str) -> None:
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert "<style" not in html.lower()
    assert not re.search(r"<[^>]+\sstyle\s*=", html, re.I)
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html)
    assert "javascript:" not in html.lower()


def test_every_page_has_no_inline_script_handler_or_style(world, raised, client):  # noqa: F811
    """Before: four pages carried <style> blocks and two style="" attributes
    (the CSP below would have stripped them). After: none, on every page."""
    coordinator = signed_in(world.coordinator)
    pages = [
        f"/referrals/{raised.pk}/",
        "/queue/",
        "/queue/print/",
        "/referrals/new/",
        "/referrals/mine/",
        "/notifications/",
        "/rota/",
        "/rota/gaps/",
    ]
    for url in pages:
        response = coordinator.get(url)
        assert response.status_code == 200, url
        _no_inline_code(response.content.decode())
    _no_inline_code(signed_in(world.admin).get("/rota/").content.decode())
    _no_inline_code(
        signed_in(world.referrer).post("/referrals/new/", form_post(service="")).content.decode()
    )
    _no_inline_code(client.get("/accounts/login/").content.decode())


def test_pages_and_the_api_carry_the_policies_and_are_never_stored(world, api, referral):
    page = signed_in(world.coordinator).get(f"/referrals/{referral.pk}/")
    answer = api(world.coordinator).get(f"/api/v1/referrals/{referral.pk}/")
    listed = api(world.referrer).get("/api/v1/referrals/")
    for response in (page, answer, listed):
        assert response["Cache-Control"] == "no-store"
        assert "camera=()" in response["Permissions-Policy"]
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "style-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/docs/?script"])
def test_the_schema_and_its_docs_are_for_signed_in_users_only(db, client, api, coordinator, url):
    assert client.get(url).status_code in (401, 403)
    signed = signed_in(coordinator).get(url)
    assert signed.status_code == 200
    if url == "/api/docs/":
        _no_inline_code(signed.content.decode())
        assert "/api/docs/?script" in signed.content.decode()


def test_the_schema_describes_pages_of_lists_and_every_error(db, coordinator, api):
    schema = api(coordinator).get("/api/schema/?format=json").json()
    listed = schema["paths"]["/api/v1/referrals/"]["get"]["responses"]["200"]
    ref = listed["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    assert page["properties"]["results"]["type"] == "array"
    created = schema["paths"]["/api/v1/referrals/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "413", "422", "429"} <= set(created)
    assert "Retry-After" in created["429"]["headers"]
    event = schema["paths"]["/api/v1/referrals/{referral_id}/events/"]["post"]["responses"]
    assert {"400", "404", "409"} <= set(event)


def test_the_browsable_api_is_off_when_debug_is_off(settings: Any) -> None:
    """Read from the settings module as production loads it."""
    import subprocess
    import sys

    from tests.traffic.server import ROOT, server_env

    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'])",
        ],
        cwd=ROOT,
        env={**server_env(settings.VAR_DIR), "DJANGO_SETTINGS_MODULE": "mscc.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "['rest_framework.renderers.JSONRenderer']"
