"""Checks every page of the service the same way, in one browser tab:
axe-core with the WCAG 2.1 A and AA rules at desktop (1280 px) and phone
(390 px) widths, no sideways scroll at 390 px, no console error, no 5xx,
and no in-app link that answers 4xx. ``Crawler`` walks the pages a signed-in
user reaches by plain links, breadth first.

axe-core comes bundled in ``axe_playwright_python`` (no CDN); ``RULE_TAGS``
limits it to the WCAG 2.0 and 2.1 level A and AA rules (axe's own
best-practice rules are left out, as WCAG does not ask for them)."""

import contextlib
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Error, Page, Response

RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS: dict[str, Any] = {
    "runOnly": {"type": "tag", "values": RULE_TAGS},
    "resultTypes": ["violations"],
}
WIDTHS = (1280, 390)
PHONE = 390
HEIGHTS = {1280: 900, 390: 844}

# Not the service's own pages, not pages, or not a GET that leaves things as they were.
SKIPPED_PREFIXES = ("/admin/", "/api/", "/static/", "/accounts/logout/")
SKIPPED_SUFFIXES = (".csv", ".json", ".pdf", ".zip")
# A path segment that names one record: a UUID or a number.
RECORD_ID = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+)$")

# Every open referral of the busy service is a page worth seeing (each
# category and clock state); a week of the rota or a month of the audit
# is much like the next.
KIND_LIMITS = {"/referrals/{id}/": 16}

_AXE = Axe()


@dataclass
class Checked:
    """One page as checked: its address, what it answered, and what is wrong."""

    url: str
    status: int
    problems: list[str] = field(default_factory=list)


def normalised(url: str) -> str:
    """The address without its fragment, query parameters sorted."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


def page_kind(url: str) -> str:
    """The page an address shows, whatever record or filter values it names:
    ``/referrals/{id}/`` for every referral, ``/audit/?from&to`` for every period."""
    parts = urlsplit(url)
    path = "/".join("{id}" if RECORD_ID.match(s) else s for s in parts.path.split("/"))
    names = sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return path + ("?" + "&".join(names) if names else "")


def describe_violations(where: str, width: int, violations: Iterable[dict[str, Any]]) -> list[str]:
    lines = []
    for violation in violations:
        targets = [", ".join(map(str, node["target"])) for node in violation["nodes"]]
        shown = "; ".join(targets[:3]) + (
            f" (+{len(targets) - 3} more)" if len(targets) > 3 else ""
        )
        lines.append(
            f"{where} at {width} px: axe {violation['id']} ({violation['impact']}, "
            f"{len(targets)} element{'s' if len(targets) != 1 else ''}): {shown}"
        )
    return lines


class PageChecker:
    """One tab, checked page by page. Console errors and uncaught script
    errors are collected between ``open`` and the end of ``check``."""

    def __init__(self, page: Page, screenshots: Path | None = None) -> None:
        self.page = page
        self.screenshots = screenshots
        self.console: list[str] = []
        self.checked: list[Checked] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console.append(f"uncaught: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console.append(message.text)

    def open(self, url: str) -> Response | None:
        self.console.clear()
        response = self.page.goto(url, wait_until="load")
        self.settle()
        return response

    def settle(self) -> None:
        """Let htmx's first requests (panels loaded on load) answer."""
        # A page that polls never goes quiet; "load" has happened all the same.
        with contextlib.suppress(Error):
            self.page.wait_for_load_state("networkidle", timeout=3_000)

    def check(
        self, label: str, status: int, *, expected_status: int = 200, restore: int = 1280
    ) -> Checked:
        """The page as it stands now, at both widths."""
        page = self.page
        checked = Checked(url=label, status=status)
        if status != expected_status:  # a 5xx, or a page that should have answered
            checked.problems.append(f"{label}: answered {status}, not {expected_status}")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
            results = _AXE.run(page, options=AXE_OPTIONS)
            checked.problems += describe_violations(label, width, results.response["violations"])
            if width == PHONE:
                scroll, inner = page.evaluate(
                    "() => [document.documentElement.scrollWidth, window.innerWidth]"
                )
                if scroll > inner:
                    checked.problems.append(
                        f"{label} at {width} px: scrolls sideways ({scroll} px wide)"
                    )
            if self.screenshots is not None:
                name = re.sub(r"[^a-zA-Z0-9]+", "-", label).strip("-") or "home"
                page.screenshot(path=str(self.screenshots / f"{name[:80]}-{width}.png"))
        page.set_viewport_size({"width": restore, "height": HEIGHTS.get(restore, 900)})
        own_status = expected_status if expected_status >= 400 else None
        for text in self.console:
            if own_status and f"status of {own_status}" in text:
                continue  # the page's own expected 403/404, as the browser logs it
            checked.problems.append(f"{label}: console error: {text}")
        self.checked.append(checked)
        return checked

    def visit(self, url: str, *, label: str | None = None, expected_status: int = 200) -> Checked:
        response = self.open(url)
        status = response.status if response is not None else 0
        return self.check(label or url, status, expected_status=expected_status)

    def after(
        self, label: str, action: Callable[[Page], None], *, expected_status: int = 200
    ) -> Checked:
        """The page as an action (a form sent, say) leaves it."""
        self.console.clear()
        statuses: list[tuple[str, int]] = []

        def seen(response: Response) -> None:
            kind = response.request.resource_type
            if kind in ("document", "fetch", "xhr"):
                statuses.append((kind, response.status))

        self.page.on("response", seen)
        try:
            action(self.page)
            self.settle()
        finally:
            self.page.remove_listener("response", seen)
        # Any 5xx, else the page loaded (a form sent in place loads none).
        failed = [status for _, status in statuses if status >= 500]
        loaded = [status for kind, status in statuses if kind == "document"]
        status = max(failed) if failed else (loaded[-1] if loaded else expected_status)
        return self.check(label, status, expected_status=expected_status)

    @property
    def problems(self) -> list[str]:
        return [problem for checked in self.checked for problem in checked.problems]


