#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# control/filter (queue/qinject_filter.c) and smtpd's queue runner
# (smtpd/smtpd_runner.c), with real programs: smtpd under tcpserver
# and smtplib, filters that are shell scripts (which could not run at
# all under smtpd's system-call filter before the runner), qinject run
# directly.  A filter that adds a header (it arrives, under the id the
# client was told), one that rejects (554 / exit 31), one that defers
# (451 / exit 71), one that is missing or crashes (451, one log line),
# one that queues twice (the second is refused: one id, one message);
# nothing is ever half-queued.  And the runner: smtpd is sandboxed, its
# runner is not; a runner that dies makes the message 451, unqueued.

. "$(atf_get_srcdir)/../lib.sh"

A=home/alice/Maildir/new

# filters - the test's filters in $PWD/f (qp_instance keeps paths to
# [A-Za-z0-9/._-]).
filters() {
	F=$PWD/f
	mkdir "$F"
	cat > "$F/add" <<'EOF'
#! /bin/sh
# a header from the arguments on top, then the message, into qinject
{ printf '%s %s\n' "$1" "$2"; cat; } | "$QPOST_QINJECT" -Q
EOF
	cat > "$F/reject" <<'EOF'
#! /bin/sh
cat > /dev/null
echo "reject: this message smells" >&2
exit 31
EOF
	cat > "$F/defer" <<'EOF'
#! /bin/sh
exit 71
EOF
	cat > "$F/crash" <<'EOF'
#! /bin/sh
ulimit -c 0
kill -SEGV $$
EOF
	cat > "$F/twice" <<'EOF'
#! /bin/sh
# queues a copy, then tries again: the second must be refused
cat > "$0.msg"
cat <&1 > "$0.env"
"$QPOST_QINJECT" -Q < "$0.msg" 1< "$0.env" || exit $?
"$QPOST_QINJECT" -Q < "$0.msg" 1< "$0.env"
echo "second=$?" > "$0.out"
exit 0
EOF
	cat > "$F/discard" <<'EOF'
#! /bin/sh
cat > /dev/null
exit 0
EOF
	chmod 755 "$F"/*
}

# use LINE - control/filter is LINE ("" removes it).
use() {
	if [ -z "$1" ]; then
		rm -f "$QPOST_CONTROL/filter"
	else
		echo "$1" > "$QPOST_CONTROL/filter"
	fi
}

# smtp_batch ID=FILTER... - in one session, for each ID: control/filter
# made FILTER ("" removes it), then one message (X-Test-Id ID) to alice;
# the end-of-data reply "CODE TEXT" goes into r.ID.
smtp_batch() {
	for _a in "$@"; do
		qp_msg "${_a%%=*}" > "m.${_a%%=*}"
	done
	/usr/bin/python3 - "$QP_SMTP_PORT" "$QPOST_CONTROL/filter" "$@" <<'PY'
import os, smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.ehlo("client.test")
for a in sys.argv[3:]:
    tid, line = a.split("=", 1)
    if line:
        open(sys.argv[2] + ".new", "w").write(line + "\n")
        os.rename(sys.argv[2] + ".new", sys.argv[2])
    elif os.path.exists(sys.argv[2]):
        os.unlink(sys.argv[2])
    msg = open("m." + tid, "rb").read().replace(b"\n", b"\r\n")
    s.mail("sender@example.test")
    s.rcpt("alice@example.test")
    try:
        code, text = s.data(msg)
    except smtplib.SMTPDataError as e:
        code, text = e.smtp_code, e.smtp_error
    open("r." + tid, "w").write("%d %s\n" % (code, text.decode()))
s.quit()
PY
}

# queue_clean - drop/, mess/, env/ and tmp/ hold nothing: no
# reservation, no half-written drop file, nothing queued left.
queue_clean() {
	qp_wait_queue_empty 30
	qp_queue_files > queue.left
	atf_check -o inline:"" cat queue.left
}

# delivered ID - the file delivered to alice with X-Test-Id ID.
delivered() {
	grep -l "^X-Test-Id: $1\$" "$QP_DIR"/$A/* 2>/dev/null
}

atf_test_case smtpd cleanup
smtpd_head() {
	atf_set "descr" "control/filter for mail from smtpd: a header" \
	    "added arrives under the id of the 250 reply; 554 for a" \
	    "rejection, 451 for a deferral, a missing or crashing filter" \
	    "(one log line); the queue runner: outside the sandbox, and a" \
	    "dead one gives 451; nothing half-queued"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "tcpserver"
	atf_set "timeout" "60"
}
smtpd_body() {
	qp_smtpd_instance "$PWD/inst"
	filters
	qp_start
	qp_smtpd_start
	log=$QP_DIR/smtpd.log

	smtp_batch "add=$F/add X-Filtered: yes" "rej=$F/reject" \
	    "def=$F/defer" "mis=$F/missing" "cra=$F/crash" \
	    "bro=relative/path" "off=" || atf_fail "the client failed"
	# a header added, under the id the client was told
	grep -q '^250 2.0.0 Ok: queued as [0-9a-f]\{16\}$' r.add ||
	    atf_fail "not queued: $(cat r.add)"
	id=$(sed 's/.* //' r.add)
	qp_wait_for 2 "$QP_DIR/$A" 30
	f=$(delivered add) || atf_fail "the filtered message did not arrive"
	grep -q '^X-Filtered: yes$' "$f" || atf_fail "no X-Filtered header"
	grep -q "id $id" "$f" || atf_fail "smtpd's Received names no $id"
	qp_wait_log "id=$id queued" 30
	# no filter: as ever
	grep -q '^250 ' r.off || atf_fail "without a filter: $(cat r.off)"
	grep -q '^X-Filtered' "$(delivered off)" && atf_fail "filtered twice"
	# rejected: 554, nothing queued
	grep -q '^554 5\.' r.rej || atf_fail "rejection: $(cat r.rej)"
	grep -q 'reject: this message smells' "$log" ||
	    atf_fail "the filter's words are not in the log"
	# deferred, missing, crashing, broken control/filter: 451
	for t in def mis cra bro; do
		grep -q '^451 4\.' r.$t || atf_fail "$t: $(cat r.$t)"
	done
	grep -q "unable to run the filter $F/missing (control/filter): No" \
	    "$log" || qp_fail "no log line for the missing filter" "$log"
	grep -q "the filter $F/crash was killed by signal 11" "$log" ||
	    qp_fail "no log line for the crash" "$log"
	queue_clean
	[ "$(qp_nfiles "$QP_DIR/$A")" -eq 2 ] ||
	    atf_fail "a refused message was delivered"

	# the runner: held session, smtpd sandboxed, its runner not
	/usr/bin/python3 - "$QP_SMTP_PORT" "$PWD/hold" <<'PY' &
import os, smtplib, sys, time
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.ehlo("client.test")
open(sys.argv[2] + ".ready", "w").close()
while not os.path.exists(sys.argv[2] + ".go"):
    time.sleep(0.05)
s.mail("sender@example.test")
s.rcpt("alice@example.test")
try:
    code, text = s.data(b"Subject: x\r\nX-Test-Id: dead\r\n\r\nx\r\n")
except smtplib.SMTPDataError as e:
    code, text = e.smtp_code, e.smtp_error
open(sys.argv[2] + ".out", "w").write("%d %s\n" % (code, text.decode()))
s.quit()
PY
	qp_deadline_loop 30 test -f hold.ready || atf_fail "no held session"
	tcps=$(cat "$QP_DIR/tcpserver.pid")
	sess=$(ps -o pid= --ppid "$tcps" | tr -d ' ')
	[ -n "$sess" ] || atf_fail "no smtpd session under tcpserver"
	runner=$(ps -o pid=,comm= --ppid "$sess" | awk '$2 == "smtpd-runner" {
	    print $1 }')
	[ -n "$runner" ] || atf_fail "no smtpd-runner child of smtpd $sess"
	atf_check -o inline:"1 2\n" awk '/^(NoNewPrivs|Seccomp):/ {
	    printf "%s%s", s, $2; s = " " } END { print "" }' \
	    "/proc/$sess/status"
	atf_check -o inline:"0 0\n" awk '/^(NoNewPrivs|Seccomp):/ {
	    printf "%s%s", s, $2; s = " " } END { print "" }' \
	    "/proc/$runner/status"
	# a dead runner: 451, nothing queued, a log line
	kill -KILL "$runner"
	touch hold.go
	wait
	grep -q '^451 4\.' hold.out || atf_fail "dead runner: $(cat hold.out)"
	grep -q 'the queue runner has gone away' "$log" ||
	    qp_fail "no log line for the dead runner" "$log"
	queue_clean
	[ -z "$(delivered dead)" ] || atf_fail "queued without a runner"
}
smtpd_cleanup() {
	qp_stop
}

atf_test_case qinject cleanup
qinject_head() {
	atf_set "descr" "control/filter for qinject run directly: a header" \
	    "added arrives; a rejection is exit 31, a deferral 71, a" \
	    "missing filter 55 with one line; a filter that queues twice" \
	    "gets one message; one that discards queues nothing; and" \
	    "sendmail"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
qinject_body() {
	qp_instance "$PWD/inst"
	filters
	qp_start
	qi=$QPOST_LIBEXEC/qinject

	use "$F/add X-Filtered: direct"
	qp_msg q1 > m1
	atf_check "$qi" alice@example.test < m1
	qp_wait_for 1 "$QP_DIR/$A" 30
	grep -q '^X-Filtered: direct$' "$(delivered q1)" ||
	    atf_fail "no X-Filtered header"

	qp_msg q2 > m2
	use "$F/reject"
	atf_check -s exit:31 -e match:"reject: this message smells" \
	    -e match:"refused the message" "$qi" alice@example.test < m2
	# sendmail: its sysexits code and the words
	atf_check -s exit:77 -e match:"refused the message" \
	    -e match:"the message was not sent" \
	    "$QPOST_LIBEXEC/sendmail" alice@example.test < m2
	use "$F/add X-Filtered: sendmail"
	qp_msg q4 > m4
	atf_check "$QPOST_LIBEXEC/sendmail" alice@example.test < m4
	use "$F/defer"
	atf_check -s exit:71 -e match:"deferred the message" \
	    "$qi" alice@example.test < m2
	use "$F/missing"
	atf_check -s exit:55 -e save:mis.err "$qi" alice@example.test < m2
	[ "$(wc -l < mis.err)" -eq 1 ] || atf_fail "not one line: $(cat mis.err)"
	grep -q "unable to run the filter $F/missing" mis.err ||
	    atf_fail "not the line: $(cat mis.err)"
	use "$F/discard"
	atf_check -e match:"without queueing the message: discarded" \
	    "$qi" alice@example.test < m2
	# one id, one message: the filter's second qinject is refused
	use "$F/twice"
	qp_msg q3 > m3
	atf_check -e match:"is not waiting for its filter" \
	    "$qi" alice@example.test < m3
	atf_check -o inline:"second=71\n" cat "$F/twice.out"
	# QPOST_FILTERED that names no message: refused, nothing queued
	use ""
	atf_check -s exit:71 -e match:"is not waiting for its filter" \
	    env QPOST_FILTERED=0123456789abcdef "$qi" alice@example.test < m2
	atf_check -s exit:71 -e match:"is not a message id" \
	    env QPOST_FILTERED=../x "$qi" alice@example.test < m2
	qp_wait_for 3 "$QP_DIR/$A" 30
	queue_clean
	[ "$(qp_nfiles "$QP_DIR/$A")" -eq 3 ] ||
	    atf_fail "$(qp_nfiles "$QP_DIR/$A") delivered, not 3"
	[ -z "$(delivered q2)" ] || atf_fail "a refused message arrived"
	grep -q '^X-Filtered: sendmail$' "$(delivered q4)" ||
	    atf_fail "sendmail's message was not filtered"
}
qinject_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case smtpd
	atf_add_test_case qinject
}
