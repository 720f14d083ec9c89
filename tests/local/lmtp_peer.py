#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# lmtp_peer - an LMTP server (RFC 2033) for local's LMTP tests: a
# correct one, or one that breaks the per-recipient replies after DATA
# in the ways a client must survive.  Standard library only; run with
# /usr/bin/python3.
#
# usage: lmtp_peer.py --dir DIR
#
#   Listens on 127.0.0.1, a port from the kernel.  Writes DIR/pid, then
#   DIR/port, then DIR/ready last (the test's signal to connect).
#
# DIR/mode is read at each new connection (one word; "good" if absent):
#   good          220 greeting; LHLO offers PIPELINING, 8BITMIME,
#                 ENHANCEDSTATUSCODES; MAIL 250; RCPT by local part:
#                 "perm..." 550 5.1.1, "temp..." 450 4.2.1, others 250;
#                 after the message one reply per accepted recipient in
#                 order: "late..." 452 4.2.2 (mailbox full), others
#                 250 2.0.0 (stored: DIR/mail/N.eml, the message with
#                 LF line ends and dots unstuffed, and N.rcpt, the
#                 recipient).
#   fewer         as good, but after the message the reply for the last
#                 accepted recipient never comes: the server closes.
#   fewer_stall   as fewer, but holds the connection open instead.
#   malformed     as good, but after the message: "25O garbage", then
#                 it waits for the client to close.
#   close_in_data as good until 354; reads one line of the message and
#                 closes.
# DIR/log: one line per command and event.

import argparse
import os
import signal
import socket
import sys
import threading


class Closed(Exception):
    pass


class Conn:
    def __init__(self, peer, sock, n):
        self.peer, self.sock, self.n = peer, sock, n
        self.buf = b""
        self.mode = peer.mode()

    def log(self, s):
        self.peer.log("conn=%d %s" % (self.n, s))

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                raise Closed("client closed")
            self.buf += d
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def say(self, s):
        self.sock.sendall(s.encode() + b"\r\n")

    def hold(self):
        """Wait until the client closes."""
        while self.sock.recv(65536):
            pass
        raise Closed("client closed")

    def data(self):
        out = b""
        while True:
            ln = self.line()
            if self.mode == "close_in_data":
                raise Closed("closed in data")
            if ln == b".":
                return out
            out += (ln[1:] if ln.startswith(b".") else ln) + b"\n"

    def run(self):
        self.say("220 lmtp.test LMTP ready")
        rcpts = []
        while True:
            ln = self.line()
            self.log("cmd %r" % ln)
            verb = ln[:4].upper()
            if verb == b"LHLO":
                self.say("250-lmtp.test\r\n250-PIPELINING\r\n250-8BITMIME"
                         "\r\n250 ENHANCEDSTATUSCODES")
            elif verb == b"MAIL":
                rcpts = []
                self.say("250 2.1.0 OK")
            elif verb == b"RCPT":
                addr = ln.split(b"<", 1)[1].split(b">", 1)[0].decode()
                if addr.startswith("perm"):
                    self.say("550 5.1.1 <%s> User doesn't exist" % addr)
                elif addr.startswith("temp"):
                    self.say("450 4.2.1 <%s> try later" % addr)
                else:
                    rcpts.append(addr)
                    self.say("250 2.1.5 OK")
            elif verb == b"DATA":
                if not rcpts:
                    self.say("503 5.5.1 No valid recipients")
                    continue
                self.say("354 OK")
                msg = self.data()
                self.replies(rcpts, msg)
            elif verb == b"QUIT":
                self.say("221 2.0.0 Bye")
                raise Closed("quit")
            else:
                self.say("500 5.5.2 what")

    def replies(self, rcpts, msg):
        if self.mode == "malformed":
            self.sock.sendall(b"25O garbage\r\n")
            self.log("sent malformed")
            self.hold()
        n = len(rcpts) - 1 if self.mode.startswith("fewer") else len(rcpts)
        for r in rcpts[:n]:
            if r.startswith("late"):
                self.say("452 4.2.2 <%s> Quota exceeded" % r)
                continue
            k = self.peer.store(msg, r)
            self.log("stored %d for <%s>" % (k, r))
            self.say("250 2.0.0 <%s> Saved" % r)
        if self.mode == "fewer":
            raise Closed("closed after %d of %d replies" % (n, len(rcpts)))
        if self.mode == "fewer_stall":
            self.log("stall after %d of %d replies" % (n, len(rcpts)))
            self.hold()


class Peer:
    def __init__(self, folder):
        self.dir = folder
        self.lock = threading.Lock()
        self.nconn = self.nmail = 0
        os.makedirs(os.path.join(folder, "mail"), exist_ok=True)
        self.logf = open(os.path.join(folder, "log"), "a", buffering=1)

    def log(self, s):
        with self.lock:
            self.logf.write(s + "\n")

    def mode(self):
        try:
            with open(os.path.join(self.dir, "mode")) as f:
                w = f.read().split()
        except FileNotFoundError:
            return "good"
        return w[0] if w else "good"

    def store(self, msg, rcpt):
        with self.lock:
            self.nmail += 1
            n = self.nmail
        base = os.path.join(self.dir, "mail", str(n))
        with open(base + ".rcpt.tmp", "w") as f:
            f.write(rcpt + "\n")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(msg)
        os.rename(base + ".rcpt.tmp", base + ".rcpt")
        os.rename(base + ".eml.tmp", base + ".eml")
        return n

    def serve(self, sock, n):
        c = Conn(self, sock, n)
        self.log("conn=%d connect mode=%s" % (n, c.mode))
        try:
            c.run()
        except (Closed, OSError) as e:
            self.log("conn=%d close reason=%r" % (n, str(e)))
        finally:
            sock.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    peer = Peer(a.dir)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    signal.signal(signal.SIGTERM, lambda s, f: os._exit(0))
    for name, value in (("pid", os.getpid()),
                        ("port", ls.getsockname()[1])):
        with open(os.path.join(a.dir, name + ".tmp"), "w") as f:
            f.write("%s\n" % value)
        os.rename(os.path.join(a.dir, name + ".tmp"),
                  os.path.join(a.dir, name))
    open(os.path.join(a.dir, "ready"), "w").close()
    while True:
        s, _ = ls.accept()
        with peer.lock:
            peer.nconn += 1
            n = peer.nconn
        threading.Thread(target=peer.serve, args=(s, n),
                         daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
