#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# hostile_peer - an SMTP server for the remote sender's tests: a correct
# ESMTP server, or one of the ways a server on the Internet misbehaves,
# chosen per connection.  Standard library only; run with /usr/bin/python3.
#
# usage: hostile_peer.py --listen ADDR:PORT --dir DIR [--cert PEM --key PEM]
#
#   ADDR is an IPv4 address or an IPv6 one in brackets ([::1]:2525).
#   PORT 0 lets the kernel choose; the port is written to DIR/port.
#   With --cert and --key (PEM files) STARTTLS is offered and works.
#
# Files in DIR:
#   pid      written once it listens (then port, then ready)
#   port     the port it listens on
#   ready    created last: the test's signal that connections will work
#   maxactive  the most connections that were ever open at once (a
#            number and a newline), rewritten (through a rename) each
#            time the most grows: how a test sees a client's
#            concurrency from the server's side.
#   delay    seconds (a decimal number, default 1) that slow_data
#            waits before its final reply; read at each use.
#   mode     read at EACH new connection: one word, "good" when absent
#            or empty.  A test switches behaviour between attempts by
#            writing it (write a temporary file and rename it, so a
#            connection never reads half a word).  An unknown word gets
#            "421 4.3.0 unknown mode" and a log line.
#   log      one line per event, appended (strings from the wire are
#            quoted, with \xNN for anything not printable):
#              start pid=N listen=ADDR:PORT port=N tls=0|1
#              conn=N connect mode="M" from=ADDR:PORT active=K
#                  (K: connections open now, this one included)
#              conn=N cmd "LINE" reply=CODE      (each command line)
#              conn=N data bytes=N reply=CODE [mail=N]
#                  [warning=8bit-undeclared]     (after the final dot)
#              conn=N tls version=V cipher=C     or: tls failed error="..."
#              conn=N starttls dropped N pipelined bytes
#              conn=N stall greeting | data bytes=N stall | reset |
#                  quit stall |
#                  endless sent=N stopped="..."  (the hostile modes)
#              conn=N close reason="quit" | "client closed" | ...
#                  active=K                (K: those left open)
#              stop
#   mail/N.eml  each accepted transaction's message: the DATA bytes as
#            they came on the wire, with each CRLF made LF, the leading
#            dot of dot-stuffed lines taken off and the final "." line
#            left out; nothing else changes (a bare CR or LF stays).
#   mail/N.env  "MAIL FROM:..." as the client sent it (parameters
#            included), then one "RCPT TO:..." line per recipient that
#            got 250, then "tls=1" if the session was in TLS.
#            N counts from 1 (on from the highest N already there).
#            Both are written in DIR/tmp and renamed into mail/, .env
#            first: once N.eml exists the pair is complete.  Count
#            mail/*.eml, not the files in mail/.
#
# Modes (DIR/mode):
#   good          A correct ESMTP server.  Greeting "220 peer.test ...";
#                 EHLO offers PIPELINING, SIZE 10000000, 8BITMIME,
#                 SMTPUTF8, ENHANCEDSTATUSCODES and, with --cert and
#                 outside TLS, STARTTLS; HELO works too (then MAIL and
#                 RCPT parameters are refused with 555, as no extension
#                 was offered).  Replies to each command in order, so
#                 pipelined commands are answered correctly, and keeps
#                 bytes that follow a command for the next (but drops,
#                 and logs, plain text pipelined after STARTTLS).
#                 Strict where a client bug would hide: commands must
#                 end in CRLF (500 for a bare LF), "MAIL FROM:<...>"
#                 and "RCPT TO:<...>" without a space after the colon
#                 (501), SIZE= over 10000000 is 552, a non-ASCII address
#                 without SMTPUTF8 is 553, DATA without an accepted
#                 recipient is 554, a message over 10000000 bytes is
#                 552; 8-bit data without BODY=8BITMIME is accepted but
#                 logged (warning=8bit-undeclared).  After STARTTLS the
#                 session starts over (EHLO again).
#   greet421      greeting "421 4.3.2 peer.test shutting down", close.
#   rcpt_mixed    like good, but RCPT to a local part starting "temp"
#                 gets 450 4.2.1, starting "perm" gets 550 5.1.1, others
#                 250; the message is stored for the accepted ones.
#   mail_5xx      like good, but MAIL FROM gets 550 5.7.1.
#   data_5xx      like good, but the final dot gets 554 5.6.0 (nothing
#                 stored).
#   data_4xx      like good, but the final dot gets 451 4.3.0 (nothing
#                 stored).
#   reset_in_data like good until DATA; after the 354 it reads the first
#                 line of the message, then resets the connection
#                 (SO_LINGER 0, close: a TCP RST) with no reply.
#   stall_greeting  accepts and never sends a greeting; reads and drops
#                 what the client sends until the client closes.
#   slow_data     like good, but waits DIR/delay seconds after the final
#                 dot before it stores the message and answers 250, so
#                 a client's sessions overlap (keep the delay under the
#                 client's timeout, or the client defers what was
#                 stored).
#   stall_data    like good until the final dot, then never answers
#                 (nothing stored); holds the connection until the
#                 client closes.
#   stall_quit    like good, but QUIT gets no reply: logs "quit stall"
#                 and holds the connection until the client closes.
#   endless_line  greeting "220-" and then 'x' bytes without end and
#                 without a newline, as fast as the client reads them
#                 (blocking writes of one 64 KiB block: the peer's
#                 memory stays bounded); stops when the client closes
#                 or after 256 MiB, and logs "endless sent=N" (bytes
#                 the kernel took, socket buffers included).
#   bad_multiline greeting "220-a" then "250 b" (a multi-line reply
#                 whose code changes), then goes on as good, so a
#                 client that wrongly took the greeting visibly
#                 delivers.
#   ehlo_refused  EHLO gets 502 5.5.1; HELO is accepted and the session
#                 goes on as good after HELO (no extensions: STARTTLS
#                 gets 502, MAIL/RCPT parameters 555).
#   starttls_fail EHLO offers STARTTLS (with or without --cert); to
#                 STARTTLS it answers "220 2.0.0 ready", waits for the
#                 client's first handshake bytes, then writes garbage
#                 instead of a TLS handshake and closes.
#   plain_esmtp   like good, but EHLO offers only SIZE 1000: no
#                 PIPELINING, 8BITMIME, SMTPUTF8 (what it is sent
#                 anyway is taken as good takes it).
#   AUTH          not a mode: when DIR/auth holds "user:password",
#                 EHLO inside TLS offers AUTH PLAIN and checks it (235
#                 or 535); outside TLS, or without the file, 502.  When
#                 DIR/authmech holds LOGIN, AUTH LOGIN is offered
#                 instead, and only it (as Microsoft's servers do): the
#                 user name and the password each asked for with 334.
#   DSN           not a mode: when DIR/dsn exists (read at each EHLO),
#                 EHLO offers DSN (RFC 3461), MAIL takes RET (FULL or
#                 HDRS) and ENVID (xtext), RCPT takes NOTIFY (NEVER, or
#                 SUCCESS, FAILURE, DELAY joined by commas) and ORCPT
#                 (type;xtext), each at most once; a bad or repeated
#                 one gets 501.  Without it they are unknown (555), as
#                 for a server that does not offer DSN.  mail/N.env
#                 shows what the client sent.
#   (refuse)      not a mode: a closed port is how a test refuses
#                 connections (stop the peer, or use a free port).
#
# Serves each connection in a thread until SIGTERM (or SIGINT), then
# logs "stop" and exits at once, closing every connection.

