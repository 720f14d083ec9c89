#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# policy_peer - a policy server of Postfix's delegation protocol for
# smtpd's tests: correct, or misbehaving as the recipient asks.
# Standard library only; run with /usr/bin/python3.
#
# usage: policy_peer.py --listen unix:/PATH|inet:ADDR:PORT --dir DIR
#
# PORT 0 lets the kernel choose; the port goes to DIR/port.  DIR/pid
# and then DIR/ready are written once it listens.  Each connection is
# served in a thread, request after request, as long as the client
# keeps it; DIR/conns counts connections (rewritten through a rename),
# DIR/requests gets each request as one JSON object a line.
#
# The answer depends on the recipient's local part, by its start:
#   reject    action=REJECT no thanks
#   code      action=550 5.7.9 refused by code
#   defer     action=DEFER_IF_PERMIT 4.2.0 Greylisted, come back later
#   prepend   action=PREPEND X-Policy: checked by policy_peer
#   ok        action=OK
#   hold      action=HOLD quarantined
#   filter    action=FILTER smtp:[127.0.0.1]:10025 (smtpd takes it as DUNNO)
#   discard   action=DISCARD trapped
#   redirect  action=REDIRECT bob@example.test
#   bcc       action=BCC bob@example.test
#   drop      action=DUNNO, then the connection is closed
#   garbage   a line without "=", not a reply
#   unknown   action=permit_mynetworks (not an action)
#   long      action=DUNNO and a 5000-byte attribute
#   nul       action=DUNNO with a NUL in it
#   twice     two whole replies at once
#   hang      no answer; the connection is held until the client goes
#   close     the connection is closed without an answer
#   anything else: action=DUNNO
import argparse
import json
import os
import socket
import socketserver
import threading

lock = threading.Lock()
conns = 0


def put(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


ANSWERS = [
    ("reject", b"action=REJECT no thanks\n\n"),
    ("code", b"action=550 5.7.9 refused by code\n\n"),
    ("defer", b"action=DEFER_IF_PERMIT 4.2.0 Greylisted, come back later\n\n"),
    ("prepend", b"action=PREPEND X-Policy: checked by policy_peer\n\n"),
    ("ok", b"action=OK\n\n"),
    ("hold", b"action=HOLD quarantined\n\n"),
    ("filter", b"action=FILTER smtp:[127.0.0.1]:10025\n\n"),
    ("discard", b"action=DISCARD trapped\n\n"),
    ("redirect", b"action=REDIRECT bob@example.test\n\n"),
    ("bcc", b"action=BCC bob@example.test\n\n"),
    ("drop", b"action=DUNNO\n\n"),
    ("garbage", b"this is not a reply\n\n"),
    ("unknown", b"action=permit_mynetworks\n\n"),
    ("long", b"action=DUNNO\nx=" + b"x" * 5000 + b"\n\n"),
    ("nul", b"action=DUN\0NO\n\n"),
    ("twice", b"action=DUNNO\n\naction=DUNNO\n\n"),
]


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        global conns
        with lock:
            conns += 1
            put(os.path.join(self.server.dir, "conns"), "%d\n" % conns)
        while True:
            attrs = {}
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                line = line.rstrip(b"\n")
                if not line:
                    break
                k, _, v = line.decode("utf-8", "replace").partition("=")
                attrs[k] = v
            with lock:
                with open(os.path.join(self.server.dir, "requests"),
                          "a") as f:
                    f.write(json.dumps(attrs) + "\n")
            local = attrs.get("recipient", "").split("@")[0]
            if local.startswith("hang"):
                self.rfile.read()	# until the client closes
                return
            if local.startswith("close"):
                return
            answer = b"action=DUNNO\n\n"
            for prefix, a in ANSWERS:
                if local.startswith(prefix):
                    answer = a
                    break
            self.wfile.write(answer)
            self.wfile.flush()
            if local.startswith("drop"):
                return


class Unix(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class Inet(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    if a.listen.startswith("unix:"):
        path = a.listen[5:]
        if os.path.exists(path):
            os.unlink(path)
        srv = Unix(path, Handler)
        os.chmod(path, 0o777)
        port = 0
    else:
        host, _, port = a.listen[5:].rpartition(":")
        srv = Inet((host, int(port)), Handler)
        port = srv.server_address[1]
    srv.dir = a.dir
    put(os.path.join(a.dir, "port"), "%d\n" % port)
    put(os.path.join(a.dir, "pid"), "%d\n" % os.getpid())
    put(os.path.join(a.dir, "ready"), "")
    srv.serve_forever()


if __name__ == "__main__":
    main()
