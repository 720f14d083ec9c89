#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# rss_probe.py - run smtpd or remote once against one hostile input and
# print the peak resident set of the program and everything it waited
# for (wait4's ru_maxrss, KiB) as "maxrss_kb=N", then what the program
# answered, for tests/smtpd/bounds_test and tests/remote/bounds_test.
#
# The program runs under GNU time (/usr/bin/time -f %M), not straight
# from Python: the kernel counts the image a process replaced at exec in
# its ru_maxrss, so a child forked by Python would report Python's
# 10 MB, not its own.
#
#   rss_probe.py smtpd CASE     smtpd on a socketpair as fd 0 and 1
#                               (TCPREMOTEIP=127.0.0.1), QPOST_* from
#                               the environment; CASE is longline,
#                               headers, rcpts or bigmsg
#   rss_probe.py remote CASE    remote for <r@bounds.test> with ./msg on
#                               fd 0 against a peer on 127.0.0.1 that
#                               this script runs (it writes
#                               $QPOST_CONTROL/smtproutes for it); CASE
#                               is longreply or multiline
#
# The client side and the peer read and write in threads, so neither
# side blocks on a full socket buffer while the other writes.
import os
import socket
import subprocess
import sys
import threading

MB = 1 << 20


def drain(sock, out):
    """Read sock until EOF or an error; keep the last 64 KiB."""
    buf = b""
    try:
        while True:
            d = sock.recv(65536)
            if not d:
                break
            buf = (buf + d)[-65536:]
    except OSError:
        pass
    out.append(buf)


def send(sock, data):
    """sendall that stops quietly when the other side has gone."""
    try:
        sock.sendall(data)
        return True
    except OSError as e:
        sys.stderr.write("rss_probe: send: %s\n" % e)
        return False


def chunks(total, piece):
    """About total bytes of whole pieces, in writes of about 1 MiB."""
    block = piece * (MB // len(piece))
    left = total - total % len(piece)
    while left > 0:
        yield block[:left]
        left -= len(block[:left])


def smtpd_case(case, s):
    ok = send(s, b"EHLO client.test\r\n")
    if case == "longline":
        # a command line of 64 MiB with no line end, then one
        ok = ok and send(s, b"NOOP ")
        for c in chunks(64 * MB, b"x"):
            ok = ok and send(s, c)
        send(s, b"\r\nQUIT\r\n")
        return
    send(s, b"MAIL FROM:<sender@example.test>\r\n")
    if case == "rcpts":
        cmds = b"".join(b"RCPT TO:<r%d@other.test>\r\n" % i
                        for i in range(10000))
        send(s, cmds)
        send(s, b"QUIT\r\n")
        return
    send(s, b"RCPT TO:<alice@example.test>\r\nDATA\r\n")
    if case == "headers":
        # 32 MiB of header fields, the last one folded 16 MiB long
        for c in chunks(16 * MB, b"X-Fill: " + b"h" * 54 + b"\r\n"):
            if not send(s, c):
                return
        send(s, b"X-Folded: start\r\n")
        for c in chunks(16 * MB, b"\tcontinued" + b" c" * 26 + b"\r\n"):
            if not send(s, c):
                return
        send(s, b"\r\nbody\r\n.\r\nQUIT\r\n")
    elif case == "bigmsg":
        send(s, b"Subject: big\r\n\r\n")
        for c in chunks(50 * MB, b"y" * 76 + b"\r\n"):
            if not send(s, c):
                return
        send(s, b".\r\nQUIT\r\n")
    else:
        sys.exit("rss_probe: unknown smtpd case " + case)


def timed(prog):
    """argv running prog under GNU time, its figure into ./rss.out."""
    return ["/usr/bin/time", "-f", "%M", "-o", "rss.out"] + prog


def rss():
    with open("rss.out") as f:
        return int(f.read().split()[-1])


def run_smtpd(case):
    a, b = socket.socketpair()
    env = dict(os.environ, TCPREMOTEIP="127.0.0.1")
    prog = os.path.join(os.environ["QPOST_LIBEXEC"], "smtpd")
    with open("smtpd.log", "ab") as log:
        p = subprocess.Popen(timed([prog]), stdin=b, stdout=b,
                             stderr=log, env=env)
    b.close()
    got = []
    t = threading.Thread(target=drain, args=(a, got))
    t.start()
    smtpd_case(case, a)
    try:
        a.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    status = p.wait()
    t.join()
    a.close()
    return rss(), status, got[0]


def peer(ls, case, done):
    c, _ = ls.accept()
    got = []
    t = threading.Thread(target=drain, args=(c, got))
    t.start()
    if case == "longreply":
        # one reply line with no end: 64 MiB
        send(c, b"220 ")
        for blk in chunks(64 * MB, b"z"):
            if not send(c, blk):
                break
    elif case == "multiline":
        # a greeting that goes on for ever: 64 MiB of continuation lines
        for blk in chunks(64 * MB, b"220-more" + b" text" * 10 + b"\r\n"):
            if not send(c, blk):
                break
    else:
        sys.exit("rss_probe: unknown remote case " + case)
    try:
        c.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    t.join()
    c.close()
    done.append(True)


def run_remote(case):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    routes = os.path.join(os.environ["QPOST_CONTROL"], "smtproutes")
    with open(routes + ".tmp", "w") as f:
        f.write("bounds.test:127.0.0.1:%d\n" % ls.getsockname()[1])
    os.rename(routes + ".tmp", routes)
    done = []
    t = threading.Thread(target=peer, args=(ls, case, done), daemon=True)
    t.start()
    prog = os.path.join(os.environ["QPOST_LIBEXEC"], "remote")
    with open("msg", "rb") as m, open("result.raw", "wb") as r, \
            open("remote.log", "ab") as log:
        p = subprocess.Popen(timed([prog, "-i", "0123456789abcdef",
                                    "bounds.test", "s@example.test",
                                    "r@bounds.test"]),
                             stdin=m, stdout=r, stderr=log)
        status = p.wait()
    ls.close()
    return rss(), status, b""


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("smtpd", "remote"):
        sys.exit("usage: rss_probe.py smtpd|remote CASE")
    if sys.argv[1] == "smtpd":
        kb, status, out = run_smtpd(sys.argv[2])
    else:
        kb, status, out = run_remote(sys.argv[2])
    print("maxrss_kb=%d" % kb)
    print("status=%d" % status)
    for line in out.decode("latin-1").split("\r\n")[-12:]:
        print("reply: " + line[:200])


if __name__ == "__main__":
    main()
