"""One answer to "which client is this?" (core/client_address.py): the peer,
unless the peer is a trusted proxy; a client-written X-Forwarded-For is never
believed."""

from typing import Any

import pytest
from django.test import RequestFactory

from core.client_address import client_address, trusted_networks


def request(peer: str | None, forwarded: str | None = None) -> Any:
    meta: dict[str, str] = {}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    made = RequestFactory().get("/", **meta)
    if peer is None:
        del made.META["REMOTE_ADDR"]
    else:
        made.META["REMOTE_ADDR"] = peer
    return made


def test_without_trusted_proxies_the_peer_is_the_client_whatever_it_forwards(settings):
    settings.MSCC_TRUSTED_PROXIES = []
    assert client_address(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"
    assert client_address(request("203.0.113.9", "garbage, 10.0.0.1")) == "203.0.113.9"


def test_a_forwarded_for_from_an_untrusted_peer_is_ignored(settings):
    settings.MSCC_TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_address(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_address_it_received_from_is_the_client(settings):
    settings.MSCC_TRUSTED_PROXIES = ["10.0.0.0/24"]
    # The client wrote "1.2.3.4" itself; the proxy appended what it saw.
    assert client_address(request("10.0.0.5", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(settings):
    settings.MSCC_TRUSTED_PROXIES = ["10.0.0.5", "10.0.1.0/24"]
    chain = "1.2.3.4, 198.51.100.7, 10.0.1.20"
    assert client_address(request("10.0.0.5", chain)) == "198.51.100.7"


def test_garbage_in_the_header_cannot_choose_the_address(settings):
    settings.MSCC_TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_address(request("10.0.0.5", "1.2.3.4, not-an-address")) == "10.0.0.5"
    assert client_address(request("10.0.0.5", "")) == "10.0.0.5"


def test_ipv6_ports_and_mapped_addresses(settings):
    settings.MSCC_TRUSTED_PROXIES = ["::1"]
    assert client_address(request("::1", "[2001:db8::7]:443")) == "2001:db8::7"
    assert client_address(request("::ffff:203.0.113.9")) == "203.0.113.9"
    assert client_address(request("::1", "198.51.100.7:5555")) == "198.51.100.7"


def test_no_peer_address_is_none(settings):
    assert client_address(request(None)) is None
    assert client_address(request("not an address")) is None


def test_a_bad_trusted_proxy_entry_is_refused():
    with pytest.raises(ValueError):
        trusted_networks(["10.0.0.300"])
