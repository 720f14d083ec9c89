#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# mkqueue - fill a stopped instance's queue with many messages at once,
# written straight into mess/ and env/ in the format of qpost-queue(5),
# as sched leaves them: for tests and benchmarks that need a big queue
# (a dead domain's backlog, 100,000 messages for a restart) far faster
# than injecting each (qinject and sched's pickup fsync every file;
# this writes without fsync, which is fine for a test's scratch queue).
# sched must not run while it writes.  Standard library only.
#
# usage: mkqueue.py --queue DIR --count N --rcpt TEMPLATE
#            [--sender ADDR] [--tries N] [--next SECONDS] [--age SECONDS]
#            [--error TEXT] [--size BYTES] [--domains K]
#
#   --rcpt     the recipient; "{n}" is replaced by the message's number
#              (0 to N-1), "{d}" by that number modulo K, e.g.
#              "u{n}@dead{d}.test".  May be given more than once: each
#              message gets every recipient.
#   --sender   the envelope sender (default alice@example.test).
#   --tries    attempts already made, per recipient (default 0).
#   --next     the next attempt, in seconds from now; negative is due
#              already (default 0: due at once).
#   --age      how long ago the message arrived, in seconds (default 0).
#   --error    the last error text (default "" with --tries 0, else a
#              connection error as remote writes it).
#   --size     bytes of body (default 200).
#   --domains  K for "{d}" (default 1).
#
# Prints the number of messages written.  The ids are random.

import argparse
import os
import sys
import time


def field(tag, value):
    """One rec field: tag, decimal length, ':', the bytes, ','."""
    if isinstance(value, str):
        value = value.encode()
    return tag.encode() + str(len(value)).encode() + b":" + value + b","


def env_file(qid, uid, arrival, sender, rcpts, tries, nxt, error):
    out = [field("V", "1"), field("I", qid), field("U", str(uid)),
           field("A", str(arrival)), field("F", sender)]
    for r in rcpts:
        out += [field("R", r), field("S", "p"), field("C", str(tries)),
                field("N", str(nxt)), field("E", error)]
    out.append(field("Z", ""))
    return b"".join(out)


def message(qid, uid, n, size):
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
    head = ("Received: (qpost %s invoked by uid %d);\n\t%s\n"
            "From: <sender@example.test>\nSubject: queued message %d\n"
            "Message-ID: <%s.mkqueue@example.test>\nX-Test-Id: mk%d\n\n"
            % (qid, uid, date, n, qid, n))
    line = b"x" * 71 + b"\n"
    body = (line * (size // len(line) + 1))[:size]
    return head.encode() + body


def write(path, data, mode):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--queue", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--rcpt", action="append", required=True)
    ap.add_argument("--sender", default="alice@example.test")
    ap.add_argument("--tries", type=int, default=0)
    ap.add_argument("--next", type=int, default=0)
    ap.add_argument("--age", type=int, default=0)
    ap.add_argument("--error")
    ap.add_argument("--size", type=int, default=200)
    ap.add_argument("--domains", type=int, default=1)
    a = ap.parse_args()
    error = a.error
    if error is None:
        error = "" if a.tries == 0 else \
            "4.4.1 127.0.0.1[127.0.0.1]: connect: Connection refused"
    uid = os.getuid()
    now = int(time.time())
    nxt = max(now + a.next, 0) if a.tries > 0 or a.next != 0 else 0
    mess = os.path.join(a.queue, "mess")
    env = os.path.join(a.queue, "env")
    for n in range(a.count):
        qid = os.urandom(8).hex()
        rcpts = [t.replace("{n}", str(n)).replace(
            "{d}", str(n % max(a.domains, 1))) for t in a.rcpt]
        # the message first, as sched writes it: no env names a
        # message that is not there
        write(os.path.join(mess, qid), message(qid, uid, n, a.size), 0o640)
        write(os.path.join(env, qid), env_file(qid, uid, now - a.age,
              a.sender, rcpts, a.tries, nxt, error), 0o600)
    print(a.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
