#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# audit - check the invariants of RELIABILITY.md against what was sent
# and what arrived.  Each sent message is a file named by its test id
# (X-Test-Id header) in --sent; --accepted lists the ids whose injection
# was acknowledged (exit 0).  Every Maildir file under --maildir is
# matched to its id by X-Test-Id and must equal the sent message after
# the header lines qpost adds at the top (Return-Path, Delivered-To,
# Received and its continuation).
#
#   I1 no loss: every accepted id delivered at least once
#   I2 duplicates: at most --max-dups extra copies
#   I3 nothing partial: every delivered file intact
#   I4 no phantom: every delivered id was sent (and not refused)
#
# Prints one summary line and exits 1 on any violation.
import argparse
import os
import sys

ADDED = (b"Return-Path:", b"Delivered-To:", b"Received:")


def strip_added(data):
    """Remove the header lines qpost adds at the top of a message."""
    while True:
        if data.startswith(ADDED):
            nl = data.find(b"\n")
            data = data[nl + 1:]
            while data[:1] in (b" ", b"\t"):
                nl = data.find(b"\n")
                data = data[nl + 1:]
        else:
            return data


def test_id(data):
    for line in data.split(b"\n"):
        if line == b"":
            return None
        if line.lower().startswith(b"x-test-id:"):
            return line.split(b":", 1)[1].strip().decode()
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sent", required=True)
    ap.add_argument("--accepted", required=True)
    ap.add_argument("--refused")
    ap.add_argument("--maildir", action="append", required=True)
    ap.add_argument("--max-dups", type=int, default=0)
    a = ap.parse_args()

    accepted = set(open(a.accepted).read().split())
    refused = set(open(a.refused).read().split()) if a.refused else set()
    seen = {}
    corrupt = phantom = partial_tmp = 0
    for md in a.maildir:
        for sub in ("new", "cur"):
            d = os.path.join(md, sub)
            for name in os.listdir(d) if os.path.isdir(d) else []:
                data = open(os.path.join(d, name), "rb").read()
                tid = test_id(strip_added(data))
                path = os.path.join(a.sent, tid) if tid else None
                if tid is None or not os.path.exists(path) or tid in refused:
                    phantom += 1
                    print("phantom:", os.path.join(d, name))
                    continue
                if strip_added(data) != open(path, "rb").read():
                    corrupt += 1
                    print("corrupt:", os.path.join(d, name))
                seen[tid] = seen.get(tid, 0) + 1
        tmp = os.path.join(md, "tmp")
        partial_tmp += len(os.listdir(tmp)) if os.path.isdir(tmp) else 0
    missing = sorted(accepted - set(seen))
    for tid in missing:
        print("missing:", tid)
    dups = sum(n - 1 for n in seen.values())
    print("accepted=%d delivered=%d duplicates=%d missing=%d corrupt=%d "
          "phantom=%d maildir_tmp=%d" % (len(accepted), len(seen), dups,
                                         len(missing), corrupt, phantom,
                                         partial_tmp))
    bad = missing or corrupt or phantom or partial_tmp or dups > a.max_dups
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
