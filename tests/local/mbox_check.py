#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# mbox_check.py - whether an mbox written by local holds exactly the
# given messages, byte for byte: each is a "From SENDER date" line,
# Return-Path and Delivered-To, the message with mboxrd quoting (one
# more '>' before each line matching ^>*From ), a newline if its last
# line had none, and a blank line.  Nothing before, between or after.
#
# usage: mbox_check.py [-r RCPT] [--any-order] MBOX SENDER MSGFILE ...
#
# With --any-order (racing deliveries) the messages may come in any
# order; Python's mailbox module must also read back as many messages
# as were given, each with its own X-Test-Id.  Exit 0 if all holds,
# else 1 with the reason on stderr.

import mailbox
import re
import sys

FROM_RE = re.compile(rb"From (\S+) [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d "
                     rb"\d\d:\d\d:\d\d \d{4}\n")


def expected(sender, msg, rcpt):
    """The bytes after the From line for one message."""
    body = re.sub(rb"(?m)^(>*From )", rb">\1", msg)
    if body and not body.endswith(b"\n"):
        body += b"\n"
    return (b"Return-Path: <%s>\nDelivered-To: <%s>\n" %
            (sender.encode(), rcpt.encode()) + body + b"\n")


def fail(why):
    sys.stderr.write("mbox_check: %s\n" % why)
    sys.exit(1)


def main():
    args = sys.argv[1:]
    rcpt = "alice@example.test"
    any_order = False
    while args and args[0].startswith("-"):
        if args[0] == "-r":
            rcpt = args[1]
            args = args[2:]
        elif args[0] == "--any-order":
            any_order = True
            args = args[1:]
        else:
            fail("unknown option %s" % args[0])
    path, pairs = args[0], args[1:]
    data = open(path, "rb").read()
    want = []
    for i in range(0, len(pairs), 2):
        sender = pairs[i]
        want.append((sender or "MAILER-DAEMON",
                     expected(sender, open(pairs[i + 1], "rb").read(), rcpt),
                     pairs[i + 1]))
    pos = 0
    n = 0
    while want:
        m = FROM_RE.match(data, pos)
        if m is None:
            fail("no From line at byte %d: %r" % (pos, data[pos:pos + 60]))
        pos = m.end()
        for i, (sender, blob, name) in enumerate(want):
            if (m.group(1).decode() == sender and
                    data.startswith(blob, pos)):
                break
            if not any_order:
                fail("message %d (%s) differs at byte %d" % (n, name, pos))
        else:
            fail("no message matches at byte %d" % pos)
        pos += len(blob)
        del want[i]
        n += 1
    if pos != len(data):
        fail("%d bytes left after the messages" % (len(data) - pos))
    if any_order:
        box = mailbox.mbox(path, create=False)
        ids = [box.get_message(k)["X-Test-Id"] for k in box.keys()]
        if len(ids) != n or len(set(ids)) != n:
            fail("mailbox module read %d messages, ids %r" % (len(ids), ids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
