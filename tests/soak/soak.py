#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# soak - the crash-loop soak of RELIABILITY.md section 1.3: a private
# qpost instance takes mail continuously while its processes are killed
# with SIGKILL at random and its disk is filled to ENOSPC now and then;
# at the end the queue is drained and an audit checks the invariants I1
# to I5 against a ledger of what each client was told.
#
# usage: soak.py [--minutes M | --seconds S] [--rate R] [--seed S]
#            [--kill-mean-ms MS] [--victims sched,lspawn,...]
#            [--fs ext4loop|plain] [--dir DIR] [--user USER]
#            [--drain-timeout S] [--milter] [--keep]
#
#   make soak MINUTES=30 RATE=20 SEED=... KILL_MEAN_MS=1000 [SANITIZE=1]
#   [SOAK_FLAGS="--drain-timeout 600 --keep"] runs it from
#   the top of a built tree (the 60-second case in make check is
#   tests/soak/soak_test).  Run it with /usr/bin/python3.
#
# The instance.  As root, the queue and the Maildirs live on an ext4
# image of 256 MB (truncate, mkfs.ext4, mount -o loop) in DIR, and the
# soak itself runs as USER (default qptest, else nobody) from then on,
# since a single-user instance never runs as root.  Not as root (or with
# --fs plain) they live in a plain directory (logged; no ENOSPC
# episodes then, which would fill the host's disk).  Local users alice,
# bob and snd (the sender, whose mailbox takes the bounces), with
# Maildirs, and carol, whose ~/.qpost delivers to an mbox; remote
# users at sink.test, which control/smtproutes sends to
# tests/remote/hostile_peer.py on a loopback port, its mode rotating
# good / data_4xx / good / reset_in_data so that remote deliveries are
# retried; retrymin 1 and retrymax 4 keep the retries short.
#
# Injection.  At RATE messages a second (default 20), each message by
# smtpd (under tcpserver, raw SMTP from a thread pool) or by qinject
# run directly, with 1 to 3 recipients among the local users, the sink's
# users and nonexistent local users (smtpd refuses those at RCPT;
# qinject's bounce to snd).  Each message has a Message-ID, X-Test-Id
# SEED-N and X-Test-Sum (sha256 of its body), and its sent copy is kept
# in DIR/sent/.  The ledger DIR/ledger (append-only, flushed per line)
# holds "STATUS ID VIA RCPT T0 T1" lines, one per recipient (T0 and T1
# the wall-clock times of the hand-over and the answer): accepted (250
# after the final dot, or qinject exit 0), refused (any other answer, or
# the connection lost before the final dot was sent), ambiguous (the
# connection lost after it, qinject killed, or a qinject or smtpd kill
# while the reply was awaited: smtpd may say 451 for a message its
# killed qinject had already committed).
#
# Chaos.  SIGKILL, at Exp(KILL_MEAN_MS) intervals (default 1000), a
# random victim among the kinds named (default all of sched, lspawn,
# rspawn, local, remote, smtpd and qinject), chosen among the soak's own
# descendants only (it is a child subreaper, so orphans stay its own).
# Killing sched, lspawn or rspawn ends the whole qpost-start group; a
# supervisor thread waits for the rest of it to exit and starts it
# again 0 to 500 ms later, as a supervisor would.  Every 60 s (a quarter
# of the run when shorter) the filesystem is filled to ENOSPC with a
# ballast file for 5 s (scaled the same way), then freed.  Every kill
# goes to DIR/kills.
#
# With --milter, control/filter runs qpmilter, which passes every message
# through tests/smtpd/milter_peer.py (a milter on Sendmail's libmilter)
# before it is queued: the milter puts a field on top (which the audit
# strips, as it strips qpost's own), so that qpmilter writes the message
# anew, and qpmilter joins the victims (killed before it has queued the
# message, the client must be refused; after, it is qinject's kill).
#
# Stop and audit.  Injection and chaos stop; the queue is drained (peer
# mode good) within --drain-timeout (120 s); the group is stopped and
# started once more with QPOST_CLEANUP_AGE=0, then stopped; the queue
# must then be empty (I5).  tests/audit.py then checks I1-I4 against the
# ledger, the Maildirs and the sink (a recipient still queued when the
# drain timed out is "undrained", one lost is "missing"; a duplicate
# needs a kill of sched, lspawn, rspawn, local or remote between its
# hand-over and its last copy, and the copies made again, counted in
# files as the audit's dup_files, may not outnumber the kills: I2);
# ASAN_OPTIONS/UBSAN_OPTIONS
# log_path puts sanitizer reports in DIR/san/, and any report, or one in
# a log, is a violation; so is a death by any signal but the soak's
# SIGKILL and the spawners' SIGTERM that a log records (SIGSYS from
# the seccomp filter, say).  One summary line; exit 1 on any violation.
# The seed is printed first: --seed replays the same choices (the
# timing, and so the outcome, of course differs).
import argparse
import ctypes
import errno
import hashlib
import os
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.dont_write_bytecode = True	# no __pycache__ in the source tree
sys.path.insert(0, os.path.join(TOP, "tests"))
import audit  # noqa: E402

