#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# dsn_check - check one delivered notice (a Maildir file) against
# RFC 3464 / RFC 6522 / RFC 6533 with Python's email package, and
# against what the test expects of it.  Prints "ok ..." and exits 0, or
# prints every problem and exits 1.
#
# usage: dsn_check.py FILE --action failed|delayed|delivered|relayed|expanded
#            [options]
#   --rcpt ADDR=STATUS   a recipient the report must name, with its
#                        Status (repeat; the set must be exact)
#   --reason ADDR=TEXT   the human part must give TEXT for ADDR
#   --remote ADDR=HOST   Remote-MTA must be "dns; HOST"
#   --diag ADDR=TEXT     Diagnostic-Code must start with TEXT
#   --to ADDR            the To: header and the recipient of the notice
#   --test-id ID         the returned message (or header) has X-Test-Id ID
#   --whole | --headers  the original comes whole, or only its header
#   --global             RFC 6533 types are used (else they must not be)
#   --double             a double bounce (its subject says so)
#   --ident              print "MESSAGE-ID TEST-ID" instead of "ok ..."
#   --rcpt-action ADDR=ACTION  ADDR's Action, where it is not --action's
#   --envid TEXT         Original-Envelope-Id must be TEXT
#   --orcpt ADDR=TEXT    ADDR's Original-Recipient must be TEXT
import argparse
import email
import email.policy
import email.utils
import re
import sys

problems = []


def bad(msg):
    problems.append(msg)


def pairs(items):
    out = {}
    for it in items or []:
        k, _, v = it.partition("=")
        out[k] = v
    return out


def blocks(text):
    """The report's field blocks, each a dict of lower-cased names (one
    value each: a repeated field is a problem), unfolded."""
    res = []
    for chunk in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").strip("\n")):
        fields = {}
        name = None
        for line in chunk.split("\n"):
            if line[:1] in (" ", "\t") and name is not None:
                fields[name] += line
                continue
            m = re.match(r"([!-9;-~]+):[ \t]*(.*)$", line)
            if not m:
                bad("report line is not a field: %r" % line)
                continue
            name = m.group(1).lower()
            if name in fields:
                bad("report field %s repeated in one block" % name)
            fields[name] = m.group(2)
        res.append(fields)
    return res


