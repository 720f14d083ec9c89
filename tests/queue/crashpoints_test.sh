#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Crash points (RELIABILITY.md 1.2 queue_crashpoints, 3 (a')): qinject
# and sched killed with SIGKILL at the Nth write, pwrite, fsync, rename,
# link or unlink, for every N that one message's whole cycle makes
# (strace --inject=...:signal=KILL:when=N; strace counts each call per
# process), each followed by the audit: restart, drain, then I1 (exit 0
# => delivered), I3 (intact), I4 (nothing refused delivered) and I5 (no
# partial file, a clean queue).  durability_test kills sched at random
# moments; this walks every point of one cycle instead.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/faults.sh"

# the kinds of call a crash point can be, one system call each: strace
# counts the calls of each system call apart (when=N is the Nth
# renameat, not the Nth of rename, renameat and renameat2 together)
CP_KINDS="write pwrite64 fsync fdatasync rename renameat renameat2
link linkat unlink unlinkat"

# cp_count TRACE CALL PID - how many calls of the syscall CALL the
# process PID (or, for "", the only one) made in TRACE.
cp_count() {
	/usr/bin/python3 - "$1" "$2" "$3" <<'EOF'
import re, sys
pat = re.compile(r"^(?:(\d+)\s+)?(%s)\(" % re.escape(sys.argv[2]))
n = 0
for line in open(sys.argv[1]):
    m = pat.match(line)
    if m and (not sys.argv[3] or m.group(1) == sys.argv[3]):
        n += 1
print(n)
EOF
}

# cp_kill_sched KIND N TRACE INJECT MSG - the running sched killed by
# strace at its Nth call of KIND while INJECT (a function) injects MSG;
# returns once sched is dead (its spawners finish what runs).
cp_kill_sched() {
	fi_attach "$1:signal=KILL:when=$2" "$3"
	"$4" "$5" || atf_fail "$1 #$2: qinject failed"
	_cp_sched=$(head -n 1 "$QP_DIR/pids")
	_cp_dead() { ! qp_alive "$_cp_sched"; }
	qp_deadline_loop 20 _cp_dead ||
	    qp_fail "$1 #$2: sched was not killed"
	fi_detach
}

# cp_walk TRACE FN - FN KIND N for every crash point of the probe's
# TRACE: the Nth call of KIND, for each N it made.
cp_walk() {
	for _cp_kind in $CP_KINDS; do
		_cp_count=$(cp_count "$1" "$_cp_kind" "")
		echo "$_cp_kind: $_cp_count calls"
		_cp_n=1
		while [ "$_cp_n" -le "$_cp_count" ]; do
			"$2" "$_cp_kind" "$_cp_n"
			_cp_n=$((_cp_n + 1))
		done
	done
}

# qinject_point KIND N - qinject_body's crash point: qinject killed at
# its Nth call of KIND, its message sorted into accepted or refused by
# what is in drop/, and the next qinject must work.
qinject_point() {
	kind=$1 n=$2
	points=$((points + 1))
	id=k$points
	sed "s/probe/$id/" m > "sent/$id"
	ls -A "$drop" > before
	QPOST_ID_FD=3 $FI_STRACE -o "trace.$id" \
	    -e inject="$kind:signal=KILL:when=$n" \
	    "$QPOST_LIBEXEC/qinject" alice@example.test \
	    < "sent/$id" 3>qid 2>err
	rc=$?
	grep -q "killed by SIGKILL" "trace.$id" ||
	    atf_fail "$kind #$n: no kill (exit $rc)"
	[ "$rc" -ne 0 ] || atf_fail "$kind #$n: exit 0 after a kill"
	ls -A "$drop" > after
	qid=$(head -n 1 qid)
	# visible => complete: it is delivered and audited
	# below; an uncommitted one must never be delivered
	if [ -n "$qid" ] && grep -qx "$qid" after; then
		echo "$id" >> accepted
		committed=$((committed + 1))
	else
		echo "$id" >> refused
	fi
	comm -13 before after | grep -v -e '\.tmp$' \
	    -e "^${qid:-none}\$" && atf_fail "$kind #$n:" \
	    "an unexpected file in drop/"
	# the next try works
	sed "s/probe/n$points/" m > "sent/n$points"
	atf_check "$QPOST_LIBEXEC/qinject" alice@example.test \
	    < "sent/n$points"
	echo "n$points" >> accepted
}

