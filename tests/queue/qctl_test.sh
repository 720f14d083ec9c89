#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# qctl steers the queue through sched's control FIFO: each operation
# changes what qstat shows and what gets delivered.  hold keeps a
# message from delivery through a flush and a restart, release
# delivers it; delete removes it without a bounce; bounce sends the
# sender one; flush -d retries one domain only; a delete waits for a
# delivery under way.  Whatever else is written into the FIFO is
# logged and ignored.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../remote/remote.sh"	# rm_mode, rm_peers_stop

# instance - an instance whose retries wait an hour: nothing is tried
# again unless a test says so.
instance() {
	qp_instance "$PWD/inst"
	echo 3600 > "$QPOST_CONTROL/retrymin"
	echo 3600 > "$QPOST_CONTROL/retrymax"
}

# inject NAME SENDER RCPT... - qinject message qp_msg NAME; its queue id
# goes to ./NAME.id
inject() {
	_n=$1 _f=$2
	shift 2
	qp_msg "$_n" > "$_n.msg"
	QPOST_ID_FD=3 "$QPOST_LIBEXEC/qinject" -f "$_f" "$@" < "$_n.msg" \
	    3> "$_n.id" || atf_fail "qinject $_n failed"
	[ -s "$_n.id" ] || atf_fail "qinject reported no id for $_n"
}

# qid NAME - the queue id of message NAME.
qid() {
	cat "$1.id"
}

# qstat_line ID - qstat's message line for ID (empty if not queued).
qstat_line() {
	"$QPOST_LIBEXEC/qstat" | grep "^id=$1 " || true
}

# bob_broken - bob's home is a file: local deliveries to him defer.
bob_broken() {
	rm -rf "$QP_DIR/home/bob"
	touch "$QP_DIR/home/bob"
}

bob_fixed() {
	rm -f "$QP_DIR/home/bob"
	mkdir "$QP_DIR/home/bob"
}

