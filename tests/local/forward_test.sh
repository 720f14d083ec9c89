#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Forwarding (`&address' and bare addresses in a dot file, addresses
# in ~/.forward): the message is injected again with the original
# envelope sender and the Delivered-To line, and a loop is stopped by
# that line with one bounce.

. "$(atf_get_srcdir)/../lib.sh"

# add_user NAME - another mailbox of this uid with its own home.
add_user() {
	mkdir -p "$QP_DIR/home/$1"
	echo "$1:$(id -u):$(id -g):$QP_DIR/home/$1" >> "$QPOST_CONTROL/users"
	"$QPOST_LIBEXEC/qcdb" users > /dev/null 2>&1 ||
	    atf_fail "qcdb users failed"
}

atf_test_case keeps_sender cleanup
keeps_sender_head() {
	atf_set "descr" "a forward keeps the envelope sender (<> stays <>)," \
	    "adds Delivered-To and the contents are byte-identical"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
keeps_sender_body() {
	qp_instance "$PWD/inst"
	echo "&bob@example.test" > "$QP_DIR/home/alice/.qpost"
	qp_start
	qp_msg f1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f carol@elsewhere.test \
	    alice@example.test < m
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	f=$(ls "$QP_DIR"/home/bob/Maildir/new/*)
	atf_check -o inline:"Return-Path: <carol@elsewhere.test>\n" \
	    head -n 1 "$f"
	atf_check -o match:"^Delivered-To: <alice@example.test>$" \
	    -o match:"^Delivered-To: <bob@example.test>$" cat "$f"
	qp_mail_body_equal "$f" m || atf_fail "forwarded copy differs"
	test ! -d "$QP_DIR/home/alice/Maildir" ||
	    atf_fail "alice kept a copy without a ./Maildir/ line"
	atf_check -o match:"forward queued for id=[0-9a-f]* delivered-to=<alice@example.test> to=<bob@example.test>" \
	    cat "$QP_DIR/log"

	qp_msg f2 > m2
	atf_check "$QPOST_LIBEXEC/qinject" -f "" alice@example.test < m2
	qp_wait_for 2 "$QP_DIR/home/bob/Maildir/new" 30
	atf_check -o inline:"Return-Path: <>\n" sh -c \
	    "head -q -n 1 \$(grep -l 'X-Test-Id: f2' '$QP_DIR'/home/bob/Maildir/new/*)"
	qp_wait_queue_empty 30
	qp_stop
}
keeps_sender_cleanup() {
	qp_stop
}

atf_test_case crash_once cleanup
crash_once_head() {
	atf_set "descr" "sched killed after it queued a forward and before" \
	    "it saved the delivery that made it: the delivery is made" \
	    "again, finds the forward queued already (its id comes from" \
	    "what it is made of), and bob gets one copy"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
crash_once_body() {
	qp_instance "$PWD/inst"
	echo "&bob@example.test" > "$QP_DIR/home/alice/.qpost"
	# bob's deliveries wait for ./open, so the forward stays queued
	# while the delivery that made it is made again
	mkdir out
	echo "|until [ -e $PWD/open ]; do sleep 0.1; done; cat > $PWD/out/got.\$\$" \
	    > "$QP_DIR/home/bob/.qpost"
	QPOST_TEST_KILL_AT=results-unsettled
	export QPOST_TEST_KILL_AT
	qp_start
	unset QPOST_TEST_KILL_AT
	qp_msg c1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f carol@elsewhere.test \
	    alice@example.test < m
	qp_wait_log "test: killed at results-unsettled" 30
	qp_kill_sched
	grep -q "forward queued for id=" "$QP_DIR/log" ||
	    atf_fail "no forward was queued before the kill"
	qp_start
	qp_wait_log "forward already queued for id=" 30
	touch open
	qp_wait_queue_empty 30
	qp_stop
	[ "$(qp_nfiles out)" -eq 1 ] ||
	    atf_fail "bob got $(qp_nfiles out) copies"
}
crash_once_cleanup() {
	qp_stop
}

atf_test_case crash_delivered cleanup
crash_delivered_head() {
	atf_set "descr" "sched killed after it queued a forward and before" \
	    "it saved the delivery that made it; after the restart the" \
	    "forward is delivered and removed first, and in a later second" \
	    "the delivery is made again and queues it again: bob's copy" \
	    "keeps its Maildir name (the forward's id, and its mtime, the" \
	    "message's, even when written over a longer pooled file), so" \
	    "bob gets one"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
# crash_delivered_run [read] - crash_delivered's steps; with read, bob's
# first copy is moved to cur/ (as by a mail reader) before alice's
# delivery is made again
crash_delivered_run() {
	qp_instance "$PWD/inst"
	add_user carol
	# alice's deliveries wait for ./open, so the forward's first copy
	# is delivered before the delivery that made it is made again
	printf '%s\n' "|until [ -e $PWD/open ]; do sleep 0.1; done" \
	    "&bob@example.test" > "$QP_DIR/home/alice/.qpost"
	touch open
	# pooled files longer than alice's message and its forward
	qp_start_pooled carol
	# injected with sched stopped, its drop file made 100 s older: a
	# forward stamped with its own time would differ from the message
	sched=$(cat "$QP_DIR/start.pid")
	kill -STOP "$sched"
	qp_msg c2 > m
	QPOST_ID_FD=3 "$QPOST_LIBEXEC/qinject" -f carol@elsewhere.test \
	    alice@example.test < m 3> id ||
	    { kill -CONT "$sched"; atf_fail "qinject failed"; }
	touch -d "@$(($(date +%s) - 100))" "$QPOST_QUEUE/drop/$(cat id)" ||
	    { kill -CONT "$sched"; atf_fail "cannot date the drop file"; }
	touch armed
	kill -CONT "$sched"
	qp_wait_log "test: killed at results-unsettled" 30
	rm armed
	qp_kill_sched
	fwd=$(sed -n 's/.*id=\([0-9a-f]*\) forward queued for id=.*/\1/p' \
	    "$QP_DIR/log")
	[ -n "$fwd" ] || atf_fail "no forward was queued before the kill"
	rm open
	# the forward queued again must be made in a later second than
	# the first: else even a fresh mtime would give the same name
	made=$(stat -c %Y "$QPOST_QUEUE/mess/$fwd")
	later() {
		[ "$(date +%s)" -gt "$made" ]
	}
	qp_deadline_loop 5 later || atf_fail "the clock did not pass $made"
	qp_start
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_deadline_loop 30 test ! -e "$QPOST_QUEUE/env/$fwd" ||
	    atf_fail "the forward $fwd was not removed after its delivery"
	md=$QP_DIR/home/bob/Maildir
	[ "$1" != read ] || qp_read_by_client "$md"
	touch open
	qp_wait_queue_empty 30
	qp_stop
	[ "$(grep -c "id=$fwd forward queued for id=" "$QP_DIR/log")" -eq 2 ] ||
	    atf_fail "the forward was not queued again"
	n=$(($(qp_nfiles "$md/new") + $(qp_nfiles "$md/cur")))
	[ "$n" -eq 1 ] || atf_fail "bob got $n copies"
	grep -q "id=$fwd .*found=yes" "$QP_DIR/log" ||
	    atf_fail "local did not find bob's first copy"
}
crash_delivered_body() {
	crash_delivered_run
}
crash_delivered_cleanup() {
	[ -f inst/start.pid ] && kill -CONT "$(cat inst/start.pid)" 2>/dev/null
	qp_stop
}

atf_test_case crash_delivered_read cleanup
crash_delivered_read_head() {
	atf_set "descr" "as crash_delivered, with bob's first copy moved to" \
	    "cur/ by a mail reader before the delivery is made again: the" \
	    "forward queued again finds it there, and bob has one"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
crash_delivered_read_body() {
	crash_delivered_run read
	grep -q "id=$fwd .*file=cur/.*:2,S found=yes" "$QP_DIR/log" ||
	    atf_fail "local did not log bob's copy found in cur/"
}
crash_delivered_read_cleanup() {
	crash_delivered_cleanup
}

atf_test_case id_taken cleanup
id_taken_head() {
	atf_set "descr" "a forward whose derived id names a drop file not" \
	    "yet queued (someone else's message) gets a random id instead"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
id_taken_body() {
	qp_instance "$PWD/inst"
	echo "&bob@example.test" > "$QP_DIR/home/alice/.qpost"
	qp_msg t1 > m
	# injected while no sched runs, so the forward's id can be worked
	# out (FNV-1a of the id, the Delivered-To address and the address,
	# each with its NUL) and its name taken in drop/ first
	QPOST_ID_FD=3 "$QPOST_LIBEXEC/qinject" -f carol@elsewhere.test \
	    alice@example.test < m 3> id || atf_fail "qinject failed"
	fwd=$(/usr/bin/python3 -c 'import sys
h = 0xcbf29ce484222325
for s in sys.argv[1:]:
    for b in s.encode() + b"\0":
        h = ((h ^ b) * 0x100000001b3) % 2**64
print("%016x" % h)' "$(cat id)" alice@example.test bob@example.test)
	# a folder with an entry: sched cannot remove it as a bad drop file
	mkdir -p "$QPOST_QUEUE/drop/$fwd/x"
	qp_start
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_stop
	grep "forward queued for id=$(cat id)" "$QP_DIR/log" > queued ||
	    qp_fail "no forward was queued"
	! grep -q "id=$fwd " queued ||
	    atf_fail "the forward took the name of a drop file: $fwd"
	rm -r "$QPOST_QUEUE/drop/$fwd"
}
id_taken_cleanup() {
	qp_stop
}

atf_test_case dot_forward cleanup
dot_forward_head() {
	atf_set "descr" "~/.forward, with no .qpost, forwards to every" \
	    "address it names"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
dot_forward_body() {
	qp_instance "$PWD/inst"
	add_user carol
	printf '# sendmail style\nbob@example.test, "carol"\n' \
	    > "$QP_DIR/home/alice/.forward"
	qp_start
	qp_msg f3 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f sender@example.test \
	    alice@example.test < m
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_for 1 "$QP_DIR/home/carol/Maildir/new" 30
	qp_mail_body_equal "$QP_DIR"/home/carol/Maildir/new/* m ||
	    atf_fail "carol's copy differs"
	qp_wait_queue_empty 30
	qp_stop
}
dot_forward_cleanup() {
	qp_stop
}

atf_test_case loop cleanup
loop_head() {
	atf_set "descr" "two users forwarding to each other, and a user" \
	    "forwarding to itself: Delivered-To stops the loop and the" \
	    "sender gets one bounce each (5.4.6)"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
loop_body() {
	qp_instance "$PWD/inst"
	add_user carol
	add_user dave
	echo "&bob@example.test" > "$QP_DIR/home/alice/.qpost"
	echo "alice@example.test" > "$QP_DIR/home/bob/.qpost"
	echo "&dave" > "$QP_DIR/home/dave/.qpost"
	qp_start
	qp_msg l1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f carol@example.test \
	    alice@example.test < m
	qp_wait_for 1 "$QP_DIR/home/carol/Maildir/new" 30
	qp_wait_queue_empty 30
	atf_check -o match:"5.4.6" -o match:"mail loop" \
	    -o match:"X-Test-Id: l1" \
	    sh -c "cat '$QP_DIR'/home/carol/Maildir/new/*"

	qp_msg l2 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f carol@example.test \
	    dave@example.test < m
	qp_wait_for 2 "$QP_DIR/home/carol/Maildir/new" 30
	qp_wait_queue_empty 30
	atf_check -o match:"X-Test-Id: l2" -o match:"mail loop" \
	    sh -c "cat '$QP_DIR'/home/carol/Maildir/new/*"
	[ "$(qp_nfiles "$QP_DIR/home/carol/Maildir/new")" -eq 2 ] ||
	    atf_fail "more than one bounce per loop"
	for u in alice bob dave; do
		test ! -d "$QP_DIR/home/$u/Maildir" ||
		    atf_fail "$u got a copy in the loop"
	done
	qp_stop
}
loop_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case keeps_sender
	atf_add_test_case crash_once
	atf_add_test_case crash_delivered
	atf_add_test_case crash_delivered_read
	atf_add_test_case id_taken
	atf_add_test_case dot_forward
	atf_add_test_case loop
}
