#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Messages delivered before their commit (queue/sched_express.c): while
# the delivery runs, the drop file is the message's durable copy and no
# envelope exists; the drop file goes once every recipient is done, or
# once the message is committed after all (a deferral, EXPRESS_AGE
# seconds), and then only after the commit's syncs; sched syncs nothing
# for a message delivered at once; and SIGKILL meanwhile loses nothing.

. "$(atf_get_srcdir)/../lib.sh"

# gated_instance - an instance where a delivery to alice runs a program
# that waits at the FIFO ./gate, then writes the message into ./out/.
gated_instance() {
	qp_instance "$PWD/inst"
	mkfifo gate
	mkdir out
	echo "|read x < $PWD/gate; cat > $PWD/out/got.\$\$" \
	    > "$QP_DIR/home/alice/.qpost"
}

# open_gate - let the deliveries waiting at ./gate go on.
open_gate() {
	echo go > gate
}

# inject NAME - qinject qp_msg NAME to alice; its queue id into ID.
inject() {
	qp_msg "$1" > "$1.msg"
	QPOST_ID_FD=3 "$QPOST_LIBEXEC/qinject" alice@example.test \
	    < "$1.msg" 3> "$1.id" || atf_fail "qinject $1 failed"
	ID=$(cat "$1.id")
}

# wait_started - until a delivery of message ID to alice runs.
wait_started() {
	qp_wait_log "id=$ID job=[0-9]* start to=<alice@example.test>" 10
}