import argparse
import base64
import os
import re
import signal
import socket
import ssl
import struct
import sys
import threading
import time

NAME = "peer.test"
SIZE_MAX = 10000000
LINE_MAX = 4096			# a command line; longer gets 500
RCPT_MAX = 1000			# then 452, as RFC 5321 4.5.3.1.8 allows
ENDLESS_MAX = 256 * 1024 * 1024
IDLE = 600			# seconds a command may take to come
XTEXT = rb"(?:[!-*,-<>-~]|\+[0-9A-F]{2})+"
# the DSN parameters (RFC 3461 4), each with the form of its value;
# params() takes them only when DIR/dsn offers DSN
DSN_PARAMS = {
    b"RET": rb"(?i)FULL|HDRS",
    b"ENVID": XTEXT,
    b"NOTIFY": rb"(?i)NEVER|(?:SUCCESS|FAILURE|DELAY)"
               rb"(?:,(?:SUCCESS|FAILURE|DELAY))*",
    b"ORCPT": rb"[A-Za-z0-9-]+;" + XTEXT,
}
MODES = ("good", "greet421", "rcpt_mixed", "mail_5xx", "data_5xx",
         "data_4xx", "reset_in_data", "stall_greeting", "stall_data",
         "endless_line", "bad_multiline", "ehlo_refused", "starttls_fail",
         "plain_esmtp", "slow_data", "stall_quit")