VICTIMS = ("sched", "lspawn", "rspawn", "local", "remote", "smtpd",
           "qinject")
MILTER_VICTIMS = ("qpmilter",)		# with --milter
TREE = ("sched", "lspawn", "rspawn")
LOCAL_USERS = ("alice", "bob")		# Maildirs
MBOX_USERS = ("carol",)
SENDER = "snd@example.test"
MODES = ("good", "data_4xx", "good", "reset_in_data")
PR_SET_CHILD_SUBREAPER = 36


def say(*words):
    print("soak:", *words, flush=True)


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="soak.py")
    ap.add_argument("--minutes", type=float)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--rate", type=float, default=20)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--kill-mean-ms", type=float, default=1000)
    ap.add_argument("--victims")
    ap.add_argument("--milter", action="store_true",
                    help="every message through qpmilter and a milter")
    ap.add_argument("--fs", choices=("ext4loop", "plain"),
                    default="ext4loop")
    ap.add_argument("--dir")
    ap.add_argument("--user")
    ap.add_argument("--drain-timeout", type=float, default=120)
    ap.add_argument("--keep", action="store_true",
                    help="keep DIR (always kept on a violation)")
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.seconds is None:
        a.seconds = 60 * (a.minutes if a.minutes is not None else 1)
    if a.seed is None:
        a.seed = int.from_bytes(os.urandom(4), "big")
    kinds = VICTIMS + (MILTER_VICTIMS if a.milter else ())
    if a.victims is None:
        a.victims = ",".join(kinds)
    a.victims = [v for v in a.victims.split(",") if v]
    for v in a.victims:
        if v not in kinds:
            ap.error("unknown victim %s" % v)
    return a


# ---------------------------------------------------------------- root part

def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def outer(a):
    """As root: the loop image, then the soak proper as USER."""
    own = a.dir is None
    d = a.dir or _mkdtemp()
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    user = a.user or _default_user()
    pw = pwd.getpwnam(user)
    fs = os.path.join(d, "fs")
    os.makedirs(fs, exist_ok=True)
    mounted = False
    if a.fs == "ext4loop":
        img = os.path.join(d, "fs.img")
        try:
            run("truncate", "-s", "256M", img)
            run("mkfs.ext4", "-q", "-F", img)
            # barrier=0: SIGKILL leaves the page cache intact, so cache
            # flushes to the backing file prove nothing here
            # (RELIABILITY.md 3(b)); with them, the loop device's
            # flushes (80 ms each on this shared machine, against 2 ms
            # without) throttle the whole soak
            run("mount", "-o", "loop,barrier=0", img, fs)
            mounted = True
            say("queue and Maildirs on an ext4 loop image %s" % img)
        except (OSError, subprocess.CalledProcessError) as e:
            err = getattr(e, "stderr", b"") or b""
            say("cannot mount an ext4 loop image (%s %s): plain directory"
                % (e, err.decode(errors="replace").strip()))
    for p in (d, fs):
        os.chown(p, pw.pw_uid, pw.pw_gid)
    for name in os.listdir(fs):		# lost+found
        if name != "lost+found":
            shutil.rmtree(os.path.join(fs, name))
    argv = [sys.executable, os.path.abspath(__file__), "--inner",
            "--dir", d, "--seconds", str(a.seconds), "--rate", str(a.rate),
            "--seed", str(a.seed), "--kill-mean-ms", str(a.kill_mean_ms),
            "--victims", ",".join(a.victims), "--fs",
            "ext4loop" if mounted else "plain",
            "--drain-timeout", str(a.drain_timeout)]
    if a.milter:
        argv.append("--milter")
    try:
        rc = subprocess.call(["setpriv", "--reuid=%d" % pw.pw_uid,
                              "--regid=%d" % pw.pw_gid, "--init-groups",
                              "--reset-env", "--"] + argv, cwd=d)
    finally:
        if mounted:
            subprocess.call(["umount", fs])
    if rc == 0 and own and not a.keep:
        shutil.rmtree(d, ignore_errors=True)
    elif rc != 0:
        say("kept", d)
    return rc


def _mkdtemp():
    import tempfile
    return tempfile.mkdtemp(prefix="qpost-soak.", dir="/tmp")


