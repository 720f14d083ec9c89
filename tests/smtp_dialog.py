#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# smtp_dialog - play a scripted SMTP dialogue against a server, byte for
# byte, for what real clients will not send (bare LF, NUL, smuggling,
# pipelined writes).  Run with /usr/bin/python3 (the test user cannot
# reach another python3).
#
# usage: smtp_dialog.py [-H host] -p port [-t step-timeout] [-b source]
#        SCRIPT|-
#
# -b binds the client to a source address first (127.0.0.3 say: any
# 127/8 address is the loopback on Linux), to connect as another client.
#
# Script lines (one step each):
#   > text              send text followed by CRLF
#   >raw EXPR           send Python bytes literals, joined by + and *
#                       (b"y" * 1000), as is, in ONE write, e.g.
#                       >raw b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y>\r\n"
#   >file PATH          send the bytes of PATH as is, in one write
#   >slow SECS EXPR     send such bytes one byte every SECS seconds
#   < PREFIX            read one reply (all lines of a multi-line one)
#                       and expect its last line to start with PREFIX
#                       ("< 250", "< 250 2.1.0", "< 221 2.0.0")
#   <~ REGEX            read one reply; REGEX must match (re.search,
#                       MULTILINE) the reply's lines joined by "\n"
#   <eof                expect the server to close (no more bytes)
#   <drain              read whatever comes until the server closes
#   sleep SECS          wait
#   timeout SECS        the per-step timeout from here on (default 10)
#   shutdown            half-close: the server sees end of file
#   close               close the connection now (the script ends)
#   # ...               comment; blank lines are ignored
#
# Every reply read is printed on stdout ("S: " per line) and every
# sent step as "C: ...", so a test can pick the queue id out of the
# transcript.  On a mismatch, a timeout or an early close, prints
# "smtp_dialog: line N: ..." on stderr with the reply and exits 1.
# Usage errors exit 2.
#
# As a module: Session(host, port, timeout, source) has send(bytes), line(text),
# reply() -> (code, [lines]), expect(prefix), and close().

import ast
import re
import socket
import sys
import time


class DialogError(Exception):
    pass


class Session:
    """One SMTP connection with a reply reader that keeps unread bytes."""

    def __init__(self, host, port, timeout=10.0, source=None):
        self.timeout = timeout
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        if source:
            self.sock.bind((source, 0))
        self.sock.connect((host, int(port)))
        self.buf = b""
        self.eof = False

    def send(self, data):
        self.sock.settimeout(self.timeout)
        self.sock.sendall(data)

    def line(self, text):
        if isinstance(text, str):
            text = text.encode("utf-8", "surrogateescape")
        self.send(text + b"\r\n")

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise DialogError("timed out waiting for the server")
        self.sock.settimeout(left)
        try:
            got = self.sock.recv(65536)
        except socket.timeout:
            raise DialogError("timed out waiting for the server")
        except ConnectionResetError:
            got = b""
        if not got:
            self.eof = True
        self.buf += got

    def _readline(self, deadline):
        while b"\n" not in self.buf:
            if self.eof:
                raise DialogError("connection closed by the server"
                                  + (" after %r" % self.buf if self.buf
                                     else ""))
            self._fill(deadline)
        nl = self.buf.index(b"\n")
        ln, self.buf = self.buf[:nl + 1], self.buf[nl + 1:]
        return ln

    def reply(self):
        """Read one reply; returns (code, lines) with line ends removed."""
        deadline = time.monotonic() + self.timeout
        lines = []
        while True:
            raw = self._readline(deadline)
            if not raw.endswith(b"\r\n"):
                raise DialogError("reply line not ended by CRLF: %r" % raw)
            text = raw[:-2].decode("utf-8", "replace")
            lines.append(text)
            if len(text) < 3 or not text[:3].isdigit():
                raise DialogError("malformed reply line: %r" % text)
            if len(text) > 3 and text[3] not in " -":
                raise DialogError("malformed reply line: %r" % text)
            if len(lines) > 1 and text[:3] != lines[0][:3]:
                raise DialogError("multi-line reply changes code: %r"
                                  % lines)
            if len(text) == 3 or text[3] == " ":
                return int(text[:3]), lines

    def expect(self, prefix):
        code, lines = self.reply()
        if not lines[-1].startswith(prefix):
            raise DialogError("expected a reply starting %r, got %r"
                              % (prefix, lines))
        return code, lines

    def expect_eof(self):
        deadline = time.monotonic() + self.timeout
        while not self.eof:
            if self.buf:
                raise DialogError("expected the server to close, got %r"
                                  % self.buf)
            self._fill(deadline)
        if self.buf:
            raise DialogError("expected the server to close, got %r"
                              % self.buf)

    def shutdown(self):
        self.sock.shutdown(socket.SHUT_WR)

    def close(self):
        self.sock.close()