atf_test_case qinject cleanup
qinject_head() {
	atf_set "descr" "qinject killed at each of its writes, fsyncs," \
	    "renames, links and unlinks in turn: a committed drop file is" \
	    "whole and delivered, an uncommitted one never seen nor" \
	    "delivered, the next qinject works, and sched's cleanup leaves" \
	    "a clean queue"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace /usr/bin/python3"
	atf_set "timeout" "120"
}
qinject_body() {
	qp_instance "$PWD/inst"
	drop=$QPOST_QUEUE/drop
	mkdir sent
	: > accepted
	: > refused
	# a message of a few 64 kB buffers, so there are several writes
	qp_msg probe > m
	/usr/bin/python3 -c '
for i in range(4000):
    print("line %05d of the crash-point message, long enough" % i)' >> m
	atf_check -e ignore $FI_STRACE -o probe.trace -e inject=fsync:delay_enter=1 \
	    "$QPOST_LIBEXEC/qinject" alice@example.test < m
	rm -f "$drop"/*
	points=0
	committed=0
	cp_walk probe.trace qinject_point
	echo "crash points: $points, committed when killed: $committed"
	[ "$points" -ge 5 ] || atf_fail "only $points crash points"
	# restart (the first start of sched here), drain, clean up
	QPOST_CLEANUP_AGE=0 qp_start
	qp_wait_for "$(wc -l < accepted)" "$QP_DIR/home/alice/Maildir/new" 60
	qp_wait_queue_empty 30
	atf_check -o match:"duplicates=0 missing=0 corrupt=0 phantom=0 maildir_tmp=0" \
	    "$(qp_top)/tests/audit.py" --sent sent --accepted accepted \
	    --refused refused --maildir "$QP_DIR/home/alice/Maildir"
	qp_stop
	atf_check -o inline:"" find "$QPOST_QUEUE/drop" "$QPOST_QUEUE/mess" \
	    "$QPOST_QUEUE/env" "$QPOST_QUEUE/tmp" -mindepth 1
}
qinject_cleanup() {
	qp_stop
}

# sched_point KIND N - sched_body's crash point: sched killed at its Nth
# call of KIND during a message's cycle, restarted, drained and audited.
sched_point() {
	kind=$1 n=$2
	points=$((points + 1))
	id=c$points
	qp_msg "$id" > "sent/$id"
	cp_kill_sched "$kind" "$n" "trace.$id" fi_inject "sent/$id"
	echo "$id" >> accepted
	grep -q "killed by SIGKILL" "trace.$id" ||
	    atf_fail "$kind #$n: strace did not kill sched"
	# the delivery window: the request to lspawn went out (fd 3)
	# and the drop file, the message's one durable copy while it is
	# delivered before its commit (sched_express.c), was not yet
	# gone (into spare/, or removed)
	if grep -q '^write(3, ' "trace.$id" && ! grep -qE \
	    '^(renameat2\(.*RENAME_NOREPLACE|unlinkat\([0-9]+, "[0-9a-f]{16}", 0)\).* = 0$' \
	    "trace.$id"
	then
		dups=$((dups + 1))
	fi
	# the spawners finish what runs, and exit
	qp_kill_sched
	qp_start
	qp_wait_queue_empty 30
	qp_wait_for "$(wc -l < accepted)" "$md/new" 30
	atf_check -o save:audit.out \
	    "$(qp_top)/tests/audit.py" --sent sent \
	    --accepted accepted --maildir "$md" \
	    --max-dups "$dups"
}

atf_test_case sched cleanup
sched_head() {
	atf_set "descr" "sched killed at each write, fsync, rename, link and" \
	    "unlink of one message's cycle (pickup from drop/, delivery," \
	    "removal of env/ and mess/) in turn, restarted and drained each" \
	    "time: the message delivered, intact, twice only when the kill" \
	    "fell in its delivery window, and a clean queue"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace /usr/bin/python3"
	atf_set "timeout" "300"
}
sched_body() {
	qp_instance "$PWD/inst"
	md=$QP_DIR/home/alice/Maildir
	mkdir sent
	: > accepted
	# one cycle without a kill: how many calls of each kind
	qp_start
	qp_msg probe > sent/probe
	fi_attach fsync:delay_enter=1 probe.trace
	fi_inject sent/probe || atf_fail "qinject failed"
	echo probe >> accepted
	qp_wait_for 1 "$md/new" 30
	qp_wait_queue_empty 30
	qp_wait_log "sched: id=$FI_ID removed" 10
	fi_detach
	points=0
	dups=0
	cp_walk probe.trace sched_point
	cat audit.out
	echo "crash points: $points, in the delivery window: $dups"
	[ "$points" -ge 10 ] || atf_fail "only $points crash points"
	qp_stop
	qp_queue_clean
}
sched_cleanup() {
	. "$(atf_get_srcdir)/faults.sh"
	fi_detach
	qp_stop
}

# bounce_point KIND N - sched_bounce_body's crash point: sched killed at
# its Nth call of KIND during a bouncing message's cycle, restarted and
# drained.
bounce_point() {
	kind=$1 n=$2
	points=$((points + 1))
	qp_msg "b$points" > "sent/b$points"
	cp_kill_sched "$kind" "$n" "trace.$points" bounce_inject \
	    "sent/b$points"
	qp_kill_sched
	qp_start
	qp_wait_for "$points" "$md/new" 30
	qp_wait_queue_empty 30
}

atf_test_case sched_bounce cleanup
sched_bounce_head() {
	atf_set "descr" "sched killed at each write, fsync, rename, link and" \
	    "unlink of the cycle of a message that bounces (pickup, the" \
	    "failed delivery, the commit, the bounce, its delivery) in turn," \
	    "restarted and drained each time: exactly one bounce for each" \
	    "message (a bounce may be delivered twice), and a clean queue"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace /usr/bin/python3"
	atf_set "timeout" "300"
}
# bounce_inject MSG - qinject MSG from bob to a user who does not exist
bounce_inject() {
	"$QPOST_LIBEXEC/qinject" -f bob@example.test nosuchuser@example.test \
	    < "$1"
}
sched_bounce_body() {
	qp_instance "$PWD/inst"
	md=$QP_DIR/home/bob/Maildir
	mkdir sent
	# one cycle without a kill: how many calls of each kind
	qp_start
	fi_attach fsync:delay_enter=1 probe.trace
	qp_msg probe > sent/probe
	bounce_inject sent/probe || atf_fail "qinject failed"
	qp_wait_for 1 "$md/new" 30
	qp_wait_queue_empty 30
	fi_detach
	points=1
	cp_walk probe.trace bounce_point
	qp_stop
	for f in "$md"/new/*; do
		/usr/bin/python3 "$(atf_get_srcdir)/dsn_check.py" "$f" --ident \
		    --action failed --whole \
		    --rcpt nosuchuser@example.test=5.1.1 >> idents ||
		    qp_fail "a bounce does not parse: $f"
	done
	echo "crash points: $((points - 1)), bounces: $(wc -l < idents)"
	# one bounce (by Message-ID) for each message, and each message
	# bounced: a repeated delivery of a bounce repeats its Message-ID
	atf_check -o inline:"$points\n" sh -c \
	    "awk '{ print \$2 }' idents | sort -u | wc -l | tr -d ' '"
	atf_check -o inline:"$points\n" sh -c "sort -u idents | wc -l | tr -d ' '"
	qp_queue_clean
}
sched_bounce_cleanup() {
	. "$(atf_get_srcdir)/faults.sh"
	fi_detach
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case qinject
	atf_add_test_case sched
	atf_add_test_case sched_bounce
}