class Peer:
    """What the connections share: the folder, the log, the counters."""

    def __init__(self, folder, tls_ctx):
        self.dir = folder
        self.tls_ctx = tls_ctx
        self.lock = threading.Lock()
        self.nconn = 0
        self.active = 0
        self.maxactive = 0
        os.makedirs(os.path.join(folder, "mail"), exist_ok=True)
        os.makedirs(os.path.join(folder, "tmp"), exist_ok=True)
        self.nmail = 0
        for f in os.listdir(os.path.join(folder, "mail")):
            m = re.fullmatch(r"([0-9]+)\.(eml|env)", f)
            if m:
                self.nmail = max(self.nmail, int(m.group(1)))
        self.logfd = os.open(os.path.join(folder, "log"),
                             os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def log(self, line):
        with self.lock:
            os.write(self.logfd, (line + "\n").encode("utf-8", "replace"))

    def next_conn(self):
        with self.lock:
            self.nconn += 1
            return self.nconn

    def enter(self):
        """One more connection open; DIR/maxactive follows the most."""
        with self.lock:
            self.active += 1
            if self.active > self.maxactive:
                self.maxactive = self.active
                write_file(os.path.join(self.dir, "maxactive"),
                           "%d\n" % self.maxactive)
            return self.active

    def leave(self):
        with self.lock:
            self.active -= 1
            return self.active

    def delay(self):
        """DIR/delay in seconds, read afresh; 1 if absent or bad."""
        try:
            with open(os.path.join(self.dir, "delay"), "rb") as f:
                return min(max(float(f.read(64).strip() or b"1"), 0), 600)
        except (OSError, ValueError):
            return 1.0

    def mode(self):
        """The first word of DIR/mode, read afresh; "good" if none."""
        try:
            with open(os.path.join(self.dir, "mode"), "rb") as f:
                words = f.read(256).split()
        except FileNotFoundError:
            return "good"
        return words[0].decode("ascii", "replace") if words else "good"

    def store(self, env, data):
        """Write N.env then N.eml, each through tmp/ and a rename."""
        with self.lock:
            self.nmail += 1
            n = self.nmail
        for ext, body in (("env", env), ("eml", data)):
            tmp = os.path.join(self.dir, "tmp", "%d.%s" % (n, ext))
            with open(tmp, "wb") as f:
                f.write(body)
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, os.path.join(self.dir, "mail",
                                        "%d.%s" % (n, ext)))
        return n


def esc(b):
    """Bytes as a printable, quoted string for the log (at most 300)."""
    s = "".join(chr(c) if 32 <= c < 127 and c not in (34, 92) else
                "\\x%02x" % c for c in b[:300])
    return '"' + s + ('..."' if len(b) > 300 else '"')


class Closed(Exception):
    """The session ends; the argument says why, for the log."""


