#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# rspawn and remote inside a running instance: sched hands remote
# recipients to rspawn, which runs remote and passes its results back.
# A server that fails temporarily and then turns good gets the message
# exactly once; a remote that crashes or lies leaves its recipients
# deferred, never delivered or bounced by mistake; rspawn keeps to
# control/concurrencyremote.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/remote.sh"

# instance MODE - an instance whose mail for remote.test goes to peer
# "p" (in MODE) on 127.0.0.2, retrying every second or two.
instance() {
	qp_instance "$PWD/inst"
	PORT=$(qp_free_port 127.0.0.2)
	rm_peer_start p 127.0.0.2 "$PORT"
	rm_mode p "$1"
	echo "remote.test:127.0.0.2:$PORT" > "$QPOST_CONTROL/smtproutes"
	echo 2 > "$QPOST_CONTROL/timeoutremote"
	echo 1 > "$QPOST_CONTROL/retrymin"
	echo 2 > "$QPOST_CONTROL/retrymax"
}

# exactly_once FIRSTMODE - the peer fails in FIRSTMODE, then turns
# good: the message arrives exactly once and leaves the queue.
exactly_once() {
	instance "$1"
	qp_start
	qp_msg 1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f alice@example.test \
	    x@remote.test y@remote.test < m
	qp_wait_log "remote: .*to=<x@remote.test>[^ ]* result=defer" 30
	rm_mode p good
	qp_wait_queue_empty 60
	[ "$(rm_mails p)" -eq 1 ] ||
	    qp_fail "the peer got $(rm_mails p) copies, want 1"
	[ "$(grep -c '^RCPT TO:' p/mail/*.env)" -eq 2 ] ||
	    atf_fail "both recipients should be in the one copy"
	qp_strip_added p/mail/*.eml | cmp -s - m ||
	    atf_fail "the delivered message differs from the injected one"
	qp_stop
}

atf_test_case defer_then_deliver cleanup
defer_then_deliver_head() {
	atf_set "descr" "451 after DATA, then good: delivered exactly once"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
defer_then_deliver_body() {
	exactly_once data_4xx
}
defer_then_deliver_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case reset_then_deliver cleanup
reset_then_deliver_head() {
	atf_set "descr" "connection reset in DATA, then good: delivered exactly once"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
reset_then_deliver_body() {
	exactly_once reset_in_data
}
reset_then_deliver_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case bounce cleanup
bounce_head() {
	atf_set "descr" "550 to a recipient: the sender gets a bounce naming the server's reply"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
bounce_body() {
	instance rcpt_mixed
	qp_start
	qp_msg 1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f alice@example.test \
	    perm1@remote.test ok@remote.test < m
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 60
	grep -q "said: 550" "$QP_DIR"/home/alice/Maildir/new/* ||
	    atf_fail "the bounce does not quote the server's reply"
	qp_wait_queue_empty 60
	[ "$(rm_mails p)" -eq 1 ] || atf_fail "ok@ did not get its copy"
	qp_stop
}
bounce_cleanup() {
	qp_stop
	rm_peers_stop
}

# fake_libexec SCRIPT - ./libexec holding the instance's programs with
# `remote' replaced by SCRIPT (sh text); QPOST_LIBEXEC points there.
fake_libexec() {
	mkdir libexec
	for p in "$QPOST_LIBEXEC"/*; do
		ln -s "$p" "libexec/${p##*/}"
	done
	rm libexec/remote
	{ echo '#! /bin/sh'; echo "$1"; } > libexec/remote
	chmod 0755 libexec/remote
	QPOST_LIBEXEC=$PWD/libexec
}