def _default_user():
    for u in ("qptest", "nobody"):
        try:
            pwd.getpwnam(u)
            return u
        except KeyError:
            pass
    raise SystemExit("soak: no unprivileged user: give --user")


# ---------------------------------------------------------------- processes

class Procs:
    """Every child is spawned here and reaped by one thread, so exit
    statuses of orphans (we are a subreaper) never confuse anyone."""

    def __init__(self):
        self.status = {}
        self.mine = {}
        self.cv = threading.Condition()
        self.stopping = False
        self.t = threading.Thread(target=self._reap, daemon=True)
        self.t.start()

    def _reap(self):
        while not self.stopping:
            try:
                pid, st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                time.sleep(0.02)
                continue
            if pid == 0:
                time.sleep(0.01)
                continue
            with self.cv:
                # only our own spawns: orphans' statuses would stay
                # here for ever, and a reused pid would then look done
                if self.mine.pop(pid, None):
                    self.status[pid] = st
                    self.cv.notify_all()

    def spawn(self, argv, env, stdin="/dev/null", out="/dev/null",
              err=None):
        fa = [(os.POSIX_SPAWN_OPEN, 0, stdin, os.O_RDONLY, 0),
              (os.POSIX_SPAWN_OPEN, 1, out,
               os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644),
              (os.POSIX_SPAWN_OPEN, 2, err or out,
               os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)]
        with self.cv:	# the reaper waits for the registration
            pid = os.posix_spawn(argv[0], argv, env, file_actions=fa)
            self.mine[pid] = True
            self.status.pop(pid, None)
        return pid

    def wait(self, pid, timeout=None):
        """The wait status of pid, or None on the timeout."""
        end = None if timeout is None else time.monotonic() + timeout
        with self.cv:
            while pid not in self.status:
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self.cv.wait(left)
            return self.status.pop(pid)

    def done(self, pid):
        with self.cv:
            return pid in self.status


def children(pid):
    out = []
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def descendants():
    seen, todo = [], children(os.getpid())
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += children(p)
    return seen


def exe_name(pid):
    try:
        return os.path.basename(os.readlink("/proc/%d/exe" % pid))
    except OSError:
        return None


def ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(")", 1)[1].split()[0]
        return st != "Z"
    except (OSError, IndexError):
        return False


def wait_until(pred, timeout, step=0.1):
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            return False
        time.sleep(step)
    return True


# ---------------------------------------------------------------- the soak