class Session:
    """One connection: a buffered reader of our own (so nothing read
    ahead is lost across DATA or STARTTLS) and the SMTP state."""

    def __init__(self, peer, sock, n, mode):
        self.peer = peer
        self.sock = sock
        self.n = n
        self.mode = mode
        self.buf = bytearray()
        self.tls = False
        self.greeted = None	# None, "HELO" or "EHLO"
        self.dsn = False	# DSN offered in the last EHLO
        self.left = False	# taken off the active count already
        self.reset_tx()

    def log(self, text):
        self.peer.log("conn=%d %s" % (self.n, text))

    def reset_tx(self):
        self.mail = None	# the MAIL command line, once accepted
        self.utf8 = False
        self.body8 = False
        self.rcpts = []

    # --- I/O ---------------------------------------------------------

    def fill(self):
        d = self.sock.recv(65536)
        if not d:
            raise Closed("client closed")
        self.buf += d

    def say(self, *lines):
        """Send a reply: the last line "ddd text", the others "ddd-text"."""
        out = b""
        for i, ln in enumerate(lines):
            code, text = ln[:3], ln[4:]
            sep = " " if i == len(lines) - 1 else "-"
            out += ("%s%s%s\r\n" % (code, sep, text)).encode()
        self.sock.sendall(out)
        return lines[-1][:3]

    def command(self):
        """One command line without CRLF; None for a bad one (answered)."""
        start = 0
        while True:
            i = self.buf.find(b"\n", start)
            if i >= 0:
                break
            if len(self.buf) > LINE_MAX:
                # drop what we have, keep skipping to the end of line
                self.buf.clear()
                while True:
                    self.fill()
                    i = self.buf.find(b"\n")
                    if i >= 0:
                        del self.buf[:i + 1]
                        self.log("cmd too long reply=%s" %
                                 self.say("500 5.5.2 line too long"))
                        return None
                    self.buf.clear()
            start = len(self.buf)
            self.fill()
        line = bytes(self.buf[:i + 1])
        del self.buf[:i + 1]
        if not line.endswith(b"\r\n"):
            self.log("cmd %s reply=%s" % (esc(line), self.say(
                "500 5.5.2 bare LF: commands end in CRLF")))
            return None
        return line[:-2]

    def data(self):
        """The message after 354, up to CRLF "." CRLF: (bytes with LF
        line ends and dots unstuffed, too big?, first line seen)."""
        out = bytearray()
        big = False
        midline = False		# the next bytes continue a dropped line
        while True:
            i = self.buf.find(b"\r\n")
            if i < 0:
                if len(out) + len(self.buf) > SIZE_MAX + 1024:
                    # too big already: drop the line's bytes so far,
                    # but a last CR may be the start of its CRLF
                    big = midline = True
                    del self.buf[:-1 if self.buf.endswith(b"\r") else
                                 len(self.buf)]
                self.fill()
                continue
            line = bytes(self.buf[:i])
            del self.buf[:i + 2]
            if midline:
                midline = False
                continue
            if line == b".":
                return bytes(out), big
            if line.startswith(b"."):
                line = line[1:]
            if len(out) + len(line) + 1 > SIZE_MAX:
                big = True
            if not big:
                out += line + b"\n"
            if self.mode == "reset_in_data":
                raise_reset(self)

    # --- commands ----------------------------------------------------

    def ehlo(self, verb, arg):
        if not arg:
            return self.say("501 5.5.4 %s needs a domain" % verb)
        if verb == "EHLO" and self.mode == "ehlo_refused":
            return self.say("502 5.5.1 EHLO not implemented here")
        self.greeted = verb
        self.reset_tx()
        if verb == "HELO":
            return self.say("250 %s" % NAME)
        client = re.sub(rb"[^!-~]", b"?", arg[:100]).decode()
        if self.mode == "plain_esmtp":
            offers = ["250 %s greets %s" % (NAME, client), "250 SIZE 1000"]
        else:
            offers = ["250 %s greets %s" % (NAME, client),
                      "250 PIPELINING", "250 SIZE %d" % SIZE_MAX,
                      "250 8BITMIME", "250 SMTPUTF8",
                      "250 ENHANCEDSTATUSCODES"]
        if not self.tls and (self.peer.tls_ctx is not None or
                             self.mode == "starttls_fail"):
            offers.append("250 STARTTLS")
        if self.tls and self.credentials() is not None:
            offers.append("250 AUTH %s" % self.mechanism())
        self.dsn = os.path.exists(os.path.join(self.peer.dir, "dsn"))
        if self.dsn:
            offers.append("250 DSN")
        return self.say(*offers)

    def credentials(self):
        """DIR/auth's "user:password", or None: AUTH is not offered."""
        try:
            with open(os.path.join(self.peer.dir, "auth"), "rb") as f:
                return f.read().strip()
        except OSError:
            return None

    def mechanism(self):
        """DIR/authmech's mechanism: LOGIN, else PLAIN."""
        try:
            with open(os.path.join(self.peer.dir, "authmech"), "rb") as f:
                if f.read().strip() == b"LOGIN":
                    return "LOGIN"
        except OSError:
            pass
        return "PLAIN"

    def challenge(self, prompt):
        """A 334 prompt and the base64 line that answers it, decoded;
        None when the answer is not base64 (answered with 501)."""
        self.say("334 " + prompt)
        line = self.command()
        try:
            return base64.b64decode(line, validate=True)
        except (TypeError, ValueError):
            self.say("501 5.5.2 bad base64")
            return None

    def auth(self, arg):
        """AUTH PLAIN with an initial response, or AUTH LOGIN without
        one, inside TLS only."""
        want = self.credentials()
        words = arg.split()
        mech = self.mechanism()
        if not self.tls or want is None:
            return self.say("502 5.5.1 AUTH not offered")
        if mech == "LOGIN" and len(words) == 1 and \
                words[0].upper() == b"LOGIN":
            user = self.challenge("VXNlcm5hbWU6")
            password = None if user is None else \
                self.challenge("UGFzc3dvcmQ6")
            if password is None:
                return "501"
            parts = [b"", user, password]
        elif mech == "PLAIN" and len(words) == 2 and \
                words[0].upper() == b"PLAIN":
            try:
                parts = base64.b64decode(words[1],
                                         validate=True).split(b"\0")
            except ValueError:
                return self.say("501 5.5.2 bad base64")
        else:
            return self.say("504 5.5.4 only AUTH %s, as offered" % mech)
        if len(parts) == 3 and parts[1] + b":" + parts[2] == want:
            self.log("auth mech=%s user=%s" % (mech, esc(parts[1])))
            return self.say("235 2.7.0 authenticated")
        self.log("auth failed")
        return self.say("535 5.7.8 bad credentials")

    def params(self, words, allowed, dsn_keys):
        """Check MAIL/RCPT parameters, the DSN ones (dsn_keys) only when
        DSN was offered: an error reply, or None."""
        if words and self.greeted != "EHLO":
            return "555 5.5.4 no parameters after HELO"
        if self.dsn:
            allowed += dsn_keys
        seen = set()
        for w in words:
            key, _, val = w.partition(b"=")
            key = key.upper()
            if key not in allowed:
                return "555 5.5.4 unknown parameter %s" % esc(key)
            if key in DSN_PARAMS:
                if key in seen or not re.fullmatch(DSN_PARAMS[key], val):
                    return "501 5.5.4 bad or repeated %s" % esc(key)
                seen.add(key)
            elif key == b"SIZE":
                if not re.fullmatch(rb"[0-9]{1,20}", val):
                    return "501 5.5.4 bad SIZE"
                if int(val) > SIZE_MAX:
                    return "552 5.3.4 message too big for this server"
            elif key == b"BODY":
                if val.upper() not in (b"7BIT", b"8BITMIME"):
                    return "501 5.5.4 bad BODY"
                self.body8 = val.upper() == b"8BITMIME"
            elif key == b"SMTPUTF8":
                if val:
                    return "501 5.5.4 SMTPUTF8 takes no value"
                self.utf8 = True
        return None

    def mail_from(self, line, arg):
        if self.greeted is None:
            return self.say("503 5.5.1 say EHLO first")
        if self.mail is not None:
            return self.say("503 5.5.1 nested MAIL")
        m = re.fullmatch(rb"(?i)FROM:<([^<> ]*)>((?: +[^ ]+)*)", arg)
        if not m:
            return self.say("501 5.5.4 syntax: MAIL FROM:<address>")
        self.utf8 = self.body8 = False
        err = self.params(m.group(2).split(), (b"SIZE", b"BODY",
                                               b"SMTPUTF8"),
                          (b"RET", b"ENVID"))
        if err:
            return self.say(err)
        if not self.utf8 and any(c >= 128 for c in m.group(1)):
            return self.say("553 5.6.7 non-ASCII address without SMTPUTF8")
        if self.mode == "mail_5xx":
            return self.say("550 5.7.1 sender rejected")
        self.mail = line
        self.rcpts = []
        return self.say("250 2.1.0 sender ok")

    def rcpt_to(self, line, arg):
        if self.mail is None:
            return self.say("503 5.5.1 MAIL first")
        m = re.fullmatch(rb"(?i)TO:<([^<> ]+)>((?: +[^ ]+)*)", arg)
        if not m:
            return self.say("501 5.5.4 syntax: RCPT TO:<address>")
        err = self.params(m.group(2).split(), (), (b"NOTIFY", b"ORCPT"))
        if err:
            return self.say(err)
        addr = m.group(1)
        if not self.utf8 and any(c >= 128 for c in addr):
            return self.say("553 5.6.7 non-ASCII address without SMTPUTF8")
        if len(self.rcpts) >= RCPT_MAX:
            return self.say("452 4.5.3 too many recipients")
        local = addr.rpartition(b"@")[0].lower() if b"@" in addr else \
            addr.lower()
        if self.mode == "rcpt_mixed" and local.startswith(b"temp"):
            return self.say("450 4.2.1 mailbox busy, try later")
        if self.mode == "rcpt_mixed" and local.startswith(b"perm"):
            return self.say("550 5.1.1 no such mailbox")
        self.rcpts.append(line)
        return self.say("250 2.1.5 recipient ok")

    def do_data(self, arg):
        if arg:
            return self.say("501 5.5.4 DATA takes no argument")
        if self.mail is None:
            return self.say("503 5.5.1 MAIL first")
        if not self.rcpts:
            return self.say("554 5.5.1 no valid recipients")
        code = self.say("354 end with <CRLF>.<CRLF>")
        self.log("cmd %s reply=%s" % (esc(b"DATA"), code))
        body, big = self.data()
        extra = ""
        if not self.body8 and any(c >= 128 for c in body):
            extra = " warning=8bit-undeclared"
        if self.mode == "stall_data":
            self.log("data bytes=%d stall%s" % (len(body), extra))
            hold(self)
        if self.mode == "slow_data":
            time.sleep(self.peer.delay())
        if big:
            code = self.say("552 5.3.4 message too big")
        elif self.mode == "data_5xx":
            code = self.say("554 5.6.0 message refused")
        elif self.mode == "data_4xx":
            code = self.say("451 4.3.0 try again later")
        else:
            env = self.mail + b"\n" + b"".join(r + b"\n" for r in self.rcpts)
            if self.tls:
                env += b"tls=1\n"
            n = self.peer.store(env, body)
            code = self.say("250 2.0.0 Ok: queued as %d" % n)
            extra = " mail=%d" % n + extra
        self.log("data bytes=%d reply=%s%s" % (len(body), code, extra))
        self.reset_tx()
        return None

    def starttls(self, arg):
        if arg:
            return self.say("501 5.5.4 STARTTLS takes no argument")
        if self.tls or self.greeted != "EHLO" or (
                self.peer.tls_ctx is None and self.mode != "starttls_fail"):
            return self.say("502 5.5.1 STARTTLS not offered")
        if self.buf:
            # RFC 3207 5: plain text after STARTTLS must not count
            self.log("starttls dropped %d pipelined bytes" % len(self.buf))
            self.buf.clear()
        code = self.say("220 2.0.0 ready to start TLS")
        self.log("cmd %s reply=%s" % (esc(b"STARTTLS"), code))
        if self.mode == "starttls_fail":
            # after the client's hello, so the garbage hits its handshake
            self.sock.settimeout(2)
            try:
                self.sock.recv(4096)
            except OSError:
                pass
            self.sock.sendall(b"this is garbage, not a TLS handshake\r\n")
            raise Closed("starttls garbage sent")
        self.sock.settimeout(30)
        try:
            self.sock = self.peer.tls_ctx.wrap_socket(self.sock,
                                                      server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.log("tls failed error=%s" % esc(str(e).encode()))
            raise Closed("tls handshake failed")
        self.sock.settimeout(IDLE)
        self.tls = True
        self.greeted = None
        self.reset_tx()
        self.log("tls version=%s cipher=%s" % (self.sock.version(),
                                               self.sock.cipher()[0]))
        return None

    def dispatch(self, line):
        """Answer one command; its reply code (None if logged already)."""
        verb, _, arg = line.partition(b" ")
        verb = verb.upper().decode("ascii", "replace")
        if verb in ("EHLO", "HELO"):
            return self.ehlo(verb, arg)
        if verb == "MAIL":
            return self.mail_from(line, arg)
        if verb == "RCPT":
            return self.rcpt_to(line, arg)
        if verb == "DATA":
            return self.do_data(arg)
        if verb == "RSET":
            self.reset_tx()
            return self.say("250 2.0.0 reset")
        if verb == "NOOP":
            return self.say("250 2.0.0 ok")
        if verb == "QUIT" and self.mode == "stall_quit":
            self.log("quit stall")
            hold(self)
        if verb == "QUIT":
            # off the count before the reply: the client may end, and
            # its MTA open its next session, as soon as it has the
            # 221, before this thread gets to close; maxactive must
            # not count the two at once
            self.peer.leave()
            self.left = True
            self.say("221 2.0.0 bye")
            self.log("cmd %s reply=221" % esc(line))
            raise Closed("quit")
        if verb == "VRFY":
            return self.say("252 2.5.2 cannot verify")
        if verb == "STARTTLS":
            return self.starttls(arg)
        if verb == "AUTH":
            return self.auth(arg)
        if verb == "BDAT":
            return self.say("502 5.5.1 %s not offered" % verb)
        return self.say("500 5.5.2 unknown command")

    def commands(self):
        while True:
            line = self.command()
            if line is None:
                continue
            code = self.dispatch(line)
            if code is not None:
                self.log("cmd %s reply=%s" % (esc(line), code))

    def run(self):
        if self.mode == "greet421":
            self.say("421 4.3.2 %s shutting down" % NAME)
            raise Closed("greet421")
        if self.mode == "stall_greeting":
            self.log("stall greeting")
            hold(self)
        if self.mode == "endless_line":
            endless(self)
        if self.mode == "bad_multiline":
            self.sock.sendall(b"220-a\r\n250 b\r\n")
        else:
            self.say("220 %s ESMTP hostile_peer" % NAME)
        self.commands()


def raise_reset(s):
    """reset_in_data: a TCP RST (SO_LINGER 0, close), no reply."""
    s.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                      struct.pack("ii", 1, 0))
    s.log("reset")
    s.sock.close()
    raise Closed("reset by us")