atf_test_case bad_remote cleanup
bad_remote_head() {
	atf_set "descr" "a remote that crashes or writes garbage: the recipients are deferred, nothing else"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
bad_remote_body() {
	instance good
	fake_libexec 'cat >/dev/null; echo "7:garbage," ; exit 0'
	qp_start
	qp_msg 1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f alice@example.test \
	    x@remote.test < m
	qp_wait_log "rspawn: .*remote exited 0 without a valid result" 30
	qp_wait_log "to=<x@remote.test> result=defer" 30
	printf '#! /bin/sh\nkill -SEGV $$\n' > r && chmod 0755 r &&
	    mv r libexec/remote
	qp_wait_log "rspawn: .*remote was killed by signal 11" 30
	# sched commits the deferred message a moment after the log line
	qp_wait_for 1 "$QPOST_QUEUE/env" 30
	[ ! -d "$QP_DIR/home/alice/Maildir/new" ] ||
	    [ "$(ls "$QP_DIR/home/alice/Maildir/new" | wc -l)" -eq 0 ] ||
	    atf_fail "a bounce was sent for a deferral"
	qp_stop
}
bad_remote_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case result_before_exit cleanup
result_before_exit_head() {
	atf_set "descr" "rspawn passes a remote's result on once remote" \
	    "closes its pipe, without waiting for it to exit; a crash after" \
	    "the result is logged and changes nothing"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
result_before_exit_body() {
	instance good
	# a whole result for one recipient, then fd 1 closed, then 60 s of
	# life: longer than the wait for the result below
	ok="printf '17:S1:K,T8:2.0.0 ok,,'; exec 1>&-"
	fake_libexec "cat >/dev/null; $ok; echo \$\$ > $PWD/remote.pid
exec sleep 60"
	qp_start
	qp_msg 1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f alice@example.test \
	    x@remote.test < m
	qp_wait_log "sched: .*to=<x@remote.test> result=ok" 30
	kill -0 "$(cat remote.pid)" ||
	    atf_fail "remote has exited: the test shows nothing"
	qp_wait_queue_empty 30
	printf '#! /bin/sh\ncat >/dev/null; %s; kill -SEGV $$\n' "$ok" > r &&
	    chmod 0755 r && mv r libexec/remote
	atf_check "$QPOST_LIBEXEC/qinject" -f alice@example.test \
	    y@remote.test < m
	qp_wait_log "rspawn: .*remote was killed by signal 11 after its result" 30
	qp_wait_log "sched: .*to=<y@remote.test> result=ok" 30
	qp_wait_queue_empty 30
	qp_stop
	! grep -q "killed by signal 15" "$QP_DIR/log" ||
	    qp_fail "rspawn logged the SIGTERM it sent as sched stopped"
}
result_before_exit_cleanup() {
	[ -f remote.pid ] && kill -KILL "$(cat remote.pid)" 2>/dev/null
	qp_stop
	rm_peers_stop
}

atf_test_case result_before_quit cleanup
result_before_quit_head() {
	atf_set "descr" "a delivery is recorded as soon as the peer has" \
	    "answered the end of data, not after QUIT: a peer slow to answer" \
	    "QUIT does not widen the window in which a crash of sched," \
	    "rspawn or remote makes a copy again"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
result_before_quit_body() {
	instance stall_quit
	# remote waits 60 s for the answer to QUIT: longer than the waits
	echo 60 > "$QPOST_CONTROL/timeoutremote"
	qp_start
	qp_msg 1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f alice@example.test \
	    x@remote.test < m
	qp_wait_log "sched: .*to=<x@remote.test> result=ok" 30
	qp_wait_file_match p/log "quit stall" 30
	! grep -q " close " p/log ||
	    qp_fail "remote ended its session before the result" p/log
	qp_wait_queue_empty 30
	[ "$(rm_mails p)" -eq 1 ] ||
	    qp_fail "the peer got $(rm_mails p) copies, want 1"
	qp_stop
}
result_before_quit_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case spawner_death cleanup
spawner_death_head() {
	atf_set "descr" "lspawn dies while a remote result waits in rspawn's" \
	    "pipe: sched takes and records that result before it exits for" \
	    "the restart, so the delivery is not made again"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
spawner_death_body() {
	instance good
	mkfifo gate
	# remote waits at the gate, then writes a whole result
	fake_libexec "cat >/dev/null; echo \$\$ > $PWD/remote.pid
read x < $PWD/gate; printf '17:S1:K,T8:2.0.0 ok,,'; exec 1>&-
exec sleep 60"
	qp_start
	sched=$(cat "$QP_DIR/start.pid")
	lspawn=$(ps -o pid=,comm= --ppid "$sched" | awk '$2 == "lspawn" {
	    print $1 }')
	[ -n "$lspawn" ] || atf_fail "no lspawn under sched"
	qp_msg 1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f alice@example.test \
	    x@remote.test < m
	qp_wait_file_match remote.pid . 30
	# with sched stopped, the result comes into its pipe from rspawn,
	# and lspawn's pipe ends: sched sees both in the same turn
	kill -STOP "$sched"
	echo go > gate
	_result_waits() {
		/usr/bin/python3 -c 'import fcntl, struct, sys, termios
fd = open(sys.argv[1], "rb", buffering=0)
n = fcntl.ioctl(fd, termios.FIONREAD, struct.pack("i", 0))
sys.exit(0 if struct.unpack("i", n)[0] > 0 else 1)' "/proc/$sched/fd/6"
	}
	qp_deadline_loop 30 _result_waits ||
	    { kill -CONT "$sched"; atf_fail "rspawn passed no result on"; }
	kill -KILL "$lspawn"
	_lspawn_gone() { ! qp_alive "$lspawn"; }
	qp_deadline_loop 10 _lspawn_gone ||
	    { kill -CONT "$sched"; atf_fail "lspawn did not die"; }
	kill -CONT "$sched"
	qp_wait_log "sched: .*lspawn went away" 30
	qp_kill_sched
	grep -q "sched: .*to=<x@remote.test> result=ok" "$QP_DIR/log" ||
	    qp_fail "sched did not take the result waiting for it"
	[ -z "$(qp_queue_files)" ] ||
	    atf_fail "left in the queue, to be delivered again:" \
	    "$(qp_queue_files | tr '\n' ' ')"
}
spawner_death_cleanup() {
	[ -f remote.pid ] && kill -KILL "$(cat remote.pid)" 2>/dev/null
	[ -f inst/start.pid ] && kill -CONT "$(cat inst/start.pid)" 2>/dev/null
	qp_stop
	rm_peers_stop
}

atf_test_case concurrency cleanup
concurrency_head() {
	atf_set "descr" "no more than control/concurrencyremote remotes run at once"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
concurrency_body() {
	instance good
	echo 2 > "$QPOST_CONTROL/concurrencyremote"
	# each fake remote holds a slot for a while and records the most
	# that ever ran together, then delivers nothing (defers)
	fake_libexec "d=$PWD/running; mkdir -p \"\$d\"; : > \"\$d/\$\$\"
n=\$(ls \"\$d\" | wc -l); echo \$n >> $PWD/counts
sleep 0.5; rm \"\$d/\$\$\"; exit 111"
	qp_start
	qp_msg 1 > m
	for i in 1 2 3 4 5 6; do
		"$QPOST_LIBEXEC/qinject" -f alice@example.test "x$i@d$i.remote.test" < m ||
		    atf_fail "qinject failed"
	done
	_six() { [ "$(wc -l < counts 2>/dev/null || echo 0)" -ge 6 ]; }
	qp_deadline_loop 60 _six || qp_fail "the remotes did not all run"
	max=$(sort -n counts | tail -1)
	[ "$max" -le 2 ] || atf_fail "$max remotes ran at once, limit 2"
	qp_stop
}
concurrency_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case dead_memory cleanup
dead_memory_head() {
	atf_set "descr" "rspawn remembers an address that timed out: the retry skips it instead of waiting again"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
dead_memory_body() {
	instance stall_greeting
	qp_start
	qp_msg 1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f alice@example.test \
	    x@remote.test < m
	qp_wait_log "remote: .*ip=127.0.0.2 .*result=defer text=\"4.4.2 .*greeting" 30
	qp_wait_log "remote: .*ip=127.0.0.2 skipped: it timed out recently" 30
	qp_wait_log "sched: .*to=<x@remote.test> result=defer try=[0-9]* next=+[0-9]* text=\"4.4.1 every host for remote.test timed out recently" 30
	[ "$(grep -c ' connect ' p/log)" -eq 1 ] ||
	    qp_fail "the dead address was connected to again" p/log
	qp_stop
}
dead_memory_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case orphan cleanup
orphan_head() {
	atf_set "descr" "a remote whose rspawn dies is stopped with it" \
	    "(SIGTERM): its result would have no reader, and a delivery it" \
	    "finished would be made again by the next rspawn"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
orphan_body() {
	instance good
	fake_libexec "echo \$\$ > $PWD/remote.pid; exec sleep 50"
	qp_start
	qp_msg 1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f alice@example.test \
	    x@remote.test < m
	qp_wait_file_match remote.pid . 30
	qp_kill_spawner rspawn remote.pid
	qp_stop
}
orphan_cleanup() {
	[ -f remote.pid ] && kill -KILL "$(cat remote.pid)" 2>/dev/null
	qp_stop
	rm_peers_stop
}

atf_init_test_cases() {
	atf_add_test_case orphan
	atf_add_test_case defer_then_deliver
	atf_add_test_case reset_then_deliver
	atf_add_test_case bounce
	atf_add_test_case bad_remote
	atf_add_test_case result_before_exit
	atf_add_test_case result_before_quit
	atf_add_test_case spawner_death
	atf_add_test_case concurrency
	atf_add_test_case dead_memory
}