def raw_parts(raw, boundary):
    """The bodies of the multipart's parts, split by hand (RFC 2046):
    the boundary must occur only in delimiter lines."""
    b = boundary.encode()
    lines = raw.split(b"\n")
    delims = [i for i, l in enumerate(lines) if l.rstrip(b"\r") in
              (b"--" + b, b"--" + b + b"--")]
    body = raw.split(b"\n\n", 1)[1] if b"\n\n" in raw else b""
    if body.count(b) != len(delims):
        bad("the boundary occurs outside its delimiter lines")
    if len(delims) != 4 or lines[delims[-1]].rstrip(b"\r") != b"--" + b + b"--":
        bad("want 3 parts and a close delimiter, found %d delimiters" % len(delims))
        return []
    out = []
    for a, z in zip(delims, delims[1:]):
        part = b"\n".join(lines[a + 1:z])
        head, _, body = part.partition(b"\n\n")
        out.append((head, body))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    actions = ("failed", "delayed", "delivered", "relayed", "expanded")
    ap.add_argument("--action", required=True, choices=actions)
    ap.add_argument("--rcpt-action", action="append")
    ap.add_argument("--envid")
    ap.add_argument("--orcpt", action="append")
    ap.add_argument("--rcpt", action="append", required=True)
    ap.add_argument("--reason", action="append")
    ap.add_argument("--remote", action="append")
    ap.add_argument("--diag", action="append")
    ap.add_argument("--to")
    ap.add_argument("--test-id")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--whole", action="store_true")
    g.add_argument("--headers", action="store_true")
    ap.add_argument("--global", dest="is_global", action="store_true")
    ap.add_argument("--double", action="store_true")
    ap.add_argument("--ident", action="store_true")
    a = ap.parse_args()
    want = pairs(a.rcpt)

    raw = open(a.file, "rb").read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for d in msg.defects:
        bad("defect: %r" % d)

    # the notice's own header
    if msg.get("Return-Path") != "<>":
        bad("envelope sender is not <>: Return-Path %r" % msg.get("Return-Path"))
    if "MAILER-DAEMON@" not in str(msg.get("From", "")):
        bad("From is not MAILER-DAEMON: %r" % msg.get("From"))
    head = raw.split(b"\n\n", 1)[0].decode("utf-8", "replace")
    if a.to and not re.search(r"^To: <%s>$" % re.escape(a.to), head, re.M):
        bad("To is %r, want <%s>" % (msg.get("To"), a.to))
    for h in ("Date", "Message-ID", "Subject"):
        if not msg.get(h):
            bad("no %s" % h)
    try:
        email.utils.parsedate_to_datetime(str(msg.get("Date")))
    except (TypeError, ValueError):
        bad("Date does not parse: %r" % msg.get("Date"))
    if str(msg.get("Auto-Submitted", "")).lower() != "auto-replied":
        bad("Auto-Submitted is %r" % msg.get("Auto-Submitted"))
    if msg.get("MIME-Version") != "1.0":
        bad("MIME-Version is %r" % msg.get("MIME-Version"))
    if a.double and "bounce" not in str(msg.get("Subject", "")).lower():
        bad("a double bounce's subject should say so: %r" % msg.get("Subject"))

    # the structure
    rt = "global-delivery-status" if a.is_global else "delivery-status"
    if msg.get_content_type() != "multipart/report":
        bad("content type %s" % msg.get_content_type())
    if msg.get_param("report-type") != rt:
        bad("report-type %r, want %s" % (msg.get_param("report-type"), rt))
    boundary = msg.get_boundary()
    if not boundary:
        bad("no boundary")
        return finish(a, msg, None)
    parts = list(msg.iter_parts())
    if len(parts) != 3:
        bad("%d parts, want 3" % len(parts))
        return finish(a, msg, None)
    orig_types = {(False, True): "message/rfc822",
                  (False, False): "text/rfc822-headers",
                  (True, True): "message/global",
                  (True, False): "message/global-headers"}
    want_types = ["text/plain", "message/" + rt,
                  orig_types[(a.is_global, not a.headers)]]
    for p, t in zip(parts, want_types):
        if p.get_content_type() != t:
            bad("part %s, want %s" % (p.get_content_type(), t))
        for d in p.defects:
            bad("defect in %s: %r" % (t, d))
    split = raw_parts(raw, boundary)
    if len(split) != 3:
        return finish(a, msg, None)

    # the part for people
    human = parts[0].get_content()
    if not a.is_global and parts[0].get_content_charset() != "us-ascii":
        bad("the text is not us-ascii")
    for addr in want:
        if "<%s>:" % addr not in human:
            bad("the text does not name <%s>" % addr)
    named = set(re.findall(r"^<([^>\n]*)>:(?: [a-z]+)?$", human, re.M))
    if named != set(want):
        bad("the text names %s, want %s" % (sorted(named), sorted(want)))
    for addr, reason in pairs(a.reason).items():
        m = re.search(r"^<%s>:(?: [a-z]+)?\n    (.*)$" % re.escape(addr),
                      human, re.M)
        if not m or reason not in m.group(1):
            bad("the text does not give %r for <%s>" % (reason, addr))

    # the part for programs, by hand, and by the email package
    report = split[1][1].decode("utf-8" if a.is_global else "ascii")
    bl = blocks(report)
    if not a.is_global:
        parsed = parts[1].get_payload()
        if not isinstance(parsed, list) or len(parsed) != len(bl):
            bad("the email package sees %s blocks, by hand %d" %
                (len(parsed) if isinstance(parsed, list) else "no", len(bl)))
    if not bl:
        return finish(a, msg, None)
    per_msg, per_rcpt = bl[0], bl[1:]
    if not per_msg.get("reporting-mta", "").startswith("dns; "):
        bad("Reporting-MTA %r" % per_msg.get("reporting-mta"))
    if "arrival-date" not in per_msg:
        bad("no Arrival-Date")
    seen = {}
    for r in per_rcpt:
        fr = r.get("final-recipient", "")
        m = re.match(r"(rfc822|utf-8); (.+)$", fr)
        if not m:
            bad("Final-Recipient %r" % fr)
            continue
        addr = m.group(2)
        if m.group(1) == "utf-8" and not a.is_global:
            bad("utf-8 address type outside a global report")
        if m.group(1) == "rfc822" and not addr.isascii():
            bad("rfc822 address type for %r" % addr)
        seen[addr] = r
        if r.get("action") != pairs(a.rcpt_action).get(addr, a.action):
            bad("<%s> Action %r" % (addr, r.get("action")))
        if not re.match(r"[245]\.\d{1,3}\.\d{1,3}$", r.get("status", "")):
            bad("<%s> Status %r" % (addr, r.get("status")))
        for d in ("last-attempt-date", "will-retry-until"):
            if d in r:
                try:
                    email.utils.parsedate_to_datetime(r[d])
                except (TypeError, ValueError):
                    bad("<%s> %s does not parse" % (addr, d))
        if a.action == "delayed" and "will-retry-until" not in r:
            bad("<%s> delayed without Will-Retry-Until" % addr)
        if "last-attempt-date" not in r:
            bad("<%s> has no Last-Attempt-Date" % addr)
    if set(seen) != set(want):
        bad("the report names %s, want %s" % (sorted(seen), sorted(want)))
    for addr, st in want.items():
        if addr in seen and seen[addr].get("status") != st:
            bad("<%s> Status %r, want %s" % (addr, seen[addr].get("status"), st))
    if a.envid is not None and per_msg.get("original-envelope-id") != a.envid:
        bad("Original-Envelope-Id %r, want %r" %
            (per_msg.get("original-envelope-id"), a.envid))
    for addr, orcpt in pairs(a.orcpt).items():
        if addr in seen and seen[addr].get("original-recipient") != orcpt:
            bad("<%s> Original-Recipient %r, want %r" %
                (addr, seen[addr].get("original-recipient"), orcpt))
    for addr, host in pairs(a.remote).items():
        if addr in seen and seen[addr].get("remote-mta") != "dns; " + host:
            bad("<%s> Remote-MTA %r, want dns; %s" %
                (addr, seen[addr].get("remote-mta"), host))
    for addr, diag in pairs(a.diag).items():
        if addr in seen and not seen[addr].get("diagnostic-code", "").startswith(diag):
            bad("<%s> Diagnostic-Code %r, want %s..." %
                (addr, seen[addr].get("diagnostic-code"), diag))

    # the original
    orig = split[2][1]
    test_id = None
    m = re.search(rb"^X-Test-Id: (\S+)", orig, re.M)
    if m:
        test_id = m.group(1).decode()
    if a.test_id and test_id != a.test_id:
        bad("the returned message has X-Test-Id %r, want %s" % (test_id, a.test_id))
    if a.headers and re.search(rb"\n\n", orig.rstrip(b"\n")):
        bad("only the header should come back, the body came too")
    if a.whole and b"\n\n" not in orig:
        bad("the whole message should come back, only a header came")
    return finish(a, msg, test_id)


def finish(a, msg, test_id):
    if problems:
        for p in problems:
            print("dsn_check: %s: %s" % (a.file, p))
        return 1
    if a.ident:
        print(msg.get("Message-ID"), test_id)
    else:
        print("ok action=%s rcpts=%d" % (a.action, len(a.rcpt)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