def hold(s):
    """Send nothing; read and drop until the client closes."""
    s.sock.settimeout(None)
    s.buf.clear()
    while True:
        s.fill()
        s.buf.clear()


def endless(s):
    """"220-" and then 'x' for ever, as fast as the client reads."""
    block = b"x" * 65536
    sent = 4
    try:
        s.sock.sendall(b"220-")
        while sent < ENDLESS_MAX:
            s.sock.sendall(block)
            sent += len(block)
        why = "limit"
    except OSError as e:
        why = "client closed (%s)" % e.__class__.__name__
    s.log("endless sent=%d stopped=%s" % (sent, esc(why.encode())))
    raise Closed("endless done")


def serve(peer, sock, addr):
    n = peer.next_conn()
    mode = peer.mode()
    active = peer.enter()
    peer.log("conn=%d connect mode=%s from=%s:%d active=%d" %
             (n, esc(mode.encode()), addr[0], addr[1], active))
    s = Session(peer, sock, n, mode)
    why = "?"
    try:
        sock.settimeout(IDLE)
        if mode not in MODES:
            s.say("421 4.3.0 unknown mode %s" % mode)
            raise Closed("unknown mode")
        s.run()
    except Closed as e:
        why = str(e)
    except Exception as e:	# the peer must outlive any one session
        why = "error %s %s" % (e.__class__.__name__,
                               esc(str(e).encode()))
    try:
        s.sock.close()
    except OSError:
        pass
    active = peer.leave() if not s.left else peer.active
    peer.log("conn=%d close reason=%s active=%d" % (n, esc(why.encode()),
                                                    active))