@dataclass
class Crawler:
    """Every page reachable by GET links from ``start``, breadth first;
    at most ``per_kind`` addresses of one page kind (``KIND_LIMITS`` for a
    few) and ``limit`` pages."""

    checker: PageChecker
    base_url: str
    limit: int = 200
    per_kind: int = 4
    seen: set[str] = field(default_factory=set)
    kinds: dict[str, int] = field(default_factory=dict)
    found_on: dict[str, str] = field(default_factory=dict)

    def wanted(self, url: str) -> bool:
        parts = urlsplit(url)
        base = urlsplit(self.base_url)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            return False
        path = parts.path or "/"
        return not (path.startswith(SKIPPED_PREFIXES) or path.endswith(SKIPPED_SUFFIXES))

    def links(self) -> list[str]:
        found: list[list[Any]] = self.checker.page.eval_on_selector_all(
            "a[href]", "links => links.map(a => [a.href, a.hasAttribute('download')])"
        )
        return [href for href, download in found if not download and self.wanted(href)]

    def crawl(self, start: str = "/") -> list[Checked]:
        queue = deque([normalised(self.base_url + start)])
        self.seen.add(queue[0])
        visited: list[Checked] = []
        while queue and len(visited) < self.limit:
            url = queue.popleft()
            response = self.checker.open(url)
            status = response.status if response is not None else 0
            final = normalised(self.checker.page.url)
            label = urlsplit(url)._replace(scheme="", netloc="").geturl()
            if final != url:
                label += " -> " + urlsplit(final)._replace(scheme="", netloc="").geturl()
                self.seen.add(final)
            checked = self.checker.check(label, status)
            if status >= 400 and url in self.found_on:
                checked.problems.append(f"{label}: a broken link on {self.found_on[url]}")
            visited.append(checked)
            if status >= 400:
                continue
            for link in self.links():
                link = normalised(link)
                if link in self.seen:
                    continue
                kind = page_kind(link)
                if self.kinds.get(kind, 0) >= KIND_LIMITS.get(kind, self.per_kind):
                    continue
                self.seen.add(link)
                self.kinds[kind] = self.kinds.get(kind, 0) + 1
                self.found_on[link] = urlsplit(final).path
                queue.append(link)
        return visited