atf_test_case hold_release cleanup
hold_release_head() {
	atf_set "descr" "a held message is not delivered by a flush or after" \
	    "a restart, and is delivered once released"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
hold_release_body() {
	instance
	bob_broken
	qp_start
	inject h1 alice@example.test bob@example.test
	inject h2 alice@example.test bob@example.test
	qp_wait_log "id=$(qid h1) to=<bob@example.test> result=defer try=1" 30
	qp_wait_log "id=$(qid h2) to=<bob@example.test> result=defer try=1" 30

	atf_check -o inline:"$(qid h1): held\n" "$QPOST_LIBEXEC/qctl" hold "$(qid h1)"
	qp_wait_log "ctl command=\"hold $(qid h1)\"" 10
	qp_wait_log "id=$(qid h1) ctl=hold held" 10
	qstat_line "$(qid h1)" | grep -q ' held=yes$' ||
	    atf_fail "qstat does not show $(qid h1) held"
	qstat_line "$(qid h2)" | grep -q ' held=no$' ||
	    atf_fail "qstat shows $(qid h2) held"
	grep -q 'H1:1,' "$QPOST_QUEUE/env/$(qid h1)" ||
	    atf_fail "the hold is not saved in the envelope"

	# held through a restart: the H field is read back
	qp_stop
	qp_start
	qstat_line "$(qid h1)" | grep -q ' held=yes$' ||
	    atf_fail "$(qid h1) is not held after a restart"

	# a flush delivers h2 and not h1
	bob_fixed
	atf_check -o inline:"flush: sent to sched\n" "$QPOST_LIBEXEC/qctl" flush
	qp_wait_log "id=$(qid h1) ctl=flush skipped: held" 10
	qp_wait_log "id=$(qid h2) ctl=flush rcpts=1" 10
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_log "id=$(qid h2) removed" 30
	[ "$(qp_maildir_grep_count "X-Test-Id: h1" "$QP_DIR/home/bob/Maildir/new")" -eq 0 ] ||
	    atf_fail "the held message was delivered"
	[ "$(grep -c "id=$(qid h1) job=[0-9]* start" "$QP_DIR/log")" -eq 1 ] ||
	    qp_fail "the held message was tried again"
	qstat_line "$(qid h1)" | grep -q ' held=yes$' ||
	    atf_fail "$(qid h1) left the queue or is no longer held"

	# released: delivered at once, not after the hour's wait
	atf_check -o inline:"$(qid h1): released\n" \
	    "$QPOST_LIBEXEC/qctl" release "$(qid h1)"
	qp_wait_log "id=$(qid h1) ctl=release rcpts=1" 10
	qp_wait_for 2 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	[ "$(qp_maildir_grep_count "X-Test-Id: h1" "$QP_DIR/home/bob/Maildir/new")" -eq 1 ] ||
	    atf_fail "the released message was not delivered once"
	[ -z "$(qstat_line "$(qid h1)")" ] || atf_fail "qstat still lists h1"
	qp_stop
}
hold_release_cleanup() {
	qp_stop
}

atf_test_case delete cleanup
delete_head() {
	atf_set "descr" "delete removes a deferred message, logs each" \
	    "recipient, and sends no bounce"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
delete_body() {
	instance
	# both queued before sched starts, so both are tried in its first
	# turn: injected later, d2 could wait for remote.test's backoff
	inject d1 bob@example.test x@remote.test y@remote.test
	inject d2 bob@example.test z@remote.test
	qp_start
	qp_wait_log "id=$(qid d1) to=<y@remote.test> result=defer try=1" 30
	qp_wait_log "id=$(qid d2) to=<z@remote.test> result=defer try=1" 30
	qp_wait_committed "$(qid d1)" 30
	qp_wait_committed "$(qid d2)" 30
	[ -n "$(qstat_line "$(qid d1)")" ] || atf_fail "qstat does not list d1"

	atf_check -o inline:"$(qid d1): deleted\n" \
	    "$QPOST_LIBEXEC/qctl" delete "$(qid d1)"
	for f in env mess; do
		[ ! -e "$QPOST_QUEUE/$f/$(qid d1)" ] ||
		    atf_fail "$f/$(qid d1) is still there"
	done
	grep -q "id=$(qid d1) to=<x@remote.test> result=deleted by=qctl" \
	    "$QP_DIR/log" || qp_fail "no log line for x@remote.test"
	grep -q "id=$(qid d1) to=<y@remote.test> result=deleted by=qctl" \
	    "$QP_DIR/log" || qp_fail "no log line for y@remote.test"
	grep -q "id=$(qid d1) ctl=delete rcpts=2" "$QP_DIR/log" ||
	    qp_fail "no ctl=delete line"
	[ -z "$(qstat_line "$(qid d1)")" ] || atf_fail "qstat still lists d1"
	[ -n "$(qstat_line "$(qid d2)")" ] || atf_fail "d2 went too"
	# no bounce: nothing was queued for bob, nothing reached him
	! grep -q "bounce queued for id=$(qid d1)" "$QP_DIR/log" ||
	    atf_fail "a bounce was queued for a deleted message"
	[ "$(qp_nfiles "$QP_DIR/home/bob/Maildir/new")" -eq 0 ] ||
	    atf_fail "bob got mail"
	# deleting it again: not in the queue any more
	atf_check -s exit:100 -e match:"no such message" \
	    "$QPOST_LIBEXEC/qctl" delete "$(qid d1)"
	qp_stop
}
delete_cleanup() {
	qp_stop
}

atf_test_case bounce cleanup
bounce_head() {
	atf_set "descr" "bounce fails every pending recipient now: the" \
	    "sender gets one bounce naming them, the message leaves the queue"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
bounce_body() {
	instance
	qp_start
	inject b1 bob@example.test far@remote.test alice@example.test
	qp_wait_log "id=$(qid b1) to=<far@remote.test> result=defer try=1" 30
	qp_wait_log "id=$(qid b1) to=<alice@example.test> result=ok" 30
	atf_check -o inline:"$(qid b1): bounced\n" \
	    "$QPOST_LIBEXEC/qctl" bounce "$(qid b1)"
	qp_wait_log "id=$(qid b1) to=<far@remote.test> result=bounce by=qctl" 10
	qp_wait_log "id=$(qid b1) ctl=bounce rcpts=1" 10
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	[ "$(qp_nfiles "$QP_DIR/home/bob/Maildir/new")" -eq 1 ] ||
	    atf_fail "bob got more than one bounce"
	f=$(ls "$QP_DIR"/home/bob/Maildir/new/*)
	grep -q "^Return-Path: <>" "$f" || atf_fail "the bounce has a sender"
	# whatever the bounce's form: the recipient, the reason and the
	# original's header are in its text, once decoded and unfolded
	/usr/bin/python3 - "$f" "far@remote.test" \
	    "returned by the queue administrator (qctl bounce)" \
	    "X-Test-Id: b1" <<'EOF' || atf_fail "the bounce lacks what it must say"
import email, email.policy, re, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                   policy=email.policy.default)
text = []
for part in m.walk():
    if part.get_content_type() in ("message/rfc822", "message/global"):
        text.append(part.as_string())	# the original, headers too
        continue
    if part.is_multipart():
        continue
    try:
        c = part.get_content()
    except Exception:
        c = None
    text.append(c if isinstance(c, str) else part.as_string())
flat = re.sub(r"\s+", " ", " ".join(text))
for want in sys.argv[2:]:
    if want not in flat:
        sys.exit("not in the bounce: " + want)
EOF
	[ -z "$(qstat_line "$(qid b1)")" ] || atf_fail "qstat still lists b1"
	qp_stop
}
bounce_cleanup() {
	qp_stop
}

atf_test_case flush_domain cleanup
flush_domain_head() {
	atf_set "descr" "flush -d retries that domain's recipients now and" \
	    "leaves every other domain waiting"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
flush_domain_body() {
	instance
	# both tried in sched's first turn, before b.test is backed off
	inject f1 bob@example.test x@a.test y@b.test
	inject f2 bob@example.test z@B.TEST
	qp_start
	qp_wait_log "id=$(qid f1) to=<x@a.test> result=defer try=1" 30
	qp_wait_log "id=$(qid f1) to=<y@b.test> result=defer try=1" 30
	qp_wait_log "id=$(qid f2) to=<z@B.TEST> result=defer try=1" 30
	atf_check -o inline:"flush b.test: sent to sched\n" \
	    "$QPOST_LIBEXEC/qctl" flush -d b.test
	qp_wait_log 'ctl command="flush b.test"' 10
	qp_wait_log "id=$(qid f2) to=<z@B.TEST> result=defer try=2" 30
	qp_wait_log "id=$(qid f1) to=<y@b.test> result=defer try=2" 30
	grep -q "id=$(qid f1) ctl=flush rcpts=1" "$QP_DIR/log" ||
	    qp_fail "no ctl=flush line for f1"
	! grep -q "start to=<x@a.test> via=remote try=2" "$QP_DIR/log" ||
	    qp_fail "a.test was retried by a flush of b.test"
	# what qstat shows: b.test tried twice, a.test once, waiting
	"$QPOST_LIBEXEC/qstat" "$(qid f1)" > f1.out
	grep -q '^  to=<x@a.test> state=pending tries=1 next=+' f1.out ||
	    atf_fail "x@a.test is not waiting after one try"
	grep -q '^  to=<y@b.test> state=pending tries=2 next=+' f1.out ||
	    atf_fail "y@b.test is not at its second try"
	# the uppercase domain on the command line means the same
	atf_check -o ignore "$QPOST_LIBEXEC/qctl" flush -d A.Test
	qp_wait_log "id=$(qid f1) to=<x@a.test> result=defer try=2" 30
	qp_stop
}
flush_domain_cleanup() {
	qp_stop
}

# stalling_instance - instance, with remote.test routed to tests/remote's
# test SMTP server in ./p, which stalls before its greeting: a delivery
# stays under way for the 5 s of control/timeoutremote.
stalling_instance() {
	instance
	PORT=$(qp_free_port 127.0.0.2)
	mkdir p && echo "$PWD/p" >> .rm_peers
	rm_mode p stall_greeting
	/usr/bin/python3 "$(qp_top)/tests/remote/hostile_peer.py" \
	    --listen "127.0.0.2:$PORT" --dir "$PWD/p" >> p/stderr 2>&1 &
	qp_deadline_loop 20 test -e p/ready ||
	    qp_fail "the test SMTP server did not start" p/stderr
	echo "remote.test:127.0.0.2:$PORT" > "$QPOST_CONTROL/smtproutes"
	echo 5 > "$QPOST_CONTROL/timeoutremote"
}

atf_test_case delete_running cleanup
delete_running_head() {
	atf_set "descr" "a delete while a delivery runs waits for its result," \
	    "then removes the message; a crash meanwhile would leave it held"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
delete_running_body() {
	stalling_instance
	qp_start
	inject r1 bob@example.test x@remote.test
	qp_wait_file_match p/log "stall greeting" 30
	"$QPOST_LIBEXEC/qctl" -n delete "$(qid r1)" > out ||
	    atf_fail "qctl -n delete failed"
	grep -q "^$(qid r1): delete sent to sched$" out ||
	    atf_fail "qctl -n does not say it only sent the command"
	qp_wait_log "id=$(qid r1) ctl=delete waiting running=1" 10
	grep -q 'H1:1,' "$QPOST_QUEUE/env/$(qid r1)" ||
	    atf_fail "the message waiting for its delete is not saved held"
	qp_wait_log "id=$(qid r1) to=<x@remote.test> result=defer try=1" 30
	qp_wait_log "id=$(qid r1) to=<x@remote.test> result=deleted by=qctl" 10
	qp_wait_queue_empty 10
	[ "$(qp_nfiles "$QP_DIR/home/bob/Maildir/new")" -eq 0 ] ||
	    atf_fail "bob got mail"
	qp_stop
}
delete_running_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case bounce_running cleanup
bounce_running_head() {
	atf_set "descr" "a bounce while a delivery runs fails the recipient" \
	    "when its result comes, unless delivered; one bounce is sent"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
bounce_running_body() {
	stalling_instance
	qp_start
	inject r2 bob@example.test x@remote.test
	qp_wait_file_match p/log "stall greeting" 30
	atf_check -o inline:"$(qid r2): bounced\n" \
	    "$QPOST_LIBEXEC/qctl" bounce "$(qid r2)"
	grep -q "id=$(qid r2) ctl=bounce rcpts=0 running=1" "$QP_DIR/log" ||
	    qp_fail "the bounce did not wait for the running delivery"
	grep -q "id=$(qid r2) to=<x@remote.test> result=defer try=1" \
	    "$QP_DIR/log" || qp_fail "qctl said bounced before the result came"
	grep -q "id=$(qid r2) ctl=bounce rcpts=1 running=0" "$QP_DIR/log" ||
	    qp_fail "the deferred recipient was not failed"
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	[ "$(qp_nfiles "$QP_DIR/home/bob/Maildir/new")" -eq 1 ] ||
	    atf_fail "bob did not get exactly one bounce"
	[ "$(grep -c "start to=<x@remote.test>" "$QP_DIR/log")" -eq 1 ] ||
	    qp_fail "the recipient was tried again after the bounce"
	qp_stop
}
bounce_running_cleanup() {
	qp_stop
	rm_peers_stop
}

# fifo_write FORMAT [ARG...] - one write(2) of what printf makes of
# FORMAT and ARGs into the FIFO.
fifo_write() {
	_fmt=$1
	shift
	printf "$_fmt" "$@" > fifo.in
	/usr/bin/python3 -c '
import os, sys
data = open(sys.argv[2], "rb").read()
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
assert os.write(fd, data) == len(data)
os.close(fd)' "$QPOST_QUEUE/ctl" fifo.in || atf_fail "cannot write the FIFO"
}

atf_test_case hostile_fifo cleanup
hostile_fifo_head() {
	atf_set "descr" "garbage, overlong, unfinished and unknown-id lines" \
	    "in the control FIFO are logged and ignored; sched goes on"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
hostile_fifo_body() {
	instance
	qp_start
	inject g1 bob@example.test x@remote.test
	qp_wait_log "id=$(qid g1) to=<x@remote.test> result=defer try=1" 30
	sched=$(head -n 1 "$QP_DIR/pids")

	# fourteen bad lines in one write: ten logged, then a count
	fifo_write '\033[31mred\nnul\000byte\nHOLD %s\nhold %s \nhold  %s\nhold %sx\nhold\nhold \nflush -d x\nflush bad..domain\nflush .a\n\ndelete ../../etc/passwd\nrelease 0123456789ABCDEF\n' \
	    "$(qid g1)" "$(qid g1)" "$(qid g1)" "$(qid g1)"
	qp_wait_log 'ctl: 4 more lines rejected' 10
	atf_check -o inline:"10\n" grep -c "ctl line rejected" "$QP_DIR/log"
	grep -q 'reason="bad domain" line="flush bad..domain"' "$QP_DIR/log" ||
	    qp_fail "the tenth line is not logged"
	grep -q 'line="\\033\[31mred"' "$QP_DIR/log" ||
	    qp_fail "the escape byte was not logged escaped"

	# a line of 5000 bytes, then one too long only with its newline
	long=$(head -c 5000 /dev/zero | tr '\0' 'x')
	fifo_write "hold $long\n"
	qp_wait_log 'reason="line too long" line="hold xxx' 10
	# no newline: dropped once the FIFO is empty, never glued to the next
	fifo_write "hold $(qid g1)"
	qp_wait_log 'reason="no newline' 10
	# an id that is well formed but not queued
	fifo_write 'bounce 0123456789abcdef\n'
	qp_wait_log 'id=0123456789abcdef ctl=bounce no such message: ignored' 10
	# a flood: 70000 bytes of short garbage lines, a few logged per turn
	head -c 35000 /dev/zero | tr '\0' '\n' | sed 's/^/?/' > flood
	/usr/bin/python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, open(sys.argv[2], "rb").read())
os.close(fd)' "$QPOST_QUEUE/ctl" flood || atf_fail "the flood failed"
	qp_wait_log 'more lines rejected' 10

	# none of it held the message; sched still runs and still obeys
	qstat_line "$(qid g1)" | grep -q ' held=no$' ||
	    atf_fail "garbage held the message"
	qp_alive "$sched" || atf_fail "sched died"
	atf_check -o inline:"$(qid g1): held\n" "$QPOST_LIBEXEC/qctl" hold "$(qid g1)"
	[ "$(wc -l < "$QP_DIR/log")" -lt 200 ] ||
	    qp_fail "the garbage flooded the log"
	qp_stop
}
hostile_fifo_cleanup() {
	qp_stop
}

atf_test_case fifo_checks cleanup
fifo_checks_head() {
	atf_set "descr" "sched makes a missing FIFO, tightens a loose one;" \
	    "qctl reports a stopped sched, bad ids and bad usage"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
fifo_checks_body() {
	instance
	rm "$QPOST_QUEUE/ctl"
	atf_check -s exit:111 -e match:"unable to open the control FIFO" \
	    "$QPOST_LIBEXEC/qctl" flush
	qp_start
	qp_wait_log "made the control FIFO" 10
	[ -p "$QPOST_QUEUE/ctl" ] || atf_fail "no FIFO made"
	atf_check -o inline:"600\n" stat -c %a "$QPOST_QUEUE/ctl"
	qp_stop
	atf_check -s exit:111 -e match:"sched is not running" \
	    "$QPOST_LIBEXEC/qctl" flush
	chmod 0622 "$QPOST_QUEUE/ctl"
	qp_start
	qp_wait_log "ctl was mode 622: made it 0600" 10
	atf_check -o inline:"600\n" stat -c %a "$QPOST_QUEUE/ctl"
	atf_check -o match:"^usage: qctl" "$QPOST_LIBEXEC/qctl" -h
	atf_check -s exit:100 -e match:"usage: qctl" "$QPOST_LIBEXEC/qctl"
	atf_check -s exit:100 -e match:"usage: qctl" "$QPOST_LIBEXEC/qctl" purge
	atf_check -s exit:100 -e match:"usage: qctl" "$QPOST_LIBEXEC/qctl" hold
	atf_check -s exit:100 -e match:"not a queue id" \
	    "$QPOST_LIBEXEC/qctl" hold ../x
	atf_check -s exit:100 -e match:"not a domain name" \
	    "$QPOST_LIBEXEC/qctl" flush -d 'a b'
	atf_check -s exit:100 -e match:"no such message" \
	    "$QPOST_LIBEXEC/qctl" release 0123456789abcdef
	qp_stop
}
fifo_checks_cleanup() {
	qp_stop
}

atf_test_case reload cleanup
reload_head() {
	atf_set "descr" "qctl reload makes sched read its control files as" \
	    "SIGHUP does: a shortened queue lifetime bounces a recipient" \
	    "whose next try was far away"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
reload_body() {
	qp_instance "$PWD/inst"
	echo 1000 > "$QPOST_CONTROL/retrymin"
	qp_start
	qp_msg r1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    someone@remote.test < m
	qp_wait_log "to=<someone@remote.test> result=defer try=1 next=+1[01][0-9][0-9] " 30
	echo 1 > "$QPOST_CONTROL/queuelifetime"
	atf_check -o inline:"reload: sent to sched\n" "$QPOST_LIBEXEC/qctl" reload
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	qp_stop
	grep -q 'ctl command="reload"' "$QP_DIR/log" ||
	    qp_fail "sched did not log the reload"
	grep -q "control files read again" "$QP_DIR/log" ||
	    qp_fail "sched did not read its files again"
	grep -q "to=<someone@remote.test> result=bounce expired .* try=1 " \
	    "$QP_DIR/log" || qp_fail "not expired after qctl reload"
	# reload takes no argument: refused before anything is sent
	atf_check -s exit:100 -e match:usage "$QPOST_LIBEXEC/qctl" reload now
}
reload_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case hold_release
	atf_add_test_case delete
	atf_add_test_case bounce
	atf_add_test_case flush_domain
	atf_add_test_case delete_running
	atf_add_test_case bounce_running
	atf_add_test_case hostile_fifo
	atf_add_test_case fifo_checks
	atf_add_test_case reload
}
