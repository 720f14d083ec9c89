#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# smtpd under load: 50 sessions open at once are all served, and a
# client that sends one byte a second does not hold up the others.

. "$(atf_get_srcdir)/../lib.sh"

start() {
	qp_smtpd_instance "$PWD/inst"
	qp_start
	qp_smtpd_start
}

atf_test_case fifty cleanup
fifty_head() {
	atf_set "descr" "50 simultaneous sessions (all connected and greeted" \
	    "before any sends MAIL) each deliver a message, exactly once"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
fifty_body() {
	start
	atf_check -o inline:"ok 50\n" env PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$(qp_top)/tests" \
	    /usr/bin/python3 - "$QP_SMTP_PORT" <<'PY'
import sys, threading
from smtp_dialog import Session
port = sys.argv[1]
N = 50
sessions = []
for i in range(N):
    s = Session("127.0.0.1", port, 30)
    sessions.append(s)
# every session greeted while all 50 are open
for s in sessions:
    s.expect("220")
barrier = threading.Barrier(N)
errors = []
ids = []
lock = threading.Lock()

def run(i, s):
    try:
        barrier.wait(30)
        s.line("EHLO c%d.test" % i)
        s.expect("250")
        s.line("MAIL FROM:<sender@example.test>")
        s.expect("250 2.1.0")
        s.line("RCPT TO:<alice@example.test>")
        s.expect("250 2.1.5")
        s.line("DATA")
        s.expect("354")
        s.send(b"Subject: c%d\r\nMessage-ID: <c%d@x.test>\r\n"
               b"X-Test-Id: c%d\r\n\r\nconcurrent %d\r\n.\r\n"
               % (i, i, i, i))
        code, lines = s.expect("250 2.0.0 Ok: queued as ")
        s.line("QUIT")
        s.expect("221")
        with lock:
            ids.append(lines[-1].split()[-1])
    except Exception as e:
        with lock:
            errors.append("session %d: %s" % (i, e))

ts = [threading.Thread(target=run, args=(i, s))
      for i, s in enumerate(sessions)]
for t in ts:
    t.start()
for t in ts:
    t.join()
if errors:
    sys.exit("\n".join(errors))
if len(set(ids)) != N:
    sys.exit("queue ids not distinct: %r" % ids)
print("ok", len(ids))
PY
	qp_wait_for 50 "$QP_DIR/home/alice/Maildir/new" 60
	qp_wait_queue_empty 30
	atf_check -o inline:"50\n" sh -c "grep -h '^X-Test-Id: c' \
	    '$QP_DIR'/home/alice/Maildir/new/* | sort -u | wc -l | tr -d ' '"
	atf_check -o inline:"50\n" sh -c \
	    "ls '$QP_DIR'/home/alice/Maildir/new | wc -l | tr -d ' '"
	qp_stop "$QP_DIR"
}
fifty_cleanup() {
	qp_stop
}

atf_test_case slow_client cleanup
slow_client_head() {
	atf_set "descr" "a client sending one byte a second does not delay" \
	    "others: a normal session completes a message while the slow" \
	    "one is still in its first command"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
slow_client_body() {
	start
	atf_check -o inline:"ok\n" env PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$(qp_top)/tests" \
	    /usr/bin/python3 - "$QP_SMTP_PORT" <<'PY'
import sys, threading, time
from smtp_dialog import Session
port = sys.argv[1]
events = []
lock = threading.Lock()

def note(what):
    with lock:
        events.append(what)

slow = Session("127.0.0.1", port, 60)
slow.expect("220")
started = threading.Event()

def drip():
    try:
        started.set()
        for b in b"EHLO s.test\r\n":
            slow.send(bytes([b]))
            time.sleep(1)
        slow.expect("250")
        note("slow-ehlo-done")
        slow.line("QUIT")
        slow.expect("221")
        note("slow-done")
    except Exception as e:
        note("slow-error %s" % e)

t = threading.Thread(target=drip)
t.start()
started.wait()
time.sleep(1.5)          # the slow client is well into its line
fast = Session("127.0.0.1", port, 30)
fast.expect("220")
fast.line("EHLO fast.client.test")
fast.expect("250")
fast.line("MAIL FROM:<sender@example.test>")
fast.expect("250 2.1.0")
fast.line("RCPT TO:<bob@example.test>")
fast.expect("250 2.1.5")
fast.line("DATA")
fast.expect("354")
fast.send(b"Subject: fast\r\nX-Test-Id: fast\r\n\r\nfast\r\n.\r\n")
fast.expect("250 2.0.0 Ok: queued as ")
fast.line("QUIT")
fast.expect("221")
note("fast-done")
t.join()
want = ["fast-done", "slow-ehlo-done", "slow-done"]
if events != want:
    sys.exit("order of events %r, want %r" % (events, want))
print("ok")
PY
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_stop "$QP_DIR"
}
slow_client_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case fifty
	atf_add_test_case slow_client
}
