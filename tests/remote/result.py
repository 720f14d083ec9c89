# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# result.py - print remote's result record (qpost-remote(8)), read on
# stdin, one line per field: "K|Z|D<TAB>text" per recipient, in order,
# "P<TAB>1" after a recipient whose notices the next hop took on (DSN),
# and "X<TAB>address" per timed-out address.  Exits 1 on anything but
# exactly one well-formed frame, so a test sees a malformed result.
# rspawn_run.py prints rspawn's result records (qpost-queue(5)) with
# it: they start with "J<TAB>job".
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


def unframe(data):
    """The record inside one netstring, which must be all of data."""
    colon = data.index(b":")
    n = int(data[:colon])
    rec = data[colon + 1:colon + 1 + n]
    if len(rec) != n or data[colon + 1 + n:] != b",":
        raise ValueError("bad frame")
    return rec


def show(rec, tags=b"PX"):
    """Print the record's lines; tags are those printed as they are."""
    status = None
    for tag, value in fields(rec):
        text = value.decode("utf-8", "replace")
        if tag == b"S":
            status = text
        elif tag == b"T" and status is not None:
            print(status + "\t" + text)
            status = None
        elif tag in tags and status is None:
            print(tag.decode() + "\t" + text)
        else:
            raise ValueError("unexpected field " + tag.decode())


def main():
    show(unframe(sys.stdin.buffer.read()))


if __name__ == "__main__":
    try:
        main()
    except (ValueError, IndexError) as e:
        print("result.py: malformed result: %s" % e, file=sys.stderr)
        sys.exit(1)
