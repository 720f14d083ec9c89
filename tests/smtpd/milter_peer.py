#! /usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# milter_peer.py SOCKET LOG - a milter (SOCKET: a path, or inet:PORT@HOST) on libmilter (Debian's
# python3-milter) for milter_test: what qpmilter sends it is written to
# LOG, one "key value" line each; what it does depends on the message's
# Subject:
#   reject    550 5.7.1 with its own text     tempfail  451 4.7.1
#   discard   drop the message                body      a new body
#   addrcpt   add bob@example.test            delrcpt   remove alice
#   chgfrom   the sender becomes new@example.test
#   quarantine  put aside "for a human" (queued held)
#   soak ...  (tests/soak/soak.py --milter) X-Milter: seen at the top,
#             which tests/audit.py strips as it strips qpost's own
#   anything else: add X-Milter (what it saw), X-First at the top,
#   and "[tagged] " before the Subject.
# The socket file exists once it listens (the test's readiness signal).
import hashlib
import sys

import Milter

SOCK, LOG = sys.argv[1], sys.argv[2]


def note(*words):
    with open(LOG, "a") as f:
        f.write(" ".join(str(w) for w in words) + "\n")


class Peer(Milter.Base):
    def __init__(self):
        self.rcpts = []
        self.subject = ""
        self.content = b""
        self.nhdr = 0

    def connect(self, host, family, addr):
        note("connect", host, addr[0] if addr else "-")
        note("macro_j", self.getsymval("j"))
        return Milter.CONTINUE

    def hello(self, helo):
        note("helo", helo)
        return Milter.CONTINUE

    def envfrom(self, sender, *args):
        self.sender = sender
        note("mail", sender)
        note("macro_i", self.getsymval("i"))
        note("macro_auth", self.getsymval("{auth_authen}"))
        return Milter.CONTINUE

    def envrcpt(self, rcpt, *args):
        self.rcpts.append(rcpt)
        note("rcpt", rcpt)
        return Milter.CONTINUE

    def header(self, name, value):
        self.nhdr += 1
        if name.lower() == "subject":
            self.subject = value
        if name.lower() == "x-folded":
            note("folded", repr(value))
        return Milter.CONTINUE

    def body(self, chunk):
        self.content += chunk
        return Milter.CONTINUE

    def eom(self):
        note("body_crlf", b"\r\n" in self.content and b"\n" not in
             self.content.replace(b"\r\n", b""))
        note("body_sha256", hashlib.sha256(self.content).hexdigest())
        s = self.subject
        if s == "reject":
            self.setreply("550", "5.7.1", "spam detected by the peer")
            return Milter.REJECT
        if s == "tempfail":
            self.setreply("451", "4.7.1", "the peer is busy")
            return Milter.TEMPFAIL
        if s == "discard":
            return Milter.DISCARD
        if s == "body":
            self.replacebody(b"a new body\r\nof two lines\r\n")
            return Milter.ACCEPT
        if s == "addrcpt":
            self.addrcpt("<bob@example.test>")
            return Milter.ACCEPT
        if s == "delrcpt":
            self.delrcpt("<alice@example.test>")
            return Milter.ACCEPT
        if s == "chgfrom":
            self.chgfrom("<new@example.test>")
            return Milter.ACCEPT
        if s == "quarantine":
            self.quarantine("for a human")
            return Milter.ACCEPT
        if s.startswith("soak "):
            self.addheader("X-Milter", "seen", 0)
            return Milter.ACCEPT
        self.addheader("X-Milter", "from=%s rcpts=%d headers=%d" %
                       (self.sender, len(self.rcpts), self.nhdr))
        self.addheader("X-First", "top", 0)
        self.chgheader("Subject", 1, "[tagged] " + s)
        return Milter.ACCEPT


Milter.factory = Peer
Milter.set_flags(Milter.ADDHDRS | Milter.CHGHDRS | Milter.CHGBODY |
                 Milter.ADDRCPT | Milter.DELRCPT | Milter.CHGFROM |
                 Milter.QUARANTINE)
# a socket path, or libmilter's "inet:PORT@HOST"
Milter.runmilter("peer", SOCK if SOCK.startswith("inet:") else "unix:" + SOCK,
                 30)
