"""The client's address, from one setting: ``MSCC_TRUSTED_PROXIES``.

Everything that counts or locks per client (the sign-in lockout, the sign-in
throttle, the security logs) asks ``client_address(request)`` and nothing
else, so there is one answer to "who is this?".

- The peer (``REMOTE_ADDR``) is the client, unless the peer is one of the
  trusted proxies (addresses or networks in ``MSCC_TRUSTED_PROXIES``; none by
  default). ``X-Forwarded-For`` from anyone else is ignored: a client can
  write anything in it (the security test spoofed 100 addresses).
- Behind trusted proxies, ``X-Forwarded-For`` is read from the right (each
  proxy appends the address it received the request from) past every trusted
  proxy; the first address that is not one is the client. Anything to its
  left was written by the client and is not believed.
- A malformed entry stops the walk: the last trusted hop that forwarded it is
  taken as the client, so garbage cannot pick an address.
"""

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry)


def trusted_networks(entries: Iterable[str] | None = None) -> tuple[Network, ...]:
    """The trusted proxies as networks (an address is a /32 or /128).
    Raises ``ValueError`` for an entry that is neither."""
    if entries is None:
        entries = getattr(settings, "MSCC_TRUSTED_PROXIES", ())
    return _networks(tuple(entries))


def _parse(value: str) -> Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1 and "." in value:  # v4:port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_address(request: Any) -> str | None:
    """The client's IP address as text, or None when the request has no
    usable peer address (a request made in a test without one)."""
    meta = getattr(request, "META", {})
    peer = _parse(str(meta.get("REMOTE_ADDR") or ""))
    if peer is None:
        return None
    networks = trusted_networks()
    if not networks or not _trusted(peer, networks):
        return str(peer)
    client = peer
    forwarded = str(meta.get("HTTP_X_FORWARDED_FOR") or "")
    for entry in reversed([e for e in forwarded.split(",") if e.strip()]):
        hop = _parse(entry)
        if hop is None:
            break
        client = hop
        if not _trusted(hop, networks):
            break
    return str(client)