# one_copy DIR MSG - DIR holds exactly one file, MSG as delivered.
one_copy() {
	[ "$(qp_nfiles "$1")" -eq 1 ] ||
	    atf_fail "$1 holds $(qp_nfiles "$1") copies, not one"
	qp_strip_added "$1"/* > copy
	cmp -s copy "$2" || atf_fail "the copy in $1 differs from $2"
}

# queue_clean - nothing of any message left in the queue.
queue_clean() {
	[ -z "$(qp_queue_files)" ] ||
	    atf_fail "left in the queue: $(qp_queue_files | tr '\n' ' ')"
}

atf_test_case in_flight cleanup
in_flight_head() {
	atf_set "descr" "while a new message is delivered its drop file stays" \
	    "and it has no envelope; once delivered, both drop file and" \
	    "message file are gone"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
in_flight_body() {
	gated_instance
	qp_start
	inject m1
	wait_started
	q=$QPOST_QUEUE
	[ -f "$q/drop/$ID" ] ||
	    atf_fail "the drop file went before the delivery ended"
	[ ! -e "$q/env/$ID" ] ||
	    atf_fail "an envelope was written for a message delivered at once"
	[ -f "$q/mess/$ID" ] || atf_fail "no message file to deliver from"
	open_gate
	qp_wait_log "id=$ID removed" 10
	queue_clean
	one_copy out m1.msg
}
in_flight_cleanup() {
	qp_stop
}

atf_test_case no_sync cleanup
no_sync_head() {
	atf_set "descr" "sched makes no fsync for messages delivered at once," \
	    "and writes no envelope for them"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace"
	atf_set "timeout" "60"
}
no_sync_body() {
	qp_instance "$PWD/inst"
	qp_start
	: > strace.err
	strace -p "$(head -n 1 "$QP_DIR/pids")" -o trace \
	    -e trace=fsync,fdatasync,sync_file_range,syncfs,openat \
	    2>strace.err &
	echo $! > strace.pid
	qp_deadline_loop 10 grep -q attached strace.err ||
	    qp_fail "strace did not attach" strace.err
	for i in 1 2 3 4 5; do
		inject "m$i"
	done
	qp_wait_for 5 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_queue_empty 10
	kill "$(cat strace.pid)"
	wait "$(cat strace.pid)"
	grep -q "\"$ID\"" trace || atf_fail "strace saw nothing of sched"
	! grep -E '^(fsync|fdatasync|sync_file_range|syncfs)\(' trace ||
	    atf_fail "sched synced files for messages delivered at once"
	! grep -q '"e\.' trace ||
	    atf_fail "sched wrote an envelope for a message delivered at once"
	queue_clean
}
no_sync_cleanup() {
	[ -f strace.pid ] && kill "$(cat strace.pid)" 2>/dev/null
	qp_stop
}

atf_test_case defer cleanup
defer_head() {
	atf_set "descr" "a deferred message is committed (its message file" \
	    "synced, mess/ synced, its envelope synced and renamed, env/" \
	    "synced) before its drop file goes, then retried and delivered" \
	    "once"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace /usr/bin/python3"
	atf_set "timeout" "90"
}
defer_body() {
	qp_instance "$PWD/inst"
	echo 1 > "$QPOST_CONTROL/retrymin"
	echo 2 > "$QPOST_CONTROL/retrymax"
	echo '|exit 111' > "$QP_DIR/home/alice/.qpost"
	# only sched is traced (no -f), from its start: every descriptor
	# it opens is named in the trace
	QP_START_WRAP="env ASAN_OPTIONS=detect_leaks=0 strace -o trace \
	    -e trace=openat,fsync,renameat,renameat2,unlinkat" qp_start
	inject m1
	qp_wait_log "id=$ID to=<alice@example.test> result=defer try=1" 10
	q=$QPOST_QUEUE
	qp_deadline_loop 10 test ! -e "$q/drop/$ID" ||
	    atf_fail "the drop file stayed after the commit"
	[ -f "$q/env/$ID" ] && [ -f "$q/mess/$ID" ] ||
	    atf_fail "the deferred message is not committed"
	rm "$QP_DIR/home/alice/.qpost"
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_queue_empty 10
	one_copy "$QP_DIR/home/alice/Maildir/new" m1.msg
	qp_stop
	atf_check -o inline:"ok\n" /usr/bin/python3 - trace "$ID" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
mid = sys.argv[2]
names = {}                          # fd -> what it was opened as, last
ev = []
for call in lines:
    m = re.match(r'openat\((\w+), "([^"]+)", .*\)\s+= (\d+)$', call)
    if m:
        names[m.group(3)] = m.group(2)
        continue
    m = re.match(r'fsync\((\d+)\)', call)
    if m:
        ev.append("fsync " + names.get(m.group(1), "?"))
        continue
    if re.match(r'renameat2?\(\d+, "p?e\.\w+", \d+, "%s"' % mid, call):
        ev.append("env in place")
    if re.match(r'unlinkat\(\d+, "%s", 0\)\s+= 0' % mid, call) or \
       re.match(r'renameat2\(\d+, "%s", \d+, "\d+\.\d+", '
                r'RENAME_NOREPLACE\)\s+= 0' % mid, call):
        ev.append("drop file gone")
        break
want = ["fsync " + mid, "fsync mess", "fsync e." + mid, "env in place",
        "fsync env", "drop file gone"]
# the first of each, in order; the envelope's file is written under
# its tmp/ name or a pooled one (pe.N)
ev = ["fsync e." + mid if re.match(r'fsync (pe\.\d+|e\.%s)$' % mid, e)
      else e for e in ev]
pos = [ev.index(w) if w in ev else -1 for w in want]
print("ok" if -1 not in pos and pos == sorted(pos) else ev)
PY
}
defer_cleanup() {
	qp_stop
}

atf_test_case commit_fault cleanup
commit_fault_head() {
	atf_set "descr" "a deferred message whose commit fails (EIO on the" \
	    "fsync of its message file) keeps its drop file, logs the" \
	    "failure, and is delivered once when the fault is gone"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace"
	atf_set "timeout" "90"
}
commit_fault_body() {
	. "$(atf_get_srcdir)/faults.sh"
	qp_instance "$PWD/inst"
	echo 1 > "$QPOST_CONTROL/retrymin"
	echo 2 > "$QPOST_CONTROL/retrymax"
	echo '|exit 111' > "$QP_DIR/home/alice/.qpost"
	qp_start
	fi_attach "fsync:error=EIO:when=1" trace
	inject m1
	qp_wait_log "sched: .*id=$ID unable to sync mess/$ID: " 10
	fi_detach
	q=$QPOST_QUEUE
	[ -f "$q/drop/$ID" ] || atf_fail "the drop file went though the" \
	    "commit failed"
	rm "$QP_DIR/home/alice/.qpost"
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_queue_empty 10
	one_copy "$QP_DIR/home/alice/Maildir/new" m1.msg
}
commit_fault_cleanup() {
	. "$(atf_get_srcdir)/faults.sh"
	fi_detach
	qp_stop
}

atf_test_case aged cleanup
aged_head() {
	atf_set "descr" "a delivery that runs for EXPRESS_AGE (5 s) gets its" \
	    "message committed meanwhile and its drop file removed; it then" \
	    "ends as any other"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
aged_body() {
	gated_instance
	qp_start
	inject m1
	wait_started
	q=$QPOST_QUEUE
	qp_deadline_loop 15 test -f "$q/env/$ID" ||
	    atf_fail "not committed while its delivery ran for 15 s"
	qp_deadline_loop 5 test ! -e "$q/drop/$ID" ||
	    atf_fail "the drop file stayed after the commit"
	"$QPOST_LIBEXEC/qstat" | grep -q "^id=$ID " ||
	    atf_fail "qstat does not list the committed message"
	[ "$(qp_nfiles out)" -eq 0 ] || atf_fail "delivered before the gate"
	open_gate
	qp_wait_log "id=$ID removed" 10
	queue_clean
	one_copy out m1.msg
}
aged_cleanup() {
	qp_stop
}

atf_test_case recovery_pass cleanup
recovery_pass_head() {
	atf_set "descr" "recovery's pass over mess/, after a start with a" \
	    "queue to load, leaves alone the message file of a message" \
	    "delivered before its commit (it has no envelope)"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/bin/python3"
	atf_set "timeout" "90"
}
recovery_pass_body() {
	gated_instance
	# loaded 500 a turn: the message below is taken in the first turn,
	# and the pass over mess/ comes to its file turns later
	/usr/bin/python3 "$(atf_get_srcdir)/mkqueue.py" --queue \
	    "$QPOST_QUEUE" --count 2000 --rcpt "u{n}@dead.test" --next 3600 \
	    > /dev/null || atf_fail "mkqueue.py failed"
	inject m1
	qp_start
	wait_started
	qp_wait_log "recovery: mess/ checked orphans=0" 30
	[ -f "$QPOST_QUEUE/mess/$ID" ] ||
	    atf_fail "recovery removed the message file of a delivery"
	open_gate
	qp_wait_log "id=$ID removed" 10
	one_copy out m1.msg
}
recovery_pass_cleanup() {
	qp_stop
}

atf_test_case kill_commit cleanup
kill_commit_head() {
	atf_set "descr" "sched killed once a bouncing message is committed," \
	    "before its drop file goes: the next sched removes the drop" \
	    "file as already queued, and exactly one bounce arrives"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
kill_commit_body() {
	qp_instance "$PWD/inst"
	QPOST_TEST_KILL_AT=express-committed
	export QPOST_TEST_KILL_AT
	qp_start
	unset QPOST_TEST_KILL_AT
	qp_msg k1 > k1.msg
	QPOST_ID_FD=3 "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    nosuchuser@example.test < k1.msg 3> k1.id ||
	    atf_fail "qinject failed"
	ID=$(cat k1.id)
	qp_wait_log "test: killed at express-committed" 10
	qp_kill_sched
	q=$QPOST_QUEUE
	[ -f "$q/env/$ID" ] && [ -f "$q/drop/$ID" ] ||
	    atf_fail "not both committed and in drop/ at the kill"
	qp_start
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	qp_stop
	[ "$(qp_nfiles "$QP_DIR/home/bob/Maildir/new")" -eq 1 ] ||
	    atf_fail "$(qp_nfiles "$QP_DIR/home/bob/Maildir/new") bounces"
	[ "$(grep -c "id=$ID job=[0-9]* start" "$QP_DIR/log")" -eq 1 ] ||
	    atf_fail "the message was delivered again after the restart"
	grep -q "id=$ID drop file was already queued: removed" "$QP_DIR/log" ||
	    atf_fail "the drop file was not removed as already queued"
}
kill_commit_cleanup() {
	qp_stop
}

atf_test_case kill_sched cleanup
kill_sched_head() {
	atf_set "descr" "SIGKILL to sched while a message is delivered before" \
	    "its commit: the next sched removes the orphan message file," \
	    "takes the drop file again, and delivers it"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
kill_sched_body() {
	gated_instance
	qp_start
	inject m1
	wait_started
	qp_kill_sched
	qp_start
	qp_wait_log "recovery: removed mess/$ID, which no envelope names" 10
	qp_wait_file_match "$QP_DIR/log" \
	    "id=$ID job=[0-9]* start to=<alice@example.test> via=local try=1" 10
	[ "$(grep -c "id=$ID job=[0-9]* start" "$QP_DIR/log")" -eq 2 ] ||
	    atf_fail "the message was not taken up again"
	open_gate
	qp_wait_log "id=$ID removed" 10
	queue_clean
	# at least once: the first delivery may have ended too, but each
	# copy is whole
	[ "$(qp_nfiles out)" -ge 1 ] || atf_fail "the message was lost"
	for f in out/*; do
		qp_strip_added "$f" > copy
		cmp -s copy m1.msg || atf_fail "$f is not the whole message"
	done
}
kill_sched_cleanup() {
	qp_stop
}

atf_test_case kill_delivered cleanup
kill_delivered_head() {
	atf_set "descr" "SIGKILL to sched after a message delivered before" \
	    "its commit reached alice's Maildir, before sched recorded it:" \
	    "the next sched delivers it again, local finds the first copy" \
	    "by its name, and alice has one"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
kill_delivered_body() {
	qp_instance "$PWD/inst"
	# injected while no sched runs, its drop file then made 100 s
	# older: a pickup that stamped the message with its own time, not
	# the drop file's, would name the second copy unlike the first
	inject d1
	touch -d "@$(($(date +%s) - 100))" "$QPOST_QUEUE/drop/$ID" ||
	    atf_fail "cannot date the drop file"
	QPOST_TEST_KILL_AT=results-unsettled
	export QPOST_TEST_KILL_AT
	qp_start
	unset QPOST_TEST_KILL_AT
	qp_wait_log "test: killed at results-unsettled" 10
	qp_kill_sched
	[ -f "$QPOST_QUEUE/drop/$ID" ] && [ ! -f "$QPOST_QUEUE/env/$ID" ] ||
	    atf_fail "not delivered before its commit: the test shows nothing"
	one_copy "$QP_DIR/home/alice/Maildir/new" d1.msg
	qp_start
	qp_wait_log "id=$ID removed" 10
	qp_stop
	[ "$(grep -c "id=$ID job=[0-9]* start" "$QP_DIR/log")" -eq 2 ] ||
	    atf_fail "the message was not delivered again after the restart"
	one_copy "$QP_DIR/home/alice/Maildir/new" d1.msg
	queue_clean
}
kill_delivered_cleanup() {
	qp_stop
}

atf_test_case kill_delivered_pooled cleanup
kill_delivered_pooled_head() {
	atf_set "descr" "as kill_delivered, with the message written over" \
	    "the longer file of a message delivered before it (tmp/pm.N," \
	    "sched_pool.c): cutting that file to the message's length must" \
	    "not give the message the time of its pickup"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
kill_delivered_pooled_body() {
	qp_instance "$PWD/inst"
	# pooled files longer than the message
	qp_start_pooled bob
	# with sched stopped, injected and its drop file made 100 s older
	sched=$(cat "$QP_DIR/start.pid")
	kill -STOP "$sched"
	inject d2
	touch -d "@$(($(date +%s) - 100))" "$QPOST_QUEUE/drop/$ID" ||
	    { kill -CONT "$sched"; atf_fail "cannot date the drop file"; }
	touch armed
	kill -CONT "$sched"
	qp_wait_log "test: killed at results-unsettled" 10
	rm armed
	qp_kill_sched
	[ -f "$QPOST_QUEUE/drop/$ID" ] && [ ! -f "$QPOST_QUEUE/env/$ID" ] ||
	    atf_fail "not delivered before its commit: the test shows nothing"
	one_copy "$QP_DIR/home/alice/Maildir/new" d2.msg
	qp_start
	qp_wait_log "id=$ID removed" 10
	qp_stop
	[ "$(grep -c "id=$ID job=[0-9]* start" "$QP_DIR/log")" -eq 2 ] ||
	    atf_fail "the message was not delivered again after the restart"
	one_copy "$QP_DIR/home/alice/Maildir/new" d2.msg
}
kill_delivered_pooled_cleanup() {
	[ -f inst/start.pid ] && kill -CONT "$(cat inst/start.pid)" 2>/dev/null
	qp_stop
}

# one_read_copy DIR MSG - the copy is still the one in DIR/cur, found
# by the delivery made again, and none was added to DIR/new
one_read_copy() {
	[ "$(qp_nfiles "$1/new")" -eq 0 ] ||
	    atf_fail "a second copy in $1/new"
	one_copy "$1/cur" "$2"
	grep -q "id=$ID delivered to=<alice@example.test> .*file=cur/.*:2,S found=yes" \
	    "$QP_DIR/log" || atf_fail "local did not log the copy found in cur/"
}

# kill_then_read NAME IN OUT - sched killed after local delivered
# message NAME and before its record, with the message in queue folder
# IN and not in OUT (drop and env: delivered before its commit; env and
# drop: after it); the copy read (moved to cur/), sched run again
# until the message is removed
kill_then_read() {
	QPOST_TEST_KILL_AT=results-unsettled
	export QPOST_TEST_KILL_AT
	qp_start
	unset QPOST_TEST_KILL_AT
	inject "$1"
	qp_wait_log "test: killed at results-unsettled" 10
	qp_kill_sched
	[ -f "$QPOST_QUEUE/$2/$ID" ] && [ ! -f "$QPOST_QUEUE/$3/$ID" ] ||
	    atf_fail "not in $2/ and out of $3/: the test shows nothing"
	grep -q "id=$ID job=[0-9]* start .*again=maybe" "$QP_DIR/log" &&
	    atf_fail "a first delivery said it may repeat one"
	qp_read_by_client "$QP_DIR/home/alice/Maildir"
	qp_start
	qp_wait_log "id=$ID removed" 10
	qp_stop
}

atf_test_case kill_delivered_read cleanup
kill_delivered_read_head() {
	atf_set "descr" "as kill_delivered, with the copy moved to cur/ by" \
	    "a mail reader before the restart: the delivery made again" \
	    "finds it there, and alice still has one"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
kill_delivered_read_body() {
	qp_instance "$PWD/inst"
	kill_then_read d3 drop env
	grep -q "id=$ID job=[0-9]* start .*try=1 again=maybe" "$QP_DIR/log" ||
	    atf_fail "the delivery after the restart was not made again"
	one_read_copy "$QP_DIR/home/alice/Maildir" d3.msg
	queue_clean
}
kill_delivered_read_cleanup() {
	qp_stop
}

atf_test_case kill_committed_read cleanup
kill_committed_read_head() {
	atf_set "descr" "a message committed before its delivery, sched" \
	    "killed after the delivery and before its record, the copy" \
	    "moved to cur/: the message loaded from env/ at the restart is" \
	    "delivered again, finds the copy in cur/, and alice has one"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
kill_committed_read_body() {
	qp_instance "$PWD/inst"
	# nothing delivered before its commit
	QPOST_EXPRESS_MAX=0
	export QPOST_EXPRESS_MAX
	kill_then_read d4 env drop
	one_read_copy "$QP_DIR/home/alice/Maildir" d4.msg
	queue_clean
}
kill_committed_read_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case in_flight
	atf_add_test_case no_sync
	atf_add_test_case defer
	atf_add_test_case commit_fault
	atf_add_test_case aged
	atf_add_test_case recovery_pass
	atf_add_test_case kill_commit
	atf_add_test_case kill_sched
	atf_add_test_case kill_delivered
	atf_add_test_case kill_delivered_pooled
	atf_add_test_case kill_delivered_read
	atf_add_test_case kill_committed_read
}
