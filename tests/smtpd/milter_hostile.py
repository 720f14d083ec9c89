#! /usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# milter_hostile.py SOCKET MODEFILE - a milter that breaks the protocol
# in the way MODEFILE names (read at each connection), for milter_test:
#   hang        never answers the negotiation
#   close       closes after the negotiation
#   bigpacket   announces a packet of 2 GiB
#   zeropacket  announces a packet of no octets
#   badopt      answers the negotiation with "continue"
#   symlist     asks for an action qpost does not offer (SETSYMLIST)
#   unaskedq    negotiates no quarantine, then asks for one
#   badq        asks for a quarantine whose reason has no NUL
#   unasked     negotiates no action, then adds a header
#   inject      adds a header whose value starts a new field
#   badname     adds a header whose name has a colon
#   badcode     refuses with reply code 250
#   unknown     answers the end of the message with 'Z'
#   progress    sends "progress" three times, then accepts
# The socket file exists once it listens.
import os
import socket
import struct
import sys

SOCK, MODEFILE = sys.argv[1], sys.argv[2]
ALL_ACTIONS = 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x40 | 0x80


def packet(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def read_exact(c, n):
    b = b""
    while len(b) < n:
        chunk = c.recv(n - len(b))
        if not chunk:
            raise EOFError
        b += chunk
    return b


def serve(c, mode):
    while True:
        n = struct.unpack(">I", read_exact(c, 4))[0]
        data = read_exact(c, n)
        cmd, rest = data[:1], data[1:]
        if cmd == b"O":
            if mode == "hang":
                read_exact(c, 1)
            if mode == "bigpacket":
                c.sendall(struct.pack(">I", 0x7FFFFFFF) + b"O")
                return
            if mode == "zeropacket":
                c.sendall(struct.pack(">I", 0))
                return
            if mode == "badopt":
                c.sendall(packet(b"c"))
                continue
            actions = {"symlist": ALL_ACTIONS | 0x100, "unasked": 0,
                       "badq": ALL_ACTIONS | 0x20}.get(mode, ALL_ACTIONS)
            c.sendall(packet(b"O", struct.pack(">III", 6, actions, 0)))
            if mode == "close":
                return
        elif cmd == b"E":
            eom = {
                "unasked": packet(b"h", b"X-A\0b\0"),
                "unaskedq": packet(b"q", b"spam\0"),
                "badq": packet(b"q", b"spam"),
                "inject": packet(b"h", b"X-A\0b\nBcc: x@example.test\0"),
                "badname": packet(b"h", b"X:A\0b\0"),
                "badcode": packet(b"y", b"250 2.0.0 fine\0"),
                "unknown": packet(b"Z"),
                "progress": packet(b"p") * 3,
            }.get(mode, b"")
            c.sendall(eom + packet(b"a"))
        elif cmd == b"Q":
            return
        elif cmd != b"D":
            c.sendall(packet(b"c"))


srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(SOCK + ".new")
srv.listen(8)
os.rename(SOCK + ".new", SOCK)
while True:
    conn, _ = srv.accept()
    try:
        serve(conn, open(MODEFILE).read().strip())
    except (EOFError, OSError):
        pass
    conn.close()
