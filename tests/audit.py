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
#
# With --ledger instead of --accepted (the soak's audit, also used by
# tests/soak/soak.py through ledger_audit()), the verdicts are per
# recipient, from ledger lines "STATUS ID VIA RCPT" (STATUS accepted,
# refused or ambiguous), and the places mail may end up are the local
# users' Maildirs (--home/USER/Maildir for USER@--local-domain) and
# mboxes (--home/USER/mbox, for the users ledger_audit's mbox_users
# names: each copy after its "From " line, ">From " quoting undone, its
# time the From line's), the test peer's store
# (--sink: tests/remote/hostile_peer.py's mail/N.eml and
# N.env) and the bounces (DSNs) in --bounces, a Maildir:
#
#   I1 each accepted recipient is delivered (Maildir or sink), or named
#      in a bounce (Final-Recipient, Action: failed) whose returned
#      headers carry its X-Test-Id; only nonexistent users may bounce
#   I2 each extra copy of an (id, recipient) must have a kill of a
#      delivering process (--kills: "TIME VICTIM PID" lines) between the
#      hand-over (the ledger line's fifth field) and its last copy
#      (mtimes; 1 s slack)
#   I3 each copy equals the sent one (--sent/ID) after the added header
#      lines, and its body matches X-Test-Sum (so a part of a copy left
#      in an mbox is "corrupt"); Maildir tmp/ holds at most --max-tmp
#      files (one per local killed mid-delivery)
#   I4 nothing refused or unknown is delivered or bounced
#   (--queue: the queue's mess/ folder; an accepted recipient whose
#   message is still there is reported "undrained", not "missing")
import argparse
import email
import email.policy
import hashlib
import os
import re
import sys
import time

# and the field tests/smtpd/milter_peer.py puts on top (soak.py --milter)
ADDED = (b"Return-Path:", b"Delivered-To:", b"Received:", b"X-Milter:")


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


def body_sum_ok(data):
    """Whether the body matches X-Test-Sum (True when there is none)."""
    head, sep, body = data.partition(b"\n\n")
    m = re.search(rb"^X-Test-Sum: *([0-9a-f]{64})$", head, re.M | re.I)
    if m is None:
        return True
    return hashlib.sha256(body).hexdigest().encode() == m.group(1)


def read_ledger(path):
    """{(id, rcpt): status} and {(id, rcpt): time handed over} (0 if the
    line has none); a later line for the same pair wins, but the soak
    writes one."""
    st, t0 = {}, {}
    for line in open(path):
        w = line.split()
        if len(w) >= 4:
            st[(w[1], w[3].lower())] = w[0]
            t0[(w[1], w[3].lower())] = float(w[4]) if len(w) > 4 else 0
    return st, t0


