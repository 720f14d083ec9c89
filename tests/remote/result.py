# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# result.py - print remote's result record (qpost-remote(8)), read on
# stdin, one line per field: "K|Z|D<TAB>text" per recipient, in order,
# and "X<TAB>address" per timed-out address.  Exits 1 on anything but
# exactly one well-formed frame, so a test sees a malformed result.
import sys


def fields(rec):
    pos = 0
    while pos < len(rec):
        tag = rec[pos:pos + 1]
        colon = rec.index(b":", pos + 1)
        n = int(rec[pos + 1:colon])
        value = rec[colon + 1:colon + 1 + n]
        if len(value) != n or rec[colon + 1 + n:colon + 2 + n] != b",":
            raise ValueError("short field")
        yield tag, value
        pos = colon + 2 + n


def main():
    data = sys.stdin.buffer.read()
    colon = data.index(b":")
    n = int(data[:colon])
    rec = data[colon + 1:colon + 1 + n]
    if len(rec) != n or data[colon + 1 + n:] != b",":
        raise ValueError("bad frame")
    status = None
    for tag, value in fields(rec):
        text = value.decode("utf-8", "replace")
        if tag == b"S":
            status = text
        elif tag == b"T" and status is not None:
            print(status + "\t" + text)
            status = None
        elif tag == b"X":
            print("X\t" + text)
        else:
            raise ValueError("unexpected field " + tag.decode())


try:
    main()
except (ValueError, IndexError) as e:
    print("result.py: malformed result: %s" % e, file=sys.stderr)
    sys.exit(1)
