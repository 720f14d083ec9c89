#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# dkim_sign - sign a message with dkimpy (Debian python3-dkim), as an
# independent DKIM signer for tests/verify.  Run with /usr/bin/python3.
#
# usage: dkim_sign.py KEY.pem DOMAIN SELECTOR < message > signed
#
# The message comes with LF line ends, as the queue stores it; it is
# signed as it goes on the wire (CRLF), relaxed/relaxed, From, To,
# Subject, Date and Message-ID signed, and written back with LF ends,
# the DKIM-Signature field first.  Exits 3 when dkimpy is missing.
import sys

try:
    import dkim
except ImportError:
    sys.stderr.write("dkim_sign.py: dkimpy (python3-dkim) is missing\n")
    sys.exit(3)


def main():
    args = sys.argv[1:]
    if len(args) != 3:
        sys.stderr.write("usage: dkim_sign.py KEY DOMAIN SELECTOR\n")
        return 2
    key = open(args[0], "rb").read()
    msg = sys.stdin.buffer.read().replace(b"\r\n", b"\n")
    wire = msg.replace(b"\n", b"\r\n")
    sig = dkim.sign(wire, args[2].encode(), args[1].encode(), key,
                    canonicalize=(b"relaxed", b"relaxed"),
                    include_headers=[b"from", b"to", b"subject", b"date",
                                     b"message-id"])
    sig = sig.replace(b"\r\n", b"\n")
    sys.stdout.buffer.write(sig + msg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
