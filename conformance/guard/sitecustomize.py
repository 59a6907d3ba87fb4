"""Loopback guard for the conformance checkers (scripts/conformance.sh).

scripts/conformance.sh puts this folder on PYTHONPATH, so every Python process it starts (and
every child of theirs) imports this module at start-up. From then on the process can only
resolve names to, and open connections or send datagrams to, loopback addresses
(127.0.0.0/8, ::1, and localhost); anything else fails with LoopbackGuardError, an OSError,
before a packet leaves the machine. Unix-domain sockets stay allowed.

What it wraps: socket.getaddrinfo, gethostbyname, gethostbyname_ex, gethostbyaddr,
getnameinfo, create_connection, and the connect, connect_ex, sendto and sendmsg methods of
socket.socket (which asyncio and every HTTP library use). Code that would reach the network
without Python's socket module (a C extension opening its own sockets, a subprocess that is
not Python) is not covered; the checkers have none.

Run `python3 conformance/guard/sitecustomize.py` to see the decisions on a few addresses.
"""

import ipaddress
import socket
import sys

GUARD_ACTIVE = True
_LOCAL_NAMES = {"localhost", "localhost.", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class LoopbackGuardError(ConnectionRefusedError):
    """Raised instead of any lookup or connection to a non-loopback address."""


class LoopbackGuardLookupError(socket.gaierror):
    """Raised instead of resolving a name that is not a loopback name or address."""


def is_loopback_host(host):
    """True for localhost names and loopback addresses (IPv4-mapped ones included)."""
    if host is None:
        return True  # getaddrinfo(None, port): the local wildcard or loopback, never remote
    if isinstance(host, (bytes, bytearray)):
        host = bytes(host).decode("ascii", "replace")
    host = str(host).strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.split("%", 1)[0]  # a zone index (fe80::1%eth0) does not make it loopback
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_loopback


def _check_address(family, address, what):
    """Refuse an AF_INET/AF_INET6 socket address whose host is not a loopback address."""
    if family not in (socket.AF_INET, socket.AF_INET6):
        return  # AF_UNIX and other local families
    host = address[0] if isinstance(address, tuple) and address else address
    if host is None or not is_loopback_host(host):
        raise LoopbackGuardError(f"loopback guard: refusing to {what} {address!r} (not loopback)")


_real_getaddrinfo = socket.getaddrinfo
_real_gethostbyname = socket.gethostbyname
_real_gethostbyname_ex = socket.gethostbyname_ex
_real_gethostbyaddr = socket.gethostbyaddr
_real_getnameinfo = socket.getnameinfo
_real_create_connection = socket.create_connection
_Socket = socket.socket
_real_connect = _Socket.connect
_real_connect_ex = _Socket.connect_ex
_real_sendto = _Socket.sendto
_real_sendmsg = _Socket.sendmsg


def _refuse_lookup(host):
    raise LoopbackGuardLookupError(
        socket.EAI_NONAME, f"loopback guard: refusing to resolve {host!r} (not loopback)"
    )


def getaddrinfo(host, port, *args, **kwargs):
    if not is_loopback_host(host):
        _refuse_lookup(host)
    results = _real_getaddrinfo(host, port, *args, **kwargs)
    # "localhost" comes from /etc/hosts; keep only what really is loopback.
    kept = [r for r in results if r[0] not in (socket.AF_INET, socket.AF_INET6)
            or is_loopback_host(r[4][0])]
    if not kept:
        _refuse_lookup(host)
    return kept


def gethostbyname(host):
    if not is_loopback_host(host):
        _refuse_lookup(host)
    addr = _real_gethostbyname(host)
    if not is_loopback_host(addr):
        _refuse_lookup(host)
    return addr


def gethostbyname_ex(host):
    if not is_loopback_host(host):
        _refuse_lookup(host)
    name, aliases, addrs = _real_gethostbyname_ex(host)
    addrs = [a for a in addrs if is_loopback_host(a)]
    if not addrs:
        _refuse_lookup(host)
    return name, aliases, addrs


def gethostbyaddr(ip):
    if not is_loopback_host(ip):
        _refuse_lookup(ip)
    return _real_gethostbyaddr(ip)


def getnameinfo(sockaddr, flags):
    if not is_loopback_host(sockaddr[0]):
        _refuse_lookup(sockaddr[0])
    return _real_getnameinfo(sockaddr, flags)


def create_connection(address, *args, **kwargs):
    if not is_loopback_host(address[0]):
        raise LoopbackGuardError(f"loopback guard: refusing to connect to {address!r} (not loopback)")
    return _real_create_connection(address, *args, **kwargs)


def _connect(self, address):
    _check_address(self.family, address, "connect to")
    return _real_connect(self, address)


def _connect_ex(self, address):
    _check_address(self.family, address, "connect to")
    return _real_connect_ex(self, address)


def _sendto(self, data, *args):
    # sendto(data, address) or sendto(data, flags, address)
    if args:
        _check_address(self.family, args[-1], "send to")
    return _real_sendto(self, data, *args)


def _sendmsg(self, buffers, *args):
    # sendmsg(buffers[, ancdata[, flags[, address]]])
    if len(args) >= 3 and args[2] is not None:
        _check_address(self.family, args[2], "send to")
    return _real_sendmsg(self, buffers, *args)


socket.getaddrinfo = getaddrinfo
socket.gethostbyname = gethostbyname
socket.gethostbyname_ex = gethostbyname_ex
socket.gethostbyaddr = gethostbyaddr
socket.getnameinfo = getnameinfo
socket.create_connection = create_connection
_Socket.connect = _connect
_Socket.connect_ex = _connect_ex
_Socket.sendto = _sendto
_Socket.sendmsg = _sendmsg


if __name__ == "__main__":
    for h in ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "::ffff:127.0.0.1", "localhost",
              "0.0.0.0", "10.0.0.1", "192.0.2.1", "::", "example.com"]:
        print(f"{h:<20} {'allowed' if is_loopback_host(h) else 'refused'}")
    sys.exit(0)
