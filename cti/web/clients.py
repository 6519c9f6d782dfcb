"""Who is at the other end: the client's address and whether it came over TLS, believing
``X-Forwarded-For`` / ``X-Forwarded-Proto`` only from the configured reverse proxies."""

from __future__ import annotations

import ipaddress

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` -> networks; a bad entry is a ValueError naming it."""
    nets = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"not an address or network: {item!r}") from None
    return tuple(nets)


def _trusted(address: str | None, proxies: tuple[Network, ...]) -> bool:
    if not address or not proxies:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(request: web.Request, proxies: tuple[Network, ...]) -> str:
    """The peer address, or behind a trusted proxy the last address it was not told by a
    trusted proxy (X-Forwarded-For read from the right: the left part is the client's to forge)."""
    peer = request.remote or "?"
    if not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return hops[0] if hops else peer


def came_over_tls(request: web.Request, proxies: tuple[Network, ...]) -> bool:
    if request.secure:
        return True
    if _trusted(request.remote, proxies):
        return request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower() == "https"
    return False
