#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# smtpd's limits: recipients per message (control/maxrcpt), message
# size (control/databytes, at MAIL by SIZE= and after DATA), free space
# (control/minfree), the idle and session timeouts, too many errors.
# After each refusal that is not the end of the session, the session
# is shown to go on.

. "$(atf_get_srcdir)/../lib.sh"

# start [VAR=VALUE...] - an instance with smtpd; sets $PYS, a command
# running Python from stdin with tests/ on its path, for smtp_dialog's
# Session (atf_check runs programs, not shell functions).
start() {
	PYS="env PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$(qp_top)/tests /usr/bin/python3 -"
	qp_smtpd_instance "$PWD/inst"
	qp_start
	qp_smtpd_start "$@"
}


# maxrcpt_script N - a dialogue: N recipients accepted, the next gets
# 452 4.5.3, and the message still goes to the N.
maxrcpt_script() {
	qp_msg mr > m
	qp_wire m
	echo "< 220"
	echo "> EHLO client.test"
	echo "< 250"
	echo "> MAIL FROM:<sender@example.test>"
	echo "< 250 2.1.0"
	i=1
	while [ "$i" -le "$1" ]; do
		echo "> RCPT TO:<r$i@remote.test>"
		echo "< 250 2.1.5"
		i=$((i + 1))
	done
	echo "> RCPT TO:<r$i@remote.test>"
	echo "< 452 4.5.3"
	echo "> RCPT TO:<alice@example.test>"
	echo "< 452 4.5.3"
	echo "> DATA"
	echo "< 354"
	echo ">file m.wire"
	echo "< 250 2.0.0 Ok: queued as"
	echo "> QUIT"
	echo "< 221 2.0.0"
}

