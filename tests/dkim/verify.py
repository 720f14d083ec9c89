#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# verify - check every DKIM-Signature of a delivered message with dkimpy
# (python3-dkim), an implementation independent of libopendkim, the
# keys fetched over DNS from the test's dnsmasq on 127.0.0.1:PORT.
#
# usage: verify.py PORT FILE...
#        verify.py -f TXTFILE FILE...  the record from TXTFILE (qpdkim
#                                      -g's zone line) instead of DNS
# Prints a line per FILE: one word per signature, in order, "pass" or
# "fail" ("none" when the message has no signature), after "FILE: "
# when there are several files; exit 0 whatever the verdict.  (One run
# for many files: importing dkimpy takes seconds on a busy machine.)
# The file has the queue's LF line ends: made CRLF, as on the wire.

import re
import sys

import dkim
import dns.resolver


def main():
    if sys.argv[1] == "-f":
        line = open(sys.argv[2], "rb").read()
        record = b"".join(re.findall(rb'"([^"]*)"', line))
        paths = sys.argv[3:]

        def txt(name, timeout=5):
            return record
    else:
        port, paths = int(sys.argv[1]), sys.argv[2:]
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = ["127.0.0.1"]
        res.port = port
        res.lifetime = 5

        def txt(name, timeout=5):
            ans = res.resolve(name.decode().rstrip("."), "TXT")
            return b"".join(ans[0].strings)

    for path in paths:
        words = verdicts(path, txt)
        if len(paths) > 1:
            print("%s: %s" % (path, " ".join(words)))
        else:
            print(" ".join(words))


def verdicts(path, txt):
    with open(path, "rb") as f:
        msg = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    d = dkim.DKIM(msg)
    n = sum(1 for h in d.headers if h[0].lower() == b"dkim-signature")
    if n == 0:
        return ["none"]
    words = []
    for i in range(n):
        try:
            ok = d.verify(idx=i, dnsfunc=txt)
        except dkim.DKIMException as e:
            print("error", e, file=sys.stderr)
            ok = False
        words.append("pass" if ok else "fail")
    return words

main()
