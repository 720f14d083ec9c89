# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# dns_servfail.py - a DNS server on UDP that answers SERVFAIL to every
# query, for tests/dns.sh: dnsmasq forwards servfail.test here, and
# passes the SERVFAIL on, so a resolver sees a real SERVFAIL at once
# (dnsmasq itself answers a dead upstream with silence, and a client
# then waits out its whole timeout).
#
# usage: dns_servfail.py HOST PORTFILE - binds HOST, port 0, writes the
# port it got to PORTFILE (renamed into place, so a reader never sees
# half of it), then serves until killed.

import os
import socket
import sys


def question_end(q):
    """Where the (uncompressed) question ends, or None."""
    i = 12
    while i < len(q) and q[i] != 0:
        if q[i] & 0xC0:
            return None
        i += 1 + q[i]
    i += 5                      # the root octet, type, class
    return i if i <= len(q) else None


def main():
    host, portfile = sys.argv[1], sys.argv[2]
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((host, 0))
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    while True:
        q, peer = s.recvfrom(4096)
        end = question_end(q) if len(q) >= 12 else None
        if end is None or q[2] & 0x80 or q[4:6] != b"\0\1":
            continue            # not a query with one question
        # the query's id, RD and question; QR and RA set, RCODE 2
        # (SERVFAIL), no records
        flags = bytes([0x80 | (q[2] & 0x79), 0x82])
        s.sendto(q[:2] + flags + q[4:6] + bytes(6) + q[12:end], peer)


if __name__ == "__main__":
    main()