def _value(node):
    """Bytes and int constants joined by + and *, nothing else."""
    if isinstance(node, ast.Constant) and isinstance(node.value,
                                                      (bytes, int)):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op,
                                                  (ast.Add, ast.Mult)):
        a, b = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Mult) and \
                isinstance(a, int) == isinstance(b, int):
            raise ValueError("* takes bytes and a count")
        return a + b if isinstance(node.op, ast.Add) else a * b
    raise ValueError("only bytes literals, + and * are allowed")


def literal(text, lineno):
    """A bytes expression: literals, + and * (b"x" * 1000)."""
    try:
        val = _value(ast.parse(text.strip(), mode="eval").body)
    except (ValueError, SyntaxError, TypeError) as e:
        raise DialogError("line %d: not a bytes expression: %s"
                          % (lineno, e))
    if not isinstance(val, bytes):
        raise DialogError("line %d: not a bytes expression" % lineno)
    return val


def show(prefix, data):
    for ln in data.split(b"\r\n"):
        out = ln.decode("utf-8", "backslashreplace")
        if len(out) > 200:
            out = out[:200] + "...(%d bytes)" % len(ln)
        print(prefix + out)


def run(script, host, port, timeout, source=None):
    s = None
    for lineno, raw in enumerate(script.splitlines(), 1):
        st = raw.rstrip("\n")
        if not st.strip() or st.lstrip().startswith("#"):
            continue
        try:
            if s is None:
                s = Session(host, port, timeout, source)
            if st.startswith(">raw "):
                data = literal(st[5:], lineno)
                show("C: ", data)
                s.send(data)
            elif st.startswith(">file "):
                with open(st[6:].strip(), "rb") as f:
                    data = f.read()
                print("C: <%d bytes from %s>" % (len(data), st[6:].strip()))
                s.send(data)
            elif st.startswith(">slow "):
                secs, lit = st[6:].strip().split(None, 1)
                data = literal(lit, lineno)
                show("C: (slowly) ", data)
                for i in range(len(data)):
                    s.send(data[i:i + 1])
                    time.sleep(float(secs))
            elif st.startswith("> ") or st == ">":
                print("C: " + st[2:])
                s.line(st[2:])
            elif st.startswith("<~"):
                code, lines = s.reply()
                for ln in lines:
                    print("S: " + ln)
                if not re.search(st[2:].strip(), "\n".join(lines),
                                 re.MULTILINE):
                    raise DialogError("reply %r does not match /%s/"
                                      % (lines, st[2:].strip()))
            elif st.strip() == "<drain":
                deadline = time.monotonic() + s.timeout
                while not s.eof:
                    s._fill(deadline)
                if s.buf:
                    show("S: ", s.buf)
                print("S: <closed>")
            elif st.strip() == "<eof":
                s.expect_eof()
                print("S: <closed>")
            elif st.startswith("< "):
                code, lines = s.reply()
                for ln in lines:
                    print("S: " + ln)
                if not lines[-1].startswith(st[2:].strip()):
                    raise DialogError("expected %r, got %r"
                                      % (st[2:].strip(), lines))
            elif st.startswith("sleep "):
                time.sleep(float(st[6:]))
            elif st.startswith("timeout "):
                s.timeout = float(st[8:])
            elif st.strip() == "shutdown":
                s.shutdown()
            elif st.strip() == "close":
                s.close()
                return 0
            else:
                print("smtp_dialog: line %d: unknown step: %s"
                      % (lineno, st), file=sys.stderr)
                return 2
        except (DialogError, OSError) as e:
            sys.stdout.flush()
            print("smtp_dialog: line %d (%s): %s" % (lineno, st[:80], e),
                  file=sys.stderr)
            return 1
        sys.stdout.flush()
    if s is not None:
        s.close()
    return 0


def main():
    import argparse
    ap = argparse.ArgumentParser(description="scripted SMTP dialogue")
    ap.add_argument("-H", "--host", default="127.0.0.1")
    ap.add_argument("-p", "--port", required=True, type=int)
    ap.add_argument("-t", "--timeout", default=10.0, type=float)
    ap.add_argument("-b", "--bind", default=None)
    ap.add_argument("script")
    a = ap.parse_args()
    if a.script == "-":
        text = sys.stdin.read()
    else:
        with open(a.script, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    sys.exit(run(text, a.host, a.port, a.timeout, a.bind))


if __name__ == "__main__":
    main()