def mbox_copies(path):
    """The copies in an mbox as local appends them (a "From " line, the
    message quoted the mboxrd way, a blank line): each as (the message,
    unquoted, or what there is of it; the time of its From line)."""
    try:
        data = open(path, "rb").read()
    except FileNotFoundError:
        data = b""
    if not data:
        return []
    # the bodies are quoted: a line that starts "From " starts a copy
    starts = [m.start() for m in re.finditer(rb"(?m)^From ", data)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    out = []
    for a, b in zip(starts, starts[1:] + [len(data)]):
        line, _, msg = data[a:b].partition(b"\n")
        if msg.endswith(b"\n\n"):
            msg = msg[:-1]
        try:
            when = time.mktime(time.strptime(
                line.split(None, 2)[2].decode(), "%a %b %d %H:%M:%S %Y"))
        except (IndexError, UnicodeDecodeError, ValueError):
            when = os.stat(path).st_mtime
        out.append((re.sub(rb"(?m)^>(>*From )", rb"\1", msg), when))
    return out


def maildir_files(md):
    for sub in ("new", "cur"):
        d = os.path.join(md, sub)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            yield os.path.join(d, name)


def bounce_entries(data):
    """(test id, [failed recipients]) of a DSN, or None if it is none."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    if msg.get_content_type() != "multipart/report":
        return None
    failed, tid = [], None
    for part in msg.walk():
        ct = part.get_content_type()
        if ct in ("message/delivery-status", "message/global-delivery-status"):
            text = part.as_bytes().decode("utf-8", "replace")
            for block in re.split(r"\n\s*\n", text):
                fr = re.search(r"^Final-Recipient:\s*[^;]*;\s*(\S+)", block,
                               re.M | re.I)
                act = re.search(r"^Action:\s*(\S+)", block, re.M | re.I)
                if fr and act and act.group(1).lower() == "failed":
                    failed.append(fr.group(1).strip("<>").lower())
        elif ct in ("text/rfc822-headers", "message/rfc822",
                    "message/global", "message/global-headers"):
            m = re.search(rb"^X-Test-Id:\s*(\S+)", part.as_bytes(), re.M | re.I)
            if m:
                tid = m.group(1).decode()
    return tid, failed


def ledger_audit(ledger, sent, home, users, local_domain, bounce_maildir,
                 sink, kill_times, max_tmp, queued=(), mbox_users=(),
                 out=sys.stdout):
    """The soak's audit; returns a dict of counts, "violations" the
    number of broken invariants found."""
    status, handed = read_ledger(ledger)
    bad = []
    copies = {}			# (id, rcpt) -> [mtime, ...]
    remote_keys = set()		# the (id, rcpt) the sink got
    files = []			# (mtime, [(id, rcpt), ...]) a file

    def problem(kind, text):
        bad.append(kind)
        print("%s: %s" % (kind, text), file=out)

    def check_copy(path, data, rcpts, mt=None):
        body = strip_added(data)
        tid = test_id(body)
        ref = os.path.join(sent, tid) if tid else None
        if ref is None or not os.path.exists(ref):
            problem("phantom", "%s: no sent message %s" % (path, tid))
            return None
        if body != open(ref, "rb").read() or not body_sum_ok(body):
            problem("corrupt", path)
        mt = os.stat(path).st_mtime if mt is None else mt
        files.append((mt, [(tid, r) for r in rcpts]))
        for r in rcpts:
            if status.get((tid, r)) not in ("accepted", "ambiguous"):
                problem("phantom", "%s: %s for %s was %s" % (
                    path, tid, r, status.get((tid, r), "never sent")))
            copies.setdefault((tid, r), []).append(mt)
        return tid

    local = remote = tmp = 0
    for u in users:
        md = os.path.join(home, u, "Maildir")
        for p in maildir_files(md):
            check_copy(p, open(p, "rb").read(),
                       ["%s@%s" % (u, local_domain)])
            local += 1
        t = os.path.join(md, "tmp")
        tmp += len(os.listdir(t)) if os.path.isdir(t) else 0
    for u in mbox_users:
        p = os.path.join(home, u, "mbox")
        for i, (data, mt) in enumerate(mbox_copies(p)):
            check_copy("%s, copy %d" % (p, i + 1), data,
                       ["%s@%s" % (u, local_domain)], mt)
            local += 1
    for name in sorted(os.listdir(sink)) if os.path.isdir(sink) else []:
        if not name.endswith(".eml"):
            continue
        p = os.path.join(sink, name)
        env = open(p[:-4] + ".env", "rb").read().decode("utf-8", "replace")
        rcpts = [m.lower() for m in
                 re.findall(r"^RCPT TO:<([^>]*)>", env, re.M | re.I)]
        tid = check_copy(p, open(p, "rb").read(), rcpts)
        remote_keys.update((tid, r) for r in rcpts)
        remote += 1
    bounced = {}
    nbounce = 0
    t = os.path.join(bounce_maildir, "tmp")
    tmp += len(os.listdir(t)) if os.path.isdir(t) else 0
    for p in maildir_files(bounce_maildir):
        e = bounce_entries(open(p, "rb").read())
        if e is None:
            problem("phantom", "%s: not a bounce" % p)
            continue
        tid, failed = e
        nbounce += 1
        files.append((os.stat(p).st_mtime, [(tid, r) for r in failed]))
        for r in failed:
            if status.get((tid, r)) not in ("accepted", "ambiguous"):
                problem("phantom", "%s: bounce of %s for %s, which was %s"
                        % (p, tid, r, status.get((tid, r), "never sent")))
            elif not r.split("@")[0].startswith("ghost"):
                problem("bounced", "%s: %s to the existing %s" % (p, tid, r))
            bounced.setdefault((tid, r), []).append(os.stat(p).st_mtime)
    for k, v in bounced.items():
        copies.setdefault(k, []).extend(v)
    missing = [k for k, s in status.items()
               if s == "accepted" and k not in copies]
    # still in the queue (a drain that ran out of time) is not lost, but
    # not delivered either: a violation of its own name
    queued = set(queued)
    for tid, r in sorted(missing):
        problem("undrained" if tid in queued else "missing",
                "%s to %s" % (tid, r))
    undrained = sum(1 for k in missing if k[0] in queued)
    # I2 counts appearances of a test id: files (a Maildir copy, one
    # transaction at the peer, a bounce) that reach a recipient some
    # earlier file had reached; one redone transaction of five
    # recipients is one of those, and five duplicates below
    dup_files, reached = 0, set()
    for _, keys in sorted(files):
        if any(k in reached for k in keys):
            dup_files += 1
        reached.update(keys)
    dups = unexplained = dups_remote = 0
    for k, ts in copies.items():
        if len(ts) < 2:
            continue
        dups += len(ts) - 1
        if k in remote_keys:
            dups_remote += len(ts) - 1
        # a kill between the hand-over and the last copy: a delivery
        # done but not yet recorded when its process group died
        lo, hi = handed.get(k, 0) - 1, max(ts) + 1
        if not any(lo <= kt <= hi for kt in kill_times):
            unexplained += len(ts) - 1
            problem("duplicate", "%s to %s: %d copies, no kill between"
                    % (k[0], k[1], len(ts)))
    if tmp > max_tmp:
        problem("maildir_tmp", "%d files left in Maildir tmp/ (at most %d)"
                % (tmp, max_tmp))
    accepted = [k for k, s in status.items() if s == "accepted"]
    return {
        "accepted": len(accepted),
        "accepted_msgs": len(set(k[0] for k in accepted)),
        "refused": sum(1 for s in status.values() if s == "refused"),
        "ambiguous": sum(1 for s in status.values() if s == "ambiguous"),
        "delivered_local": local, "delivered_remote": remote,
        "bounced": nbounce, "duplicates": dups,
        "dups_unexplained": unexplained,
        "dups_local": dups - dups_remote, "dups_remote": dups_remote,
        "dup_files": dup_files,
        "maildir_tmp": tmp,
        "missing": len(missing) - undrained, "undrained": undrained,
        "violations": len(bad),
    }


def queued_ids(mess):
    """The test ids of the messages in a queue's mess/ folder, and of
    the messages the bounces queued there return."""
    out = []
    for name in os.listdir(mess):
        with open(os.path.join(mess, name), "rb") as f:
            data = f.read()
        tid = test_id(strip_added(data))
        if tid is None:
            tid = (bounce_entries(data) or (None,))[0]
        if tid:
            out.append(tid)
    return out


def main_ledger(a):
    kt = []
    if a.kills:
        for line in open(a.kills):
            w = line.split()
            if len(w) >= 2 and w[1] in ("sched", "lspawn", "rspawn",
                                        "local", "remote"):
                kt.append(float(w[0]))
    r = ledger_audit(a.ledger, a.sent, a.home, a.user, a.local_domain,
                     a.bounces, a.sink, kt, a.max_tmp,
                     queued_ids(a.queue) if a.queue else ())
    print(" ".join("%s=%d" % kv for kv in r.items()))
    return 1 if r["violations"] else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sent", required=True)
    ap.add_argument("--accepted")
    ap.add_argument("--ledger")
    ap.add_argument("--home")
    ap.add_argument("--user", action="append", default=[])
    ap.add_argument("--local-domain", default="example.test")
    ap.add_argument("--bounces", default="/nonexistent")
    ap.add_argument("--sink", default="/nonexistent")
    ap.add_argument("--kills")
    ap.add_argument("--max-tmp", type=int, default=0)
    ap.add_argument("--queue")
    ap.add_argument("--refused")
    ap.add_argument("--maildir", action="append")
    ap.add_argument("--max-dups", type=int, default=0)
    a = ap.parse_args()
    if a.ledger:
        if not a.home or not a.user:
            ap.error("--ledger needs --home and --user")
        return main_ledger(a)
    if not a.accepted or not a.maildir:
        ap.error("--accepted and --maildir are required without --ledger")

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
