#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# lspawn's workers (qpost-lspawn(8), Workers): deliveries of one uid
# made by the children of one `local -W' instead of an exec of local
# each, a hundred by each child, with nothing carried from one to the
# next, and a child killed failing only its delivery; none with
# control/localworkers 0; a worker that dies fails only what it had not
# reported, temporarily, and stops its children; an idle one is let go;
# one whose lspawn dies goes with it.

. "$(atf_get_srcdir)/../lib.sh"

# worker_starts - how many workers lspawn has started
worker_starts() {
	grep -c 'lspawn: worker=[0-9]* uid=[0-9]* start$' "$QP_DIR/log"
}

# worker_pid - the pid of the one worker lspawn has started
worker_pid() {
	sed -n 's/.*lspawn: worker=\([0-9]*\) uid=[0-9]* start$/\1/p' \
	    "$QP_DIR/log" | tail -n 1
}

# inject N ADDR - N messages to ADDR, one after another
inject() {
	_i=0
	while [ $_i -lt "$1" ]; do
		qp_msg "w$_i" > m
		"$QPOST_LIBEXEC/qinject" "$2" < m ||
		    atf_fail "qinject failed for message $_i"
		_i=$((_i + 1))
	done
}

# delivery_waits - an instance whose delivery to alice runs a program
# that writes its pid into ./prog.pid and waits; one message to her,
# delivered until the program runs
delivery_waits() {
	qp_instance "$PWD/inst"
	echo "|echo \$\$ > $PWD/prog.pid; exec sleep 50" \
	    > "$QP_DIR/home/alice/.qpost"
	qp_start
	inject 1 alice@example.test
	qp_wait_file_match prog.pid . 30
}

# bob_delivered STARTS WHY - alice's program gone, one message to bob
# is delivered, and lspawn has started STARTS workers in all (WHY if not)
bob_delivered() {
	rm "$QP_DIR/home/alice/.qpost"
	inject 1 bob@example.test
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	[ "$(worker_starts)" = "$1" ] || qp_fail "$2" "$QP_DIR/log"
	qp_stop
}