atf_test_case maxrcpt_default cleanup
maxrcpt_default_head() {
	atf_set "descr" "100 recipients are accepted, the 101st gets" \
	    "452 4.5.3, and the message is queued for the 100"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
maxrcpt_default_body() {
	start RELAYCLIENT=
	maxrcpt_script 100 > s
	qp_smtp_dialog s
	qp_stop "$QP_DIR"
}
maxrcpt_default_cleanup() {
	qp_stop
}

atf_test_case maxrcpt_control cleanup
maxrcpt_control_head() {
	atf_set "descr" "control/maxrcpt 3: the 4th recipient gets 452 4.5.3"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
maxrcpt_control_body() {
	start RELAYCLIENT=
	echo 3 > "$QPOST_CONTROL/maxrcpt"
	maxrcpt_script 3 > s
	qp_smtp_dialog s
	qp_stop "$QP_DIR"
}
maxrcpt_control_cleanup() {
	qp_stop
}

atf_test_case databytes cleanup
databytes_head() {
	atf_set "descr" "control/databytes 2000: MAIL SIZE=2001 gets" \
	    "552 5.3.4, a 5000-octet message 552 5.3.4 after DATA, and the" \
	    "session goes on to deliver a small one, alone"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
databytes_body() {
	start
	echo 2000 > "$QPOST_CONTROL/databytes"
	{
		qp_msg big
		/usr/bin/python3 -c '
for i in range(100):
    print("BIG-MARKER %04d %s" % (i, "x" * 40))'
	} > big
	qp_wire big
	qp_msg small > small
	qp_wire small
	cat > s <<'EOS'
< 220
> EHLO client.test
<~ ^250[- ]SIZE 2000$
> MAIL FROM:<sender@example.test> SIZE=2001
< 552 5.3.4
> MAIL FROM:<sender@example.test> SIZE=1000000000000000000000
< 552 5.3.4
> MAIL FROM:<sender@example.test> SIZE=1500
< 250 2.1.0
> RCPT TO:<alice@example.test>
< 250 2.1.5
> DATA
< 354
>file big.wire
< 552 5.3.4
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> RCPT TO:<alice@example.test>
< 250 2.1.5
> DATA
< 354
>file small.wire
< 250 2.0.0 Ok: queued as
> QUIT
< 221 2.0.0
<eof
EOS
	qp_smtp_dialog s
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_queue_empty 30
	atf_check -o inline:"1\n" sh -c \
	    "find '$QP_DIR/home' -type f | wc -l | tr -d ' '"
	qp_mail_body_equal "$QP_DIR"/home/alice/Maildir/new/* small ||
	    atf_fail "the delivered message is not the small one"
	qp_stop "$QP_DIR"
}
databytes_cleanup() {
	qp_stop
}

atf_test_case minfree cleanup
minfree_head() {
	atf_set "descr" "with the queue below control/minfree, MAIL gets" \
	    "452 4.3.1; with space again, the next session's MAIL 250"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
minfree_body() {
	start
	echo 1125899906842624 > "$QPOST_CONTROL/minfree"	# 1 PiB
	cat > s <<'EOS'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test>
< 452 4.3.1
> QUIT
< 221 2.0.0
EOS
	qp_smtp_dialog s
	echo 0 > "$QPOST_CONTROL/minfree"
	qp_msg mf > m
	qp_smtp_send m alice@example.test
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	qp_stop "$QP_DIR"
}
minfree_cleanup() {
	qp_stop
}

atf_test_case idle_timeout cleanup
idle_timeout_head() {
	atf_set "descr" "control/timeoutsmtpd 2: an idle client gets" \
	    "421 4.4.2 and the connection closes, between commands and" \
	    "inside DATA (then nothing is queued)"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
idle_timeout_body() {
	start
	echo 2 > "$QPOST_CONTROL/timeoutsmtpd"
	cat > s <<'EOS'
< 220
> EHLO client.test
< 250
< 421 4.4.2
<eof
EOS
	qp_smtp_dialog s
	cat > s2 <<'EOS'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> RCPT TO:<alice@example.test>
< 250 2.1.5
> DATA
< 354
>raw b"Subject: idle\r\nX-Test-Id: IDLE-MARKER\r\n\r\nand then nothing"
< 421 4.4.2
<eof
EOS
	qp_smtp_dialog s2
	qp_msg after > m
	qp_smtp_send m bob@example.test
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	[ "$(qp_maildir_grep_count IDLE-MARKER "$QP_DIR/home")" -eq 0 ] ||
	    atf_fail "the timed-out message was delivered"
	qp_stop "$QP_DIR"
}
idle_timeout_cleanup() {
	qp_stop
}

atf_test_case session_timeout cleanup
session_timeout_head() {
	atf_set "descr" "control/timeoutsession 3: a client that keeps" \
	    "sending NOOP gets 421 4.4.2 after about 3 s and is closed"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
session_timeout_body() {
	start
	echo 3 > "$QPOST_CONTROL/timeoutsession"
	atf_check -o match:"^ok" $PYS "$QP_SMTP_HOST" "$QP_SMTP_PORT" <<'PY'
import sys, time
from smtp_dialog import Session
s = Session(sys.argv[1], sys.argv[2], 10)
t0 = time.monotonic()
s.expect("220")
s.line("EHLO client.test")
s.expect("250")
while time.monotonic() - t0 < 20:
    time.sleep(0.5)
    try:
        s.line("NOOP")
    except OSError:
        sys.exit("closed without 421 4.4.2")
    code, lines = s.reply()
    if code == 421:
        if not lines[-1].startswith("421 4.4.2"):
            sys.exit("want 421 4.4.2, got %r" % lines)
        s.expect_eof()
        took = time.monotonic() - t0
        if took < 2.5:
            sys.exit("421 after %.1f s, before the limit" % took)
        print("ok after %.1f s" % took)
        sys.exit(0)
    if not lines[-1].startswith("250 2.0.0"):
        sys.exit("NOOP got %r" % lines)
sys.exit("no 421 in 20 s")
PY
	qp_stop "$QP_DIR"
}
session_timeout_cleanup() {
	qp_stop
}

# errors_until_421 MAX - send unknown commands until 421 4.7.0 comes;
# it must come after MAX-1 or MAX 500 replies, then the server closes.
errors_until_421() {
	atf_check -o match:"^ok" $PYS "$QP_SMTP_HOST" "$QP_SMTP_PORT" "$1" \
	    <<'PY'
import sys
from smtp_dialog import Session
mx = int(sys.argv[3])
s = Session(sys.argv[1], sys.argv[2], 10)
s.expect("220")
s.line("EHLO client.test")
s.expect("250")
n500 = 0
for i in range(mx + 5):
    s.line("XYZZY %d" % i)
    code, lines = s.reply()
    if code == 500:
        n500 += 1
        continue
    if not lines[-1].startswith("421 4.7.0"):
        sys.exit("want 500 or 421 4.7.0, got %r" % lines)
    s.expect_eof()
    if not mx - 1 <= n500 <= mx:
        sys.exit("421 after %d errors, limit %d" % (n500, mx))
    print("ok: 421 after %d 500 replies" % n500)
    sys.exit(0)
sys.exit("no 421 after %d errors" % n500)
PY
}

atf_test_case maxerrors cleanup
maxerrors_head() {
	atf_set "descr" "too many errors end the session with 421 4.7.0:" \
	    "control/maxerrors 3, and the default 20"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
maxerrors_body() {
	start
	errors_until_421 20
	echo 3 > "$QPOST_CONTROL/maxerrors"
	errors_until_421 3
	qp_stop "$QP_DIR"
}
maxerrors_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case maxrcpt_default
	atf_add_test_case maxrcpt_control
	atf_add_test_case databytes
	atf_add_test_case minfree
	atf_add_test_case idle_timeout
	atf_add_test_case session_timeout
	atf_add_test_case maxerrors
}
