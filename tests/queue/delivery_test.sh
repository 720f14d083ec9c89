#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Local delivery through the whole group: aliases, unknown users,
# temporary failures retried, remote mail to a dead route deferring.

. "$(atf_get_srcdir)/../lib.sh"

atf_test_case alias_and_bounce cleanup
alias_and_bounce_head() {
	atf_set "descr" "postmaster reaches its alias; an unknown local user" \
	    "fails permanently and the sender gets a bounce naming it"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
alias_and_bounce_body() {
	qp_instance "$PWD/inst"
	qp_start
	qp_msg p1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    postmaster@example.test < m
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	atf_check -o match:"^Delivered-To: <alice@example.test>" \
	    -o match:"^Return-Path: <bob@example.test>" \
	    sh -c "cat '$QP_DIR'/home/alice/Maildir/new/*"

	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    nosuchuser@example.test < m
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	atf_check -o match:"^Return-Path: <>" \
	    -o match:"nosuchuser@example.test" \
	    -o match:"no mailbox here by that name" \
	    -o match:"X-Test-Id: p1" \
	    sh -c "cat '$QP_DIR'/home/bob/Maildir/new/*"
	qp_wait_queue_empty 30
}
alias_and_bounce_cleanup() {
	qp_stop
}

atf_test_case reuse cleanup
reuse_head() {
	atf_set "descr" "a finished message's queue files are kept in tmp/" \
	    "and written over by the next message, cut to its length" \
	    "once, before its writeback starts;" \
	    "a message file over 128 KiB is kept empty; a stopped queue's" \
	    "tmp/ is empty"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace"
	atf_set "timeout" "60"
}
reuse_body() {
	# the commit path, which pools envelopes too (sched_express.c)
	export QPOST_EXPRESS_MAX=0
	qp_instance "$PWD/inst"
	md=$QP_DIR/home/alice/Maildir
	q=$QPOST_QUEUE
	qp_start
	# a long message first, then a short one over its files
	{ qp_msg big; seq 1 20000; } > big
	qp_msg small > small
	atf_check "$QPOST_LIBEXEC/qinject" alice@example.test < big
	qp_wait_for 1 "$md/new" 30
	qp_wait_queue_empty 30
	# env/ goes first: pe.0, then pm.1
	atf_check -o inline:"pe.0\npm.1\n" ls "$q/tmp"
	mess=$(stat -c %i "$q/tmp/pm.1")
	env=$(stat -c %i "$q/tmp/pe.0")
	# sched's calls while it takes the short one in
	: > strace.err
	strace -p "$(head -n 1 "$QP_DIR/pids")" -o trace \
	    -e trace=ftruncate,sync_file_range,fsync 2>strace.err &
	st=$!
	qp_deadline_loop 10 grep -q attached strace.err ||
	    qp_fail "strace did not attach" strace.err
	atf_check "$QPOST_LIBEXEC/qinject" alice@example.test < small
	qp_wait_for 2 "$md/new" 30
	qp_wait_queue_empty 30
	kill "$st"
	wait "$st"
	# its message file is cut once, before its writeback starts: a cut
	# after would wait for that write and make the last block be
	# written twice.  "cuts, cuts after the start"
	atf_check -o inline:"1 0\n" awk -F'[(,]' '
	    $1 == "sync_file_range" { started[$2] = 1 }
	    $1 == "ftruncate" { cuts++; if (started[$2]) late++ }
	    $1 == "fsync" { started[$2] = 0 }
	    END { print cuts + 0, late + 0 }' trace
	atf_check -o inline:"pe.2\npm.3\n" ls "$q/tmp"
	atf_check -o inline:"$mess\n" stat -c %i "$q/tmp/pm.3"
	atf_check -o inline:"$env\n" stat -c %i "$q/tmp/pe.2"
	# the short message, whole and with nothing of the long one
	copy=$(grep -l "X-Test-Id: small" "$md"/new/*)
	qp_strip_added "$copy" > got
	atf_check cmp got small
	# too large to keep whole: its message file is kept empty
	{ qp_msg huge; seq 1 40000; } > huge
	atf_check "$QPOST_LIBEXEC/qinject" alice@example.test < huge
	qp_wait_for 3 "$md/new" 30
	qp_wait_queue_empty 30
	atf_check -o inline:"pe.4\npm.5\n" ls "$q/tmp"
	atf_check -o inline:"$mess 0\n" stat -c "%i %s" "$q/tmp/pm.5"
	qp_stop
	atf_check -o inline:"" ls "$q/tmp"
}
reuse_cleanup() {
	qp_stop
}

# burst N FILE - N copies of FILE queued at once, then delivered: with
# sched stopped they go into drop/, and alice's home is a plain file
# until all N are in mess/ (each delivery fails and waits for its
# retry), so that all are finished together and the pools get every
# file back
burst() {
	_b_i=0
	while [ $_b_i -lt "$1" ]; do
		"$QPOST_LIBEXEC/qinject" alice@example.test < "$2" ||
		    atf_fail "qinject failed"
		_b_i=$((_b_i + 1))
	done
	mv "$QP_DIR/home/alice" "$QP_DIR/home/alice.away"
	touch "$QP_DIR/home/alice"
	qp_start
	_b_n=$1
	_b_queued() {
		[ "$(ls "$QPOST_QUEUE/mess" | wc -l)" -eq "$_b_n" ]
	}
	qp_deadline_loop 60 _b_queued || atf_fail "$1 messages not queued"
	rm "$QP_DIR/home/alice"
	mv "$QP_DIR/home/alice.away" "$QP_DIR/home/alice"
	qp_wait_for "$1" "$QP_DIR/home/alice/Maildir/new" 120
	qp_wait_queue_empty 60
}

atf_test_case pool_bounds cleanup
pool_bounds_head() {
	atf_set "descr" "the pools keep the files of a burst of 300 messages," \
	    "and of 160 large ones, but no more than 16 MiB of each kind:" \
	    "what is over it is kept empty"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "300"
}
pool_bounds_body() {
	# 460 messages cost a minute of the sanitizer build's time, and its
	# pool code runs under ASan in express_test, forward_test, spare_test
	qp_plain_only "its bounds are counts and sizes, the same in both builds"
	# the commit path, which pools envelopes too (sched_express.c)
	export QPOST_EXPRESS_MAX=0
	qp_instance "$PWD/inst"
	echo 1 > "$QPOST_CONTROL/retrymin"
	echo 2 > "$QPOST_CONTROL/retrymax"
	q=$QPOST_QUEUE
	qp_msg small > small
	burst 300 small
	atf_check -o inline:"300\n" sh -c "ls '$q/tmp' | grep -c '^pm\.'"
	atf_check -o inline:"300\n" sh -c "ls '$q/tmp' | grep -c '^pe\.'"
	# a stop empties tmp/; then 160 message files of ~115 KiB, 18 MiB
	qp_stop
	[ -z "$(ls "$q/tmp")" ] || atf_fail "a stop left files in tmp/"
	rm -f "$QP_DIR"/home/alice/Maildir/new/*
	{ qp_msg large; seq 1 23000; } > large
	burst 160 large
	atf_check -o inline:"160\n" sh -c "ls '$q/tmp' | grep -c '^pe\.'"
	atf_check -o inline:"160\n" sh -c "ls '$q/tmp' | grep -c '^pm\.'"
	bytes=$(cat "$q"/tmp/pm.* | wc -c)
	[ "$bytes" -le $((16 * 1024 * 1024)) ] ||
	    atf_fail "the pool of message files holds $bytes bytes"
	whole=$(find "$q/tmp" -name 'pm.*' -size +100k | wc -l)
	empty=$(find "$q/tmp" -name 'pm.*' -empty | wc -l)
	[ "$whole" -gt 100 ] && [ $((whole + empty)) -eq 160 ] ||
	    atf_fail "$whole whole and $empty empty of 160 pooled files"
	# and an empty pooled file takes a new message whole
	echo 'one more' | "$QPOST_LIBEXEC/qinject" alice@example.test ||
	    atf_fail "qinject failed"
	qp_wait_for 161 "$QP_DIR/home/alice/Maildir/new" 60
	atf_check -o match:"^one more\$" -e empty sh -c \
	    "grep -h 'one more' '$QP_DIR'/home/alice/Maildir/new/*"
}
pool_bounds_cleanup() {
	qp_stop
}

atf_test_case retry cleanup
retry_head() {
	atf_set "descr" "a temporary local failure is retried and delivered" \
	    "exactly once when the cause is fixed"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
retry_body() {
	qp_instance "$PWD/inst"
	echo 1 > "$QPOST_CONTROL/retrymin"
	echo 2 > "$QPOST_CONTROL/retrymax"
	rm -rf "$QP_DIR/home/bob"
	touch "$QP_DIR/home/bob"	# a file where the home should be
	qp_start
	qp_msg r1 > m
	atf_check "$QPOST_LIBEXEC/qinject" bob@example.test < m
	qp_wait_log "to=<bob@example.test> result=defer try=2" 30
	rm "$QP_DIR/home/bob"
	mkdir "$QP_DIR/home/bob"
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	atf_check -o inline:"1\n" sh -c \
	    "ls '$QP_DIR'/home/bob/Maildir/new | wc -l | tr -d ' '"
}
retry_cleanup() {
	qp_stop
}

atf_test_case remote_expired cleanup
remote_expired_head() {
	atf_set "descr" "a remote recipient whose host refuses connections" \
	    "is deferred, and bounced when the queue lifetime has passed"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
remote_expired_body() {
	qp_instance "$PWD/inst"
	echo 1 > "$QPOST_CONTROL/retrymin"
	echo 3 > "$QPOST_CONTROL/queuelifetime"
	qp_start
	qp_msg x1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    someone@remote.test < m
	qp_wait_log "remote: .*to=<someone@remote.test> result=defer text=\"4.4.1 127.0.0.1\[127.0.0.1\]: connect: Connection refused" 30
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	atf_check -o match:"message expired in the queue" \
	    sh -c "cat '$QP_DIR'/home/bob/Maildir/new/*"
	qp_wait_queue_empty 30
}
remote_expired_cleanup() {
	qp_stop
}

atf_test_case soft_bounce cleanup
soft_bounce_head() {
	atf_set "descr" "with control/softbounce, a permanent failure waits" \
	    "in the queue (logged softbounce, no bounce); once it is" \
	    "removed and sched reloaded, the next attempt bounces"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
soft_bounce_body() {
	qp_instance "$PWD/inst"
	echo 1 > "$QPOST_CONTROL/softbounce"
	echo 1 > "$QPOST_CONTROL/retrymin"
	echo 1 > "$QPOST_CONTROL/retrymax"
	qp_start
	qp_msg sb > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    nosuchuser@example.test < m
	qp_wait_log "to=<nosuchuser@example.test> result=softbounce try=2 next=" 30
	grep -q "control/softbounce is on" "$QP_DIR/log" ||
	    qp_fail "sched did not warn of softbounce" "$QP_DIR/log"
	[ ! -d "$QP_DIR/home/bob/Maildir/new" ] ||
	    [ "$(qp_nfiles "$QP_DIR/home/bob/Maildir/new")" -eq 0 ] ||
	    atf_fail "a bounce was sent under softbounce"
	atf_check -o match:"nosuchuser@example.test" "$QPOST_LIBEXEC/qstat"
	echo 0 > "$QPOST_CONTROL/softbounce"
	qp_reload
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	atf_check -o match:"no mailbox here by that name" \
	    sh -c "cat '$QP_DIR'/home/bob/Maildir/new/*"
	qp_wait_queue_empty 30
}
soft_bounce_cleanup() {
	qp_stop
}

atf_test_case policy cleanup
policy_head() {
	atf_set "descr" "sched, lspawn, rspawn and local run under" \
	    "SCHED_BATCH; a policy the administrator chose is kept"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
policy_body() {
	qp_instance "$PWD/inst"
	qp_start
	sched=$(cat "$QP_DIR/start.pid")
	qp_expect_policy "$sched" 3
	for p in $(ps -o pid= --ppid "$sched"); do
		qp_expect_policy "$p" 3
	done
	# local's: a program delivery records its own shell's
	echo '|sed "s/.*) //" /proc/$$/stat | cut -d" " -f39 > '"$PWD/local.policy" \
	    > "$QP_DIR/home/alice/.qpost"
	qp_msg p1 > m
	atf_check "$QPOST_LIBEXEC/qinject" alice@example.test < m
	qp_deadline_loop 30 test -s local.policy ||
	    atf_fail "the program delivery did not run"
	atf_check -o inline:"3\n" cat local.policy
	qp_stop
	# started under SCHED_IDLE, the group stays there
	QP_START_WRAP="chrt --idle 0" qp_start
	qp_expect_policy "$(cat "$QP_DIR/start.pid")" 5
}
policy_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case alias_and_bounce
	atf_add_test_case reuse
	atf_add_test_case pool_bounds
	atf_add_test_case retry
	atf_add_test_case remote_expired
	atf_add_test_case soft_bounce
	atf_add_test_case policy
}