atf_test_case serves cleanup
serves_head() {
	atf_set "descr" "deliveries to two mailboxes of one uid are all" \
	    "made by one worker, a local -W child of lspawn that stays" \
	    "for the next"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
serves_body() {
	qp_instance "$PWD/inst"
	qp_start
	inject 6 alice@example.test
	inject 4 bob@example.test
	qp_wait_for 6 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_for 4 "$QP_DIR/home/bob/Maildir/new" 30
	[ "$(grep -c 'result=ok' "$QP_DIR/log")" -ge 10 ] ||
	    qp_fail "not ten deliveries logged ok" "$QP_DIR/log"
	[ "$(worker_starts)" = 1 ] ||
	    qp_fail "ten deliveries of one uid started $(worker_starts)" \
	    "workers, not one" "$QP_DIR/log"
	w=$(worker_pid)
	qp_alive "$w" || atf_fail "the worker is gone after its deliveries"
	atf_check -o inline:"local\0-W\0" cat "/proc/$w/cmdline"
	lspawn=$(sed 's/.*) [A-Z] \([0-9]*\) .*/\1/' "/proc/$w/stat")
	atf_check -o inline:"lspawn\n" cat "/proc/$lspawn/comm"
	# the next delivery goes to the same worker
	inject 1 alice@example.test
	qp_wait_for 7 "$QP_DIR/home/alice/Maildir/new" 30
	[ "$(worker_starts)" = 1 ] ||
	    qp_fail "a second worker for the same uid" "$QP_DIR/log"
	qp_stop
	# at sched's end lspawn lets it go
	qp_deadline_loop 10 sh -c "! kill -0 $w 2>/dev/null" ||
	    atf_fail "the worker outlived lspawn's end"
}
serves_cleanup() {
	qp_stop
}

atf_test_case off cleanup
off_head() {
	atf_set "descr" "control/localworkers 0: local is run for each" \
	    "delivery and no worker is started"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
off_body() {
	qp_instance "$PWD/inst"
	echo 0 > "$QPOST_CONTROL/localworkers"
	qp_start
	inject 3 alice@example.test
	qp_wait_for 3 "$QP_DIR/home/alice/Maildir/new" 30
	[ "$(worker_starts)" = 0 ] ||
	    qp_fail "a worker was started with localworkers 0" "$QP_DIR/log"
	qp_stop
}
off_cleanup() {
	qp_stop
}

atf_test_case killed cleanup
killed_head() {
	atf_set "descr" "a worker killed during a delivery: that delivery" \
	    "fails temporarily with a text that says so, its program is" \
	    "stopped, and the next delivery gets a new worker"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
killed_body() {
	delivery_waits
	w=$(worker_pid)
	[ -n "$w" ] || qp_fail "no worker started" "$QP_DIR/log"
	kill -KILL "$w"
	qp_wait_log "result=defer text=\"4.3.0 local's worker ended before it reported the delivery\"" 30
	prog=$(cat prog.pid)
	qp_deadline_loop 10 sh -c "! kill -0 $prog 2>/dev/null" ||
	    atf_fail "the program outlived its worker"
	qp_wait_log "worker=$w uid=[0-9]* killed by signal 9" 10
	bob_delivered 2 "no new worker after the first was killed"
}
killed_cleanup() {
	[ -f prog.pid ] && kill -KILL "$(cat prog.pid)" 2>/dev/null
	qp_stop
}

atf_test_case idle cleanup
idle_head() {
	atf_set "descr" "a worker idle for 10 seconds is let go: it ends" \
	    "with status 0, and lspawn logs what it served"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
idle_body() {
	qp_instance "$PWD/inst"
	qp_start
	inject 2 alice@example.test
	qp_wait_for 2 "$QP_DIR/home/alice/Maildir/new" 30
	w=$(worker_pid)
	qp_wait_log "worker=$w uid=[0-9]* end served=2$" 30
	qp_deadline_loop 5 sh -c "! kill -0 $w 2>/dev/null" ||
	    atf_fail "the worker lspawn let go still runs"
	qp_stop
}
idle_cleanup() {
	qp_stop
}

atf_test_case orphan cleanup
orphan_head() {
	atf_set "descr" "a worker whose lspawn dies gets SIGTERM and ends," \
	    "and so does the delivery it was making"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
orphan_body() {
	delivery_waits
	worker_pid > worker.pid
	qp_kill_spawner lspawn worker.pid
	prog=$(cat prog.pid)
	qp_deadline_loop 10 sh -c "! kill -0 $prog 2>/dev/null" ||
	    atf_fail "the program outlived the worker"
	qp_stop
}
orphan_cleanup() {
	[ -f prog.pid ] && kill -KILL "$(cat prog.pid)" 2>/dev/null
	qp_stop
}

# one_at_a_time - an instance whose local deliveries run one at a time,
# so that one child of the worker makes them all; alice's .qpost writes
# the pid of the process that runs her program (local's) into
# ./parents, then delivers to her Maildir
one_at_a_time() {
	qp_instance "$PWD/inst"
	echo 1 > "$QPOST_CONTROL/concurrencylocal"
	printf '|echo $PPID >> %s/parents\n./Maildir/\n' "$PWD" \
	    > "$QP_DIR/home/alice/.qpost"
	qp_start
}

atf_test_case children cleanup
children_head() {
	atf_set "descr" "a worker's child makes one delivery after another" \
	    "(a hundred at most, then the worker starts another): the" \
	    "worker forks per hundred deliveries, not per delivery"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "180"
}
children_body() {
	one_at_a_time
	inject 101 alice@example.test
	qp_wait_for 101 "$QP_DIR/home/alice/Maildir/new" 120
	[ "$(wc -l < parents)" = 101 ] ||
	    qp_fail "not 101 program runs" parents
	w=$(worker_pid)
	[ "$(sort -u parents | wc -l)" = 2 ] ||
	    qp_fail "101 deliveries made by $(sort -u parents | wc -l)" \
	    "processes, not 2" parents
	first=$(head -n 1 parents)
	[ "$(grep -c -x "$first" parents)" = 100 ] ||
	    qp_fail "the first child did not make 100 deliveries" parents
	[ "$first" != "$w" ] || atf_fail "the worker delivered itself"
	[ "$(worker_starts)" = 1 ] ||
	    qp_fail "more than one worker" "$QP_DIR/log"
	qp_stop
}
children_cleanup() {
	qp_stop
}

atf_test_case child_state cleanup
child_state_head() {
	atf_set "descr" "what one delivery sets up does not reach the next" \
	    "one that the same child makes: bob's forward to alice is not" \
	    "made again when alice's own mail follows"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
child_state_body() {
	one_at_a_time
	echo "|echo \$PPID >> $PWD/parents" > "$QP_DIR/home/bob/.qpost"
	echo "&alice@example.test" >> "$QP_DIR/home/bob/.qpost"
	inject 1 bob@example.test
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_queue_empty 30
	inject 1 alice@example.test
	qp_wait_for 2 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_queue_empty 30
	[ "$(wc -l < parents)" = 3 ] && [ "$(sort -u parents | wc -l)" = 1 ] ||
	    qp_fail "not three deliveries by one child" parents
	qp_stop
	[ "$(qp_nfiles "$QP_DIR/home/alice/Maildir/new")" = 2 ] ||
	    atf_fail "bob's forward was made again for alice's own mail"
	[ "$(qp_nfiles "$QP_DIR/home/bob/Maildir/new")" = 0 ] ||
	    atf_fail "mail landed in bob's Maildir"
}
child_state_cleanup() {
	qp_stop
}

atf_test_case child_killed cleanup
child_killed_head() {
	atf_set "descr" "a worker's child killed during a delivery: that" \
	    "delivery fails temporarily, the worker stays and its next" \
	    "child delivers"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
child_killed_body() {
	delivery_waits
	w=$(worker_pid)
	child=$(sed 's/.*) [A-Z] \([0-9]*\) .*/\1/' "/proc/$(cat prog.pid)/stat")
	[ -n "$child" ] && [ "$child" != "$w" ] ||
	    atf_fail "the program's parent is not a child of the worker"
	kill -KILL "$child"
	qp_wait_log "result=defer" 30
	qp_alive "$w" || atf_fail "the worker ended with its child"
	bob_delivered 1 "a new worker, not a new child"
}
child_killed_cleanup() {
	[ -f prog.pid ] && kill -KILL "$(cat prog.pid)" 2>/dev/null
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case serves
	atf_add_test_case off
	atf_add_test_case killed
	atf_add_test_case idle
	atf_add_test_case orphan
	atf_add_test_case children
	atf_add_test_case child_state
	atf_add_test_case child_killed
}
