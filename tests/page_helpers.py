"""Reading the service's pages in tests: a signed-in client, an element by
its id, what a reader sees of it."""

import re
from html import unescape
from typing import Any

from django.test import Client


def signed_in(user: Any, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return response.content.decode()


def fragment(body: str, element_id: str) -> str:
    """The element with this id, as HTML (its tag balanced to its end)."""
    at = body.index(f'id="{element_id}"')
    start = body.rindex("<", 0, at)
    match = re.match(r"<(\w+)", body[start:])
    assert match is not None
    tag = match.group(1)
    depth = 0
    for m in re.finditer(rf"<(/?){tag}\b[^>]*>", body[start:]):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return body[start : start + m.end()]
    raise AssertionError(f"#{element_id} is not closed")


def field_block(form: str, input_id: str) -> str:
    """The field block (label, hint, errors, input) of the input with this id."""
    at = form.index(f'id="{input_id}"')
    start = form.rindex('<div class="field', 0, at)
    return form[start : form.index("</div>", at) + len("</div>")]


def text(markup: str) -> str:
    """What a reader sees: tags dropped, entities read, white space collapsed."""
    return unescape(" ".join(re.sub(r"<[^>]+>", " ", markup).split()))


def swapped(body: str) -> set[str]:
    """The ids an htmx answer swaps out of band."""
    return set(re.findall(r'id="([^"]+)"[^>]*hx-swap-oob=', body))