class Soak:
    WORKERS = 48	# injections at once: 20/s at over 2 s each fit

    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.d = os.path.abspath(a.dir)
        self.inst = os.path.join(self.d, "fs", "inst")
        self.ctl = os.path.join(self.inst, "control")
        self.q = os.path.join(self.inst, "queue")
        self.home = os.path.join(self.inst, "home")
        self.log = os.path.join(self.d, "log")
        self.smtpd_log = os.path.join(self.d, "smtpd.log")
        self.libexec = os.path.join(TOP, "build", "libexec")
        self.sent = os.path.join(self.d, "sent")
        self.peer_dir = os.path.join(self.d, "peer")
        self.san = os.path.join(self.d, "san")
        self.lock = threading.Lock()
        self.ledger = open(os.path.join(self.d, "ledger"), "a")
        self.kills_f = open(os.path.join(self.d, "kills"), "a")
        # (monotonic after, wall, victim, pid, monotonic before)
        self.kills = []
        self.kill_count = {v: 0 for v in a.victims}
        self.enospc = 0
        self.stop_inject = threading.Event()
        self.stop_chaos = threading.Event()
        self.stop_all = threading.Event()
        self.tree_want = True
        self.sched = None		# the qpost-start/sched pid
        self.group = []			# its spawners
        self.restarts = 0
        self.counter = 0
        self.notes = []			# violations found by the driver
        self.env = self._env()

    # -- setup

    def _env(self):
        env = {
            "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
            "QPOST_CONTROL": self.ctl,
            "QPOST_QUEUE": self.q,
            "QPOST_LIBEXEC": self.libexec,
            "HOME": self.d,
            "ASAN_OPTIONS": "log_path=%s/asan:abort_on_error=0" % self.san,
            "UBSAN_OPTIONS": "log_path=%s/ubsan:print_stacktrace=1"
            % self.san,
        }
        return env

    def setup(self):
        for p in (self.ctl, self.q, self.sent, self.peer_dir, self.san):
            os.makedirs(p, exist_ok=True)
        users = LOCAL_USERS + MBOX_USERS + ("snd",)
        for u in users:
            os.makedirs(os.path.join(self.home, u), exist_ok=True)
        for u in MBOX_USERS:
            with open(os.path.join(self.home, u, ".qpost"), "w") as f:
                f.write("./mbox\n")
        ids = "%d:%d" % (os.getuid(), os.getgid())
        files = {
            "me": "example.test", "locals": "example.test",
            "users": "".join("%s:%s:%s/%s\n" % (u, ids, self.home, u)
                             for u in users),
            "aliases": "postmaster: snd",
            "retrymin": "1", "retrymax": "4",
            "timeoutconnect": "5", "timeoutremote": "5",
            "minfree": "1000000",
        }
        for k, v in files.items():
            with open(os.path.join(self.ctl, k), "w") as f:
                f.write(v if v.endswith("\n") else v + "\n")
        subprocess.run([os.path.join(self.libexec, "qcdb"), "users",
                        "aliases"], env=self.env, check=True)
        for sub, mode in (("drop", 0o1777), ("mess", 0o700),
                          ("env", 0o700), ("tmp", 0o700)):
            os.mkdir(os.path.join(self.q, sub))
            os.chmod(os.path.join(self.q, sub), mode)
        os.mkfifo(os.path.join(self.q, "trigger"), 0o622)
        os.mkfifo(os.path.join(self.q, "ctl"), 0o600)
        for f in (self.log, self.smtpd_log):
            open(f, "w").close()
        if self.a.milter:
            with open(os.path.join(self.ctl, "filter"), "w") as f:
                f.write("%s -t 10 unix:%s\n" % (
                    os.path.join(self.libexec, "qpmilter"),
                    os.path.join(self.d, "milter.sock")))

    def start_milter(self):
        sock = os.path.join(self.d, "milter.sock")
        self.milter = self.procs.spawn(
            ["/usr/bin/python3", os.path.join(TOP, "tests", "smtpd",
                                              "milter_peer.py"),
             sock, os.path.join(self.d, "milter.log")],
            self.env, out=os.path.join(self.d, "milter.out"))

        def listening():
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(sock)
                s.close()
                return True
            except OSError:
                return False
        if not wait_until(listening, 30):
            raise SystemExit("soak: milter_peer.py did not start")

    # -- the remote peer and smtpd

    def start_peer(self):
        self.set_mode("good")
        self.peer = self.procs.spawn(
            ["/usr/bin/python3", os.path.join(TOP, "tests", "remote",
                                              "hostile_peer.py"),
             "--listen", "127.0.0.1:0", "--dir", self.peer_dir],
            self.env, out=os.path.join(self.d, "peer.out"))
        if not wait_until(lambda: os.path.exists(
                os.path.join(self.peer_dir, "ready")), 30):
            raise SystemExit("soak: hostile_peer.py did not start")
        port = open(os.path.join(self.peer_dir, "port")).read().strip()
        with open(os.path.join(self.ctl, "smtproutes"), "w") as f:
            f.write("sink.test:127.0.0.1:%s\n:127.0.0.1:1\n" % port)

    def set_mode(self, mode):
        tmp = os.path.join(self.peer_dir, "mode.tmp")
        with open(tmp, "w") as f:
            f.write(mode + "\n")
        os.rename(tmp, os.path.join(self.peer_dir, "mode"))

    def start_smtpd(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        argv = ["/usr/bin/tcpserver", "-q", "-R", "-H", "-c", "100",
                "127.0.0.1", str(self.port), "/usr/bin/env",
                "RELAYCLIENT=", os.path.join(self.libexec, "smtpd")]
        self.tcpserver = self.procs.spawn(argv, self.env,
                                          out=self.smtpd_log)

        def listening():
            try:
                socket.create_connection(("127.0.0.1", self.port), 2).close()
                return True
            except OSError:
                return False
        if not wait_until(listening, 30):
            raise SystemExit("soak: tcpserver did not start")

    # -- the qpost-start group and its supervisor

    def ready_count(self):
        with open(self.log, "rb") as f:
            return f.read().count(b"sched: ready")

    def start_tree(self, extra=None):
        env = dict(self.env)
        env.update(extra or {})
        before = self.ready_count()
        pid = self.procs.spawn([os.path.join(self.libexec, "qpost-start")],
                               env, out=self.log)
        ok = wait_until(lambda: self.ready_count() > before or
                        self.procs.done(pid), 60, 0.05)
        self.sched = pid
        self.group = [c for c in children(pid)
                      if exe_name(c) in ("lspawn", "rspawn")]
        return ok and not self.procs.done(pid)

    def wait_group_gone(self, pids, timeout=30):
        if wait_until(lambda: not any(alive(p) for p in pids), timeout):
            return
        self.note("group members still running %d s after sched died: "
                  "%s" % (timeout, pids))
        for p in pids:
            if alive(p):
                os.kill(p, signal.SIGKILL)
        wait_until(lambda: not any(alive(p) for p in pids), 10)

    def supervise(self):
        """Restart the group whenever sched has died."""
        while not self.stop_all.is_set():
            pid = self.sched
            st = self.procs.wait(pid, 0.2) if pid else None
            if st is None:
                continue
            if not self.tree_want:
                self.sched = None
                continue
            self.wait_group_gone(self.group)
            time.sleep(self.rng.uniform(0, 0.5))
            self.restarts += 1
            self.start_tree()

    def stop_tree(self):
        self.tree_want = False
        pid, group = self.sched, self.group
        if pid and alive(pid):
            os.kill(pid, signal.SIGTERM)
        if pid:
            self.procs.wait(pid, 60)
        self.wait_group_gone(group, 60)

    # -- the messages

    def message(self, n, rcpts):
        tid = "%d-%d" % (self.a.seed, n)
        body = ("Soak message %s.\n..a line starting with dots\n"
                "From here on the body ends.\n" % tid)
        body += "".join("%s %d\n" % (tid, i)
                        for i in range(self.rng.randrange(1, 80)))
        hdr = ("From: Soak <%s>\nTo: %s\nSubject: soak %s\n"
               "Date: Sat, 28 Nov 2026 12:00:00 +0000\n"
               "Message-ID: <%s.soak@example.test>\nX-Test-Id: %s\n"
               "X-Test-Sum: %s\n\n"
               % (SENDER, ", ".join(rcpts), tid, tid, tid,
                  hashlib.sha256(body.encode()).hexdigest()))
        data = (hdr + body).encode()
        with open(os.path.join(self.sent, tid), "wb") as f:
            f.write(data)
        return tid, data

    def recipients(self, rng, via):
        n = rng.choice((1, 1, 2, 3))
        out = []
        for _ in range(n):
            k = rng.random()
            if k < 0.45:
                r = "%s@example.test" % rng.choice(LOCAL_USERS +
                                                    MBOX_USERS)
            elif k < 0.85:
                r = "r%d@sink.test" % rng.randrange(20)
            else:
                r = "ghost%d@example.test" % rng.randrange(1000)
            if r not in out:
                out.append(r)
        return out

    def record(self, status, tid, via, rcpts, t0):
        """Ledger lines: STATUS ID VIA RCPT T0 T1, T0 when the message
        was handed over (the first connect or the spawn), T1 now."""
        with self.lock:
            for r in rcpts:
                self.ledger.write("%s %s %s %s %.3f %.3f\n" % (
                    status, tid, via, r, t0, time.time()))
            self.ledger.flush()

    def killed_between(self, t0, t1, kinds):
        """Whether a kill of those kinds may have fallen between t0 and
        t1: the kill happened between the times taken before and after
        os.kill, and the thread that took them may have waited for the
        GIL in between while the victim's death was already answered."""
        with self.lock:
            return any(k[4] <= t1 and k[0] >= t0 and k[2] in kinds
                       for k in self.kills)

    def send_smtp(self, tid, data, rcpts):
        wire = data.replace(b"\n", b"\r\n")
        wire = b"\r\n".join(b"." + ln if ln.startswith(b".") else ln
                            for ln in wire.split(b"\r\n"))
        if not wire.endswith(b"\r\n"):
            wire += b"\r\n"
        wire += b".\r\n"
        done = []		# recipients already in the ledger
        ok = []			# those smtpd took at RCPT
        sent_dot = None		# when the final dot was handed to the kernel

        t0 = time.time()

        def rec(status, rs):
            self.record(status, tid, "smtp", rs, t0)
            done.extend(rs)
        try:
            s = socket.create_connection(("127.0.0.1", self.port), 30)
            s.settimeout(60)
            f = s.makefile("rb")

            def reply():
                while True:
                    ln = f.readline()
                    if not ln:
                        raise ConnectionError("closed")
                    if ln[3:4] != b"-":
                        return int(ln[:3])

            def cmd(c):
                s.sendall(c.encode() + b"\r\n")
                return reply()
            try:
                if reply() != 220 or cmd("EHLO soak.test") != 250 or \
                        cmd("MAIL FROM:<%s>" % SENDER) != 250:
                    rec("refused", rcpts)
                    return
                for r in rcpts:
                    if cmd("RCPT TO:<%s>" % r) == 250:
                        ok.append(r)
                    else:
                        rec("refused", [r])
                if not ok:
                    return
                if cmd("DATA") != 354:
                    rec("refused", ok)
                    return
                # the window opens before the send: on a loaded machine
                # this thread may run again only after smtpd took the
                # dot, its qinject committed and was killed
                t_data = time.monotonic()
                s.sendall(wire)
                sent_dot = time.monotonic()
                code = reply()
                t1 = time.monotonic()
                if code == 250:
                    rec("accepted", ok)
                # a qpmilter picked as a victim may have become its qinject
                # -Q by the time the kill lands: a qinject kill then
                elif self.killed_between(t_data, t1,
                                         ("qinject", "smtpd", "qpmilter")):
                    # smtpd may answer 451 for what its killed qinject
                    # had committed: the client cannot know
                    rec("ambiguous", ok)
                else:
                    rec("refused", ok)
                try:
                    cmd("QUIT")
                except OSError:
                    pass
            finally:
                s.close()
        except (OSError, ValueError):
            left = [r for r in rcpts if r not in done]
            # lost before the final dot: nothing may be queued
            rec("refused" if sent_dot is None else "ambiguous", left)

    def send_qinject(self, tid, data, rcpts):
        argv = [os.path.join(self.libexec, "qinject"), "-f", SENDER] + rcpts
        t0 = time.time()
        t0_mono = time.monotonic()
        pid = self.procs.spawn(argv, self.env,
                               stdin=os.path.join(self.sent, tid),
                               out=os.path.join(self.d, "qinject.log"))
        st = self.procs.wait(pid, 120)
        if st is None:
            self.note("qinject %d (%s) ran for 120 s: killed" % (
                pid, open("/proc/%d/stat" % pid).read()[:80]))
            os.kill(pid, signal.SIGKILL)
            st = self.procs.wait(pid)
        t1 = time.monotonic()
        if os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0:
            self.record("accepted", tid, "qinject", rcpts, t0)
        elif os.WIFSIGNALED(st):
            self.record("ambiguous", tid, "qinject", rcpts, t0)
        # under --milter the filter's inner qinject may have committed
        # before a kill that made the outer one refuse: not knowable
        elif self.a.milter and self.killed_between(
                t0_mono, t1, ("qinject", "qpmilter")):
            self.record("ambiguous", tid, "qinject", rcpts, t0)
        else:
            self.record("refused", tid, "qinject", rcpts, t0)

    def injector(self, wid, jobs):
        rng = random.Random("%d-%d" % (self.a.seed, wid))
        while True:
            n = jobs()
            if n is None:
                return
            via = "smtp" if rng.random() < 0.6 else "qinject"
            rcpts = self.recipients(rng, via)
            tid, data = self.message(n, rcpts)
            if via == "smtp":
                self.send_smtp(tid, data, rcpts)
            else:
                self.send_qinject(tid, data, rcpts)

    def inject(self):
        """Hand out message numbers at RATE a second to a pool."""
        cv = threading.Condition()
        t0 = time.monotonic()
        state = {"next": 0}

        def jobs():
            with cv:
                while True:
                    if self.stop_inject.is_set():
                        return None
                    due = t0 + state["next"] / self.a.rate
                    now = time.monotonic()
                    if now >= due:
                        n = state["next"]
                        state["next"] += 1
                        return n
                    cv.wait(due - now)
        ws = [threading.Thread(target=self.injector, args=(i, jobs))
              for i in range(self.WORKERS)]
        for w in ws:
            w.start()
        self.stop_inject.wait()
        with cv:
            cv.notify_all()
        for w in ws:
            w.join()
        self.counter = state["next"]

    # -- chaos

    def candidates(self):
        """{kind: [pid, ...]} of the victims running now."""
        cands = {}
        for p in descendants():
            k = exe_name(p)
            # a child running its parent's program is no victim: a fork
            # not yet exec'd, or LeakSanitizer's tracer at exit (a clone
            # sharing the memory), whose death leaves the process
            # spinning in sched_yield for ever
            if k in self.a.victims and exe_name(ppid(p)) != k:
                cands.setdefault(k, []).append(p)
        return cands

    def chaos(self):
        mean = self.a.kill_mean_ms / 1000.0
        # kill times on a schedule of their own (a Poisson process), so
        # a slow round on a loaded machine does not lower the rate
        due = time.monotonic()
        while True:
            due += self.rng.expovariate(1 / mean)
            if self.stop_chaos.wait(max(0.0, due - time.monotonic())):
                return
            kind = self.rng.choice(self.a.victims)
            # local and remote live for a moment: look a few times
            for _ in range(5):
                cands = self.candidates()
                if kind in cands or self.stop_chaos.wait(0.05):
                    break
            if not cands:
                continue
            if kind not in cands:
                kind = self.rng.choice(sorted(cands))
            pid = self.rng.choice(cands[kind])
            if exe_name(pid) != kind:	# exited and reused meanwhile
                continue
            # the lock is held across the kill: a client that reads a
            # 451 caused by it then finds it in self.kills
            with self.lock:
                before = time.monotonic()
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
                self.kills.append((time.monotonic(), time.time(), kind, pid,
                                   before))
                self.kill_count[kind] += 1
                self.kills_f.write("%.3f %s %d\n" % (time.time(), kind, pid))
                self.kills_f.flush()

    def fill(self):
        """ENOSPC episodes: a ballast file eats every free block."""
        if self.a.fs != "ext4loop":
            say("no ENOSPC episodes: the queue is on a plain directory")
            return
        every = min(60.0, self.a.seconds / 4)
        hold = every / 12
        path = os.path.join(self.d, "fs", "ballast")
        while not self.stop_chaos.wait(every):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                for chunk in (1 << 20, 4096):
                    while True:
                        off = os.lseek(fd, 0, os.SEEK_END)
                        try:
                            os.posix_fallocate(fd, off, chunk)
                            os.lseek(fd, off + chunk, os.SEEK_SET)
                        except OSError as e:
                            if e.errno != errno.ENOSPC:
                                raise
                            break
                self.enospc += 1
                self.stop_chaos.wait(hold)
            finally:
                os.close(fd)
                os.unlink(path)

    def rotate(self):
        every = min(30.0, self.a.seconds / 6)
        i = 0
        while not self.stop_chaos.wait(every):
            i += 1
            self.set_mode(MODES[i % len(MODES)])
        self.set_mode("good")

    # -- the end

    def note(self, text):
        say("VIOLATION:", text)
        self.notes.append(text)

    def queue_files(self, subs=("drop", "mess", "env"), tmp=True):
        """Files in the queue; without tmp, drop/*.tmp (the leftovers
        of killed qinjects, which only the cleanup pass removes) are
        not counted."""
        out = []
        for s in subs:
            p = os.path.join(self.q, s)
            out += [os.path.join(s, n) for n in os.listdir(p)
                    if tmp or not (s == "drop" and n.endswith(".tmp"))]
        return out

    def drain(self):
        if not wait_until(lambda: not self.queue_files(tmp=False),
                          self.a.drain_timeout, 0.5):
            self.note("queue not drained in %d s: %d files"
                      % (self.a.drain_timeout,
                         len(self.queue_files(tmp=False))))

    def cleanup_pass(self):
        """I5: one more start with QPOST_CLEANUP_AGE=0, then an empty
        queue, nothing in tmp/ either."""
        self.stop_tree()
        self.tree_want = True
        if not self.start_tree({"QPOST_CLEANUP_AGE": "0"}):
            self.note("sched did not start for the cleanup pass")
        wait_until(lambda: not self.queue_files(), 30, 0.2)
        self.stop_tree()
        left = self.queue_files(("drop", "mess", "env", "tmp"))
        if left:
            self.note("queue not clean after the cleanup pass: %s"
                      % " ".join(sorted(left)[:10]))

    def stop_rest(self):
        for p in (self.tcpserver, self.peer) + (
                (self.milter,) if self.a.milter else ()):
            if alive(p):
                os.kill(p, signal.SIGTERM)
            self.procs.wait(p, 10)
        if not wait_until(lambda: not descendants(), 15):
            left = descendants()
            self.note("still running 15 s after the stop, killed: " +
                      " ".join("%d(%s)" % (p, exe_name(p)) for p in left))
            for p in left:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            wait_until(lambda: not descendants(), 10)

    def killed_in_checks(self, name, text):
        """A report of a process the soak killed while LeakSanitizer
        examined it at its exit (asan.PID: "Unable to get registers from
        thread PID"), with no finding in it: the SIGKILL's doing."""
        pid = name.rsplit(".", 1)[-1]
        killed = {str(k[3]) for k in self.kills}
        return pid in killed and "ERROR:" not in text and \
            "runtime error:" not in text

    def sanitizer_reports(self):
        n = 0
        for name in sorted(os.listdir(self.san)):
            p = os.path.join(self.san, name)
            if not os.path.getsize(p):
                continue
            text = open(p, errors="replace").read()
            if self.killed_in_checks(name, text):
                say("sanitizer note %s (killed by the soak meanwhile, no "
                    "finding): %s" % (p, text.strip()[:200]))
                continue
            n += 1
            say("sanitizer report %s:" % p)
            sys.stdout.write(text[:4000])
        for lg in (self.log, self.smtpd_log,
                   os.path.join(self.d, "qinject.log")):
            if not os.path.exists(lg):
                continue
            for ln in open(lg, errors="replace"):
                if "Sanitizer" in ln and "ERROR" in ln or \
                        "runtime error:" in ln:
                    n += 1
                    say("sanitizer report in %s: %s" % (lg, ln.strip()))
        return n

    def stray_signals(self):
        """Deaths by a signal neither the soak (SIGKILL) nor a spawner
        stopping its deliveries as sched died (SIGTERM) sent: a SIGSYS
        from the seccomp filter, a SIGSEGV."""
        n = 0
        for lg in (self.log, self.smtpd_log):
            for ln in open(lg, errors="replace"):
                m = re.search(r"killed by signal (\d+)", ln)
                if m and int(m.group(1)) not in (signal.SIGKILL,
                                                 signal.SIGTERM):
                    n += 1
                    say("killed by a signal the soak did not send: %s"
                        % ln.strip())
        return n

    def main(self):
        a = self.a
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        say("seed=%d seconds=%g rate=%g kill_mean_ms=%g victims=%s fs=%s "
            "dir=%s" % (a.seed, a.seconds, a.rate, a.kill_mean_ms,
                        ",".join(a.victims), a.fs, self.d))
        self.setup()
        self.procs = Procs()
        self.start_peer()
        if a.milter:
            self.start_milter()
        self.start_smtpd()
        if not self.start_tree():
            raise SystemExit("soak: sched did not become ready")
        threads = [threading.Thread(target=f) for f in
                   (self.supervise, self.inject, self.chaos, self.fill,
                    self.rotate)]
        for t in threads:
            t.start()
        time.sleep(a.seconds)
        self.stop_chaos.set()
        self.stop_inject.set()
        for t in threads[1:]:
            t.join()
        say("injection and chaos stopped after %d messages; draining"
            % self.counter)
        # a group killed just now is being restarted by the supervisor
        wait_until(lambda: self.sched and alive(self.sched), 60)
        t = time.monotonic()
        self.drain()
        say("drained in %.1f s" % (time.monotonic() - t))
        self.stop_all.set()
        threads[0].join()
        t = time.monotonic()
        self.cleanup_pass()
        self.stop_rest()
        say("cleanup pass and stop in %.1f s" % (time.monotonic() - t))
        self.procs.stopping = True
        self.procs.t.join()
        return self.report()

    def report(self):
        dkinds = ("sched", "lspawn", "rspawn", "local", "remote")
        r = audit.ledger_audit(
            ledger=os.path.join(self.d, "ledger"), sent=self.sent,
            home=self.home, users=LOCAL_USERS, mbox_users=MBOX_USERS,
            local_domain="example.test",
            bounce_maildir=os.path.join(self.home, "snd", "Maildir"),
            sink=os.path.join(self.peer_dir, "mail"),
            kill_times=[k[1] for k in self.kills if k[2] in dkinds],
            max_tmp=self.kill_count.get("local", 0),
            queued=audit.queued_ids(os.path.join(self.q, "mess")))
        san = self.sanitizer_reports()
        stray = self.stray_signals()
        kills = sum(self.kill_count.values())
        # I2 (RELIABILITY.md): no test id appears more often again
        # than there were kills
        if r["dup_files"] > kills:
            self.note("I2: %d copies made again, more than the %d kills"
                      % (r["dup_files"], kills))
        violations = r["violations"] + len(self.notes) + san + stray
        print("soak: seed=%d offered=%d (%.1f/s) "
              "accepted=%d/%d (messages/recipients) "
              "refused=%d ambiguous=%d missing=%d undrained=%d "
              "delivered=%d (local=%d remote=%d) "
              "bounced=%d duplicates=%d (local=%d remote=%d files=%d "
              "unexplained=%d) kills=%d (%s) "
              "restarts=%d enospc=%d sanitizer=%d signals=%d violations=%d"
              % (self.a.seed, self.counter, self.counter / self.a.seconds,
                 r["accepted_msgs"], r["accepted"],
                 r["refused"], r["ambiguous"], r["missing"],
                 r["undrained"], r["delivered_local"] +
                 r["delivered_remote"], r["delivered_local"],
                 r["delivered_remote"], r["bounced"], r["duplicates"],
                 r["dups_local"], r["dups_remote"], r["dup_files"],
                 r["dups_unexplained"], kills,
                 " ".join("%s=%d" % (k, self.kill_count[k])
                          for k in self.a.victims),
                 self.restarts, self.enospc, san, stray, violations),
              flush=True)
        return 1 if violations else 0


def main():
    a = parse_args(sys.argv[1:])
    if not a.inner and os.getuid() == 0:
        return outer(a)
    if not a.inner:
        if a.fs == "ext4loop":
            say("not root: the queue goes on a plain directory, not an "
                "ext4 loop image")
            a.fs = "plain"
        own = a.dir is None
        a.dir = a.dir or _mkdtemp()
        os.makedirs(os.path.join(a.dir, "fs"), exist_ok=True)
        rc = Soak(a).main()
        if rc == 0 and own and not a.keep:
            shutil.rmtree(a.dir, ignore_errors=True)
        elif rc:
            say("kept", a.dir)
        return rc
    return Soak(a).main()


if __name__ == "__main__":
    sys.exit(main())
