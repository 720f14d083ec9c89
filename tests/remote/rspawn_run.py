# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# rspawn_run.py - run rspawn as sched does, for one request, and print
# its result as result.py prints remote's (with "J<TAB>job" first).
#
# usage: rspawn_run.py TAG=VALUE ...
#
# The arguments are the request's fields (qpost-queue(5)), in order, as
# they go on the pipe: "J=1 I=0123456789abcdef F=a@x.test R=b@y.test".
# $QPOST_LIBEXEC/rspawn runs with this environment (QPOST_CONTROL,
# QPOST_QUEUE: the message must be in its mess/).  The request goes to
# its fd 0, and its fd 0 stays open until one result frame has come
# (end of input tells rspawn that sched is gone); then it must exit 0
# within 30 seconds.  Exits 1, saying why, when rspawn writes no whole
# result within 60 seconds, writes more than one, or fails.
import os
import select
import subprocess
import sys
import time

import result


def request(args):
    rec = b""
    for a in args:
        tag, eq, value = a.encode().partition(b"=")
        if len(tag) != 1 or not eq:
            raise ValueError("not TAG=VALUE: " + a)
        rec += tag + b"%d:" % len(value) + value + b","
    return b"%d:" % len(rec) + rec + b","


def one_frame(fd, deadline):
    """The bytes of rspawn's first result frame, read from fd."""
    data = b""
    while True:
        colon = data.find(b":")
        if colon > 0 and len(data) >= colon + 2 + int(data[:colon]):
            return data
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise ValueError("no whole result within 60 s: %r" % data)
        chunk = os.read(fd, 65536)
        if not chunk:
            raise ValueError("rspawn closed its output: %r" % data)
        data += chunk


def main():
    prog = os.path.join(os.environ["QPOST_LIBEXEC"], "rspawn")
    p = subprocess.Popen([prog], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    try:
        p.stdin.write(request(sys.argv[1:]))
        p.stdin.flush()
        data = one_frame(p.stdout.fileno(), time.monotonic() + 60)
        p.stdin.close()
        if p.wait(30) != 0:
            raise ValueError("rspawn exited %d" % p.returncode)
        rest = p.stdout.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    result.show(result.unframe(data + rest), b"JP")


try:
    main()
except (ValueError, IndexError, subprocess.TimeoutExpired) as e:
    print("rspawn_run.py: %s" % e, file=sys.stderr)
    sys.exit(1)
