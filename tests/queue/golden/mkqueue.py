#! /usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# mkqueue.py QUEUEDIR NOW - write the known queue that qstat_test's
# golden files describe into QUEUEDIR (which has drop/ env/ mess/),
# with every time relative to NOW (seconds since the epoch), in the
# env format of qpost-queue(5).  It holds each recipient state, a held
# message, the null sender, equal arrival times (ordered by id), a
# future arrival, hostile bytes in addresses and errors, an env file
# from before the H field existed, a broken env file, a stray name, and
# drop files (one committed, one being written).

import os
import sys

qdir = sys.argv[1]
now = int(sys.argv[2])


def field(tag, value):
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str):
        value = value.encode()
    return tag.encode() + str(len(value)).encode() + b":" + value + b","


def env(mid, arrival, sender, rcpts, held=False, utf8=False, bounce=None,
        uid=1000):
    out = field("V", "1") + field("I", mid) + field("U", uid)
    out += field("A", arrival) + field("F", sender)
    if utf8:
        out += field("O", "1")
    if bounce:
        out += field("B", bounce)
    if held:
        out += field("H", "1")
    for addr, state, tries, nxt, err in rcpts:
        out += field("R", addr) + field("S", state) + field("C", tries)
        out += field("N", nxt) + field("E", err)
    return out + b"Z0:,"


def put(sub, name, data):
    with open(os.path.join(qdir, sub, name), "wb") as f:
        f.write(data)


def message(n, size):
    head = ("Received: (qpost %s invoked by uid 1000);\n"
            "\tFri, 15 Jan 2027 06:00:00 +0000\n"
            "Subject: golden %d\n\n" % ("x" * 16, n)).encode()
    return head + b"b" * (size - len(head) - 1) + b"\n"


REFUSED = "4.4.1 127.0.0.1[127.0.0.1]: connect: Connection refused"
msgs = [
    ("a000000000000001", env("a000000000000001", now - 7200,
        "alice@example.test", [
            ("x@remote.test", "p", 3, now + 600, REFUSED),
            ("bob@example.test", "d", 1, 0, "delivered to Maildir"),
            ("y@remote.test", "p", 3, now + 600, REFUSED),
            ("gone@other.test", "b", 1, 0,
             "5.1.1 <gone@other.test>: user unknown"),
            ("z@remote.test", "p", 2, now + 3700, ""),
        ]), 2000),
    ("0f00000000000000", env("0f00000000000000", now - 7200, "", [
            ("postmaster@Other.TEST", "p", 0, 0, ""),
        ], held=True), 700),
    ("b000000000000003", env("b000000000000003", now - 172805,
        b'e"vil\x1b[31m <x>\\@bad.test', [
            (b"jos\xc3\xa9@ex\xc3\xa4mple.test", "p", 1, now - 10,
             b'quote " back\\slash esc\x1b tab\t bidi\xe2\x80\xae end'
             b' \xff \xf0\x9f\x93\xa8'),
            (b"evil\xc2\x85@Bad.Test", "f", 2, 0, "5.7.1 refused"),
        ], utf8=True), 1536),
    ("c000000000000004", env("c000000000000004", now + 30,
        "carol@example.test", [
            ("z@remote.test", "p", 0, now + 30, ""),
        ], bounce="c00000000000000b"), 100),
]
for mid, e, size in msgs:
    put("env", mid, e)
    put("mess", mid, message(len(mid), size))
put("env", "d000000000000005", b"V1:1,I16:d000000000000005,garbage")
put("mess", "d000000000000005", b"x\n")
put("env", "not-a-queue-id", b"stray")
put("drop", "e000000000000006", b"committed, not picked up")
put("drop", "e000000000000007.tmp", b"being written")
