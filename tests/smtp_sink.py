#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# smtp_sink - a minimal SMTP server that accepts everything and writes
# each message (dot-stuffing undone, CRLF kept) as a file in DIR.  A
# stand-in for smtpd, to try the test helpers (qp_smtpd_start,
# smtp_dialog.py) and the private Postfix relay before smtpd exists.
#
# usage: smtp_sink.py DIR                  one session on fd 0/1 (tcpserver)
#        smtp_sink.py -l HOST:PORT DIR     listen, one thread a session
#
# Replies: 220, EHLO lists PIPELINING and 8BITMIME, 250 2.1.0 to MAIL,
# 250 2.1.5 to RCPT,
# 354 to DATA, "250 2.0.0 Ok: queued as <16 hex>" after the data,
# 221 to QUIT, 500 to anything else.  Not a test of anything itself.

import os
import socket
import sys
import threading


def session(rf, wf, outdir):
    def say(text):
        wf.write(text.encode() + b"\r\n")
        wf.flush()

    say("220 sink.test ESMTP sink")
    while True:
        ln = rf.readline()
        if not ln:
            return
        cmd = ln.strip().upper()
        if cmd.startswith(b"EHLO"):
            say("250-sink.test")
            say("250-PIPELINING")
            say("250 8BITMIME")
        elif cmd.startswith(b"MAIL"):
            say("250 2.1.0 ok")
        elif cmd.startswith(b"RCPT"):
            say("250 2.1.5 ok")
        elif cmd.startswith(b"HELO") or cmd.startswith(b"RSET") or \
                cmd.startswith(b"NOOP"):
            say("250 2.0.0 ok")
        elif cmd == b"DATA":
            say("354 go ahead")
            data = []
            while True:
                d = rf.readline()
                if not d:
                    return
                if d == b".\r\n":
                    break
                if d.startswith(b"."):
                    d = d[1:]
                data.append(d)
            qid = os.urandom(8).hex()
            tmp = os.path.join(outdir, "." + qid)
            with open(tmp, "wb") as f:
                f.write(b"".join(data))
            os.rename(tmp, os.path.join(outdir, qid))
            say("250 2.0.0 Ok: queued as " + qid)
        elif cmd == b"QUIT":
            say("221 2.0.0 bye")
            return
        else:
            say("500 5.5.2 unknown")


def main():
    args = sys.argv[1:]
    if len(args) == 1:
        session(sys.stdin.buffer, sys.stdout.buffer, args[0])
        return
    if len(args) != 3 or args[0] != "-l":
        print("usage: smtp_sink.py [-l HOST:PORT] DIR", file=sys.stderr)
        sys.exit(2)
    host, port = args[1].rsplit(":", 1)
    ls = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(port)))
    ls.listen(50)

    def serve(c):
        with c:
            try:
                session(c.makefile("rb"), c.makefile("wb"), args[2])
            except OSError:
                pass

    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