def listen_on(spec):
    host, _, port = spec.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or not port.isdigit():
        sys.exit("hostile_peer: --listen ADDR:PORT, not %s" % spec)
    ls = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(port)))
    ls.listen(64)
    return ls


def write_file(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def on_term(signum, frame):
    raise SystemExit(0)


def main():
    ap = argparse.ArgumentParser(
        description="a hostile SMTP peer for qpost's remote tests")
    ap.add_argument("--listen", required=True, metavar="ADDR:PORT")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    a = ap.parse_args()
    if (a.cert is None) != (a.key is None):
        sys.exit("hostile_peer: --cert and --key go together")
    ctx = None
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
    for f in ("ready", "pid", "port"):
        try:
            os.unlink(os.path.join(a.dir, f))
        except FileNotFoundError:
            pass
    peer = Peer(a.dir, ctx)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    ls = listen_on(a.listen)
    port = ls.getsockname()[1]
    write_file(os.path.join(a.dir, "pid"), "%d\n" % os.getpid())
    write_file(os.path.join(a.dir, "port"), "%d\n" % port)
    peer.log("start pid=%d listen=%s port=%d tls=%d" %
             (os.getpid(), a.listen, port, ctx is not None))
    write_file(os.path.join(a.dir, "ready"), "")
    try:
        while True:
            c, addr = ls.accept()
            threading.Thread(target=serve, args=(peer, c, addr),
                             daemon=True).start()
    except SystemExit:
        pass
    peer.log("stop")
    # daemon threads and their sockets end with the process
    os._exit(0)


if __name__ == "__main__":
    main()
