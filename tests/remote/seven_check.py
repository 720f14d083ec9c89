#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# seven_check - whether RECEIVED is SENT made 7-bit as remote makes it
# for a server without 8BITMIME (send/mime7.c): not one byte over 0x7f;
# every header field of SENT still there with its value, apart from
# Content-Transfer-Encoding; the same tree of MIME parts, each with the
# same type and, once decoded by Python's email package, the same bytes
# (line ends compared as LF); and each part that had 8-bit bytes now
# quoted-printable.  Fields the receiver added before SENT's (Received:,
# Return-Path: ...) are ignored.  Prints what differs and exits 1.
#
# usage: seven_check.py SENT RECEIVED

import email
import email.policy
import sys


def parts(msg):
    """(type, decoded bytes with LF line ends, CTE, had 8-bit bytes)
    for each leaf part."""
    out = []
    for p in msg.walk():
        if p.is_multipart():
            continue
        body = p.get_payload(decode=True) or b""
        raw = p.get_payload(decode=False)
        is8 = isinstance(raw, str) and any(ord(c) > 0x7f for c in raw)
        out.append((p.get_content_type(), body.replace(b"\r\n", b"\n"),
                    (p.get("Content-Transfer-Encoding") or "").lower(),
                    is8))
    return out


def fields(msg):
    return [(k.lower(), " ".join(v.split())) for k, v in msg.items()
            if k.lower() != "content-transfer-encoding"]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: seven_check.py SENT RECEIVED")
    sent_raw = open(sys.argv[1], "rb").read()
    got_raw = open(sys.argv[2], "rb").read()
    errors = []
    high = [i for i, b in enumerate(got_raw) if b > 0x7f]
    if high:
        errors.append("8-bit byte at offset %d of %s" % (high[0],
                      sys.argv[2]))
    sent = email.message_from_bytes(sent_raw, policy=email.policy.compat32)
    got = email.message_from_bytes(got_raw, policy=email.policy.compat32)
    got_fields = fields(got)
    for f in fields(sent):
        if f not in got_fields:
            errors.append("field lost or changed: %s: %s" % f)
    want, have = parts(sent), parts(got)
    if len(want) != len(have):
        errors.append("%d parts sent, %d received" % (len(want), len(have)))
    for n, (w, h) in enumerate(zip(want, have)):
        if w[0] != h[0]:
            errors.append("part %d: type %s became %s" % (n, w[0], h[0]))
        if w[1] != h[1]:
            errors.append("part %d: decoded content differs:\n%r\n%r" %
                          (n, w[1], h[1]))
        if w[3] and h[2] != "quoted-printable":
            errors.append("part %d: 8-bit part not quoted-printable (%s)" %
                          (n, h[2]))
    for e in errors:
        print("seven_check: " + e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
