#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# mbox delivery by local (send/local_mbox.c) and what a full mailbox or
# disk does to it and to a Maildir.  Most cases run local directly, as
# lspawn would (message on fd 0, -t the instruction), as the
# unprivileged test user; the full-disk cases mount a small tmpfs and
# so run as root, with local itself run as nobody.  The promises: the
# mbox holds exactly the expected bytes (From line, mboxrd quoting,
# final blank line); racing deliveries land whole; a delivery that
# fails at any point leaves the mbox byte for byte as it was and a
# Maildir with nothing in tmp/ and new/ unchanged; the codes are those
# of qpost-local(8).  One case runs a whole instance to the default
# Maildir.

. "$(atf_get_srcdir)/../lib.sh"

# mb_setup - control/ and home/ here; exports QPOST_CONTROL, sets
# LOCAL and CHECK, and writes ./mb_local MSG INSTRUCTION [SENDER]: one
# delivery to alice, as lspawn starts it (result line on stdout, log on
# stderr); a script, so atf_check can run it.  And ./mb_again MSG
# [RECIPIENT]: the same delivery to ./mbox made again (local -a, as
# lspawn runs it when sched says it may repeat one whose result a crash
# lost), to alice or to RECIPIENT.
mb_setup() {
	mkdir -p control home || atf_fail "mb_setup: mkdir"
	QPOST_CONTROL=$PWD/control
	export QPOST_CONTROL
	LOCAL=$(qp_top)/build/libexec/local
	CHECK="/usr/bin/python3 $(atf_get_srcdir)/mbox_check.py"
	[ -x "$LOCAL" ] || atf_fail "mb_setup: $LOCAL is not built: run make"
	cat > mb_local <<EOF
#!/bin/sh
exec "$LOCAL" -i 0123456789abcdef -u alice -s "\${3-sender@example.test}" \\
    -r alice@example.test -d "$PWD/home" -t "\$2" < "\$1"
EOF
	cat > mb_again <<EOF
#!/bin/sh
exec "$LOCAL" -a -i 0123456789abcdef -u alice -s sender@example.test \\
    -r "\${2-alice@example.test}" -d "$PWD/home" -t ./mbox < "\$1"
EOF
	chmod 755 mb_local mb_again
}

# mb_big FILE ID - a message of about 520 kB (several of local's 64 kB
# writes), with "From " and ">From " lines, one of them across the
# 64 kB boundary where local reads the message in pieces.
mb_big() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import sys
head = b"Subject: big %s\nX-Test-Id: %s\n\n" % (sys.argv[2].encode(),
                                             sys.argv[2].encode())
pad = b"x" * (65534 - len(head) - 1) + b"\n"
lines = [b"From straddles the boundary\n"]
for i in range(30000):
    lines.append(b">" * (i % 3) + b"From line %d\n" % i if i % 7 == 0
                 else b"line %d of %s\n" % (i, sys.argv[2].encode()))
open(sys.argv[1], "wb").write(head + pad + b"".join(lines))
EOF
}

atf_test_case contents
contents_head() {
	atf_set "descr" "the mbox holds exactly the From line, Return-Path," \
	    "Delivered-To, the message with >From quoting and a blank line;" \
	    "MAILER-DAEMON for <>; a second delivery appends"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/bin/python3"
	atf_set "timeout" "60"
}
contents_body() {
	mb_setup
	printf 'Subject: quoting\n\nFrom the start\n>From one\n>>From two\n%s' \
	    ' From not at the start\nFrom:x\nFrom\nthe last line has no LF' > m1
	mb_big m2 big
	atf_check -o inline:"2.0.0 <alice@example.test> delivered to mbox ./mbox\n" \
	    -e match:"delivered to=<alice@example.test>.* mbox=./mbox" \
	    ./mb_local m1 ./mbox
	atf_check -o match:"^2.0.0 " -e ignore ./mb_local m2 "$PWD/home/mbox" ""
	atf_check $CHECK home/mbox sender@example.test m1 "" m2
	atf_check -o inline:"600\n" stat -c %a home/mbox
	atf_check -o match:"^From MAILER-DAEMON " sed -n '/^From MAILER/p' \
	    home/mbox
	# python's mailbox module reads the two messages back
	atf_check -o inline:"2\n" /usr/bin/python3 -c \
	    'import mailbox, sys; print(len(mailbox.mbox(sys.argv[1])))' \
	    home/mbox
	[ ! -e home/mbox.lock ] || atf_fail "the dotlock was left behind"
}

atf_test_case race
race_head() {
	atf_set "descr" "20 locals delivering at once to one mbox: every" \
	    "message lands whole and unmixed"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/bin/python3"
	atf_set "timeout" "120"
}
race_body() {
	mb_setup
	args=
	for i in $(seq 1 20); do
		mb_big m$i race$i
		args="$args sender@example.test m$i"
	done
	pids=
	for i in $(seq 1 20); do
		./mb_local m$i ./mbox > out$i 2> err$i &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || atf_fail "a racing local failed: $(cat out* err*)"
	done
	# shellcheck disable=SC2086 # pairs of words
	atf_check $CHECK --any-order home/mbox $args
}

# mb_inject NAME SYSCALL ERRNO WHEN CODE - a delivery of a big message
# into an mbox that already holds one, with the WHEN-th call of SYSCALL
# failing with ERRNO: exit 111 with CODE, the mbox as it was, no lock.
mb_inject() {
	mb_setup
	printf 'Subject: first\n\nfirst\n' > m1
	mb_big m2 "$1"
	atf_check -o ignore -e ignore ./mb_local m1 ./mbox
	cp home/mbox before
	# LeakSanitizer (make SANITIZE=1) cannot work under ptrace
	atf_check -s exit:111 -o match:"^$5 <alice@example.test>: unable to write mbox" \
	    -e ignore env ASAN_OPTIONS=detect_leaks=0 strace -f -o trace -e trace=write,fsync \
	    -e inject="$2:error=$3:when=$4" \
	    "$LOCAL" -s sender@example.test -r alice@example.test \
	    -d "$PWD/home" -t ./mbox < m2
	grep -q "INJECTED" trace || atf_fail "strace injected nothing"
	cmp home/mbox before || atf_fail "the mbox was changed"
	[ ! -e home/mbox.lock ] || atf_fail "the dotlock was left behind"
}

atf_test_case enospc_mid_write
enospc_mid_write_head() {
	atf_set "descr" "ENOSPC after 64 kB of the message were written:" \
	    "4.3.1, exit 111, the mbox byte for byte as before"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace /usr/bin/python3"
	atf_set "timeout" "60"
}
enospc_mid_write_body() {
	# write 1 is liblockfile's pid in the lock, 2 the first 64 kB
	mb_inject nospc write ENOSPC 3 4.3.1
	atf_check -o match:'write\(3, .*\) = 65536$' sed -n 2p trace
}

atf_test_case eio_mid_write
eio_mid_write_head() {
	atf_set "descr" "EIO in the middle of the message: 4.3.0, the mbox" \
	    "as before"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace /usr/bin/python3"
	atf_set "timeout" "60"
}
eio_mid_write_body() {
	mb_inject eio write EIO 5 4.3.0
}

atf_test_case edquot_mid_write
edquot_mid_write_head() {
	atf_set "descr" "EDQUOT in the middle of the message: 4.2.2 (mailbox" \
	    "full), the mbox as before"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace /usr/bin/python3"
	atf_set "timeout" "60"
}
edquot_mid_write_body() {
	mb_inject edquot write EDQUOT 4 4.2.2
}

atf_test_case fsync_fails
fsync_fails_head() {
	atf_set "descr" "the whole message written but fsync fails (EIO):" \
	    "the append is cut off again, 4.3.0"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace /usr/bin/python3"
	atf_set "timeout" "60"
}
fsync_fails_body() {
	mb_inject fsync fsync EIO 1 4.3.0
}

atf_test_case maildir_edquot
maildir_edquot_head() {
	atf_set "descr" "EDQUOT while writing a Maildir message: 4.2.2," \
	    "nothing left in tmp/, new/ unchanged"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace /usr/bin/python3"
	atf_set "timeout" "60"
}
maildir_edquot_body() {
	mb_setup
	printf 'Subject: first\n\nfirst\n' > m1
	mb_big m2 quota
	atf_check -o ignore -e ignore ./mb_local m1 ./Maildir/
	ls home/Maildir/new > new_before
	atf_check -s exit:111 -o match:"^4.2.2 <alice@example.test>" \
	    -e ignore env ASAN_OPTIONS=detect_leaks=0 strace -f -o trace -e trace=write \
	    -e inject=write:error=EDQUOT:when=2 \
	    "$LOCAL" -s sender@example.test -r alice@example.test \
	    -d "$PWD/home" -t ./Maildir/ < m2
	grep -q "INJECTED" trace || atf_fail "strace injected nothing"
	atf_check -o empty ls -A home/Maildir/tmp
	ls home/Maildir/new | cmp -s - new_before ||
	    atf_fail "new/ changed"
}

atf_test_case maildir_redelivery
maildir_redelivery_head() {
	atf_set "descr" "a Maildir delivery made again (same queue id," \
	    "recipient and Maildir: a crash before sched recorded it) finds" \
	    "its copy in new/ and adds none; any other delivery adds one"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/bin/python3"
}
maildir_redelivery_body() {
	mb_setup
	printf 'Subject: once\n\nonce\n' > m1
	atf_check -o match:"^2.0.0" -e not-match:found= ./mb_local m1 ./Maildir/
	atf_check -o match:'^[0-9]+\.Q0123456789abcdefR[0-9a-f]{16}\.' \
	    ls home/Maildir/new
	atf_check -o match:"^2.0.0" -e match:"file=new/.* found=yes" \
	    ./mb_local m1 ./Maildir/
	atf_check -o inline:"1\n" sh -c "ls home/Maildir/new | wc -l"
	atf_check -o empty ls -A home/Maildir/tmp
	# another envelope recipient (say root, aliased to alice)
	atf_check -o match:"^2.0.0" -e ignore "$LOCAL" -i 0123456789abcdef \
	    -s sender@example.test -r alice@example.test -o root@example.test \
	    -d "$PWD/home" -t ./Maildir/ < m1
	# another Maildir
	atf_check -o match:"^2.0.0" -e ignore ./mb_local m1 ./Maildir2/
	# run by hand, with no queue id: a fresh name each time
	for i in 1 2; do
		atf_check -o match:"^2.0.0" -e ignore "$LOCAL" \
		    -s sender@example.test -r alice@example.test \
		    -d "$PWD/home" -t ./Maildir/ < m1
	done
	atf_check -o inline:"4\n" sh -c "ls home/Maildir/new | wc -l"
	atf_check -o inline:"1\n" sh -c "ls home/Maildir2/new | wc -l"
	atf_check -o empty ls -A home/Maildir/tmp
}

atf_test_case mbox_redelivery
mbox_redelivery_head() {
	atf_set "descr" "with -a (sched: it may repeat a delivery whose" \
	    "result a crash lost) an mbox with this very append among its" \
	    "last 100 messages, but for its From line, gets no second copy;" \
	    "without -a, further back, or for another recipient, it does"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/bin/python3"
	atf_set "timeout" "60"
}
mbox_redelivery_body() {
	mb_setup
	printf 'Subject: quoting\n\nFrom the start\n>From one\n' > m1
	mb_big m2 big
	atf_check -o match:"^2.0.0" -e not-match:found= ./mb_local m2 ./mbox
	# found, though its From line may carry another second
	atf_check -o match:"^2.0.0" -e match:"mbox=./mbox bytes=0 found=yes" \
	    ./mb_again m2
	atf_check $CHECK home/mbox sender@example.test m2
	# without -a a second copy, which -a then finds at the end
	atf_check -o match:"^2.0.0" -e not-match:found= ./mb_local m2 ./mbox
	atf_check -o match:"^2.0.0" -e match:"found=yes" ./mb_again m2
	atf_check $CHECK home/mbox sender@example.test m2 sender@example.test m2
	# other mail after it (come between a crash and the delivery made
	# again): found all the same
	atf_check -o match:"^2.0.0" -e ignore ./mb_local m1 ./mbox
	atf_check -o match:"^2.0.0" -e match:"found=yes" ./mb_again m2
	# another recipient's copy of the same message is not this one
	atf_check -o match:"^2.0.0" -e not-match:found= \
	    ./mb_again m1 bob@example.test
	atf_check -o inline:"4\n" sh -c "grep -c '^From sender@' home/mbox"
	atf_check -o inline:"4\n" /usr/bin/python3 -c \
	    'import mailbox, sys; print(len(mailbox.mbox(sys.argv[1])))' \
	    home/mbox
	# it looks among the last 100 messages: m2's copy as the 100th from
	# the end is found, as the 101st it is not, and another is appended
	atf_check -o ignore -e ignore ./mb_local m1 ./one
	for n in 99 100; do
		rm -f home/mbox
		atf_check -o ignore -e ignore ./mb_local m2 ./mbox
		i=0
		while [ "$i" -lt "$n" ]; do
			cat home/one
			i=$((i + 1))
		done >> home/mbox
		if [ "$n" = 99 ]; then
			atf_check -o match:"^2.0.0" -e match:"found=yes" \
			    ./mb_again m2
		else
			atf_check -o match:"^2.0.0" -e not-match:found= \
			    ./mb_again m2
		fi
	done
}

atf_test_case mbox_partial
mbox_partial_head() {
	atf_set "descr" "with -a, an mbox that ends with the start of this" \
	    "very append (a copy a crash cut short) has the part cut away" \
	    "and one whole copy appended, also after a real SIGKILL; a part" \
	    "too short to tell, another recipient's, one with mail after it," \
	    "or a delivery without -a leave it as it is"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/bin/python3 strace"
	atf_set "timeout" "60"
}
mbox_partial_body() {
	mb_setup
	printf 'Subject: first\n\nfirst\n' > m1
	mb_big m2 part
	# the whole append of m2, in a scratch mbox, to cut parts from
	atf_check -o match:"^2.0.0" -e ignore ./mb_local m2 ./whole
	whole=$(stat -c %s home/whole)
	# part_after_m1 N: ./mbox holds m1's copy and m2's first N bytes
	part_after_m1() {
		rm -f home/mbox
		atf_check -o ignore -e ignore ./mb_local m1 ./mbox
		one=$(stat -c %s home/mbox)
		head -c "$1" home/whole >> home/mbox
		cp home/mbox before
	}
	# unchanged_then_m2: the mbox as it was, then a whole copy of m2
	unchanged_then_m2() {
		head -c "$(stat -c %s before)" home/mbox | cmp -s - before ||
		    atf_fail "the mbox's first bytes changed"
		tail -c "$whole" home/mbox | tail -n +2 > got
		tail -n +2 home/whole | cmp -s - got ||
		    atf_fail "no whole copy of m2 at the end"
	}

	# the From line, Return-Path and Delivered-To and a little more;
	# past local's first 64 kB write; all but the last byte
	for n in 200 70000 $((whole - 1)); do
		part_after_m1 "$n"
		atf_check -o match:"^2.0.0" -e match:" cut=$n\$" ./mb_again m2
		atf_check $CHECK home/mbox sender@example.test m1 \
		    sender@example.test m2
	done

	# left: a part cut within Delivered-To; another recipient's part;
	# a part with other mail after it; a delivery without -a
	part_after_m1 100
	atf_check -o match:"^2.0.0" -e not-match:cut= ./mb_again m2
	unchanged_then_m2
	part_after_m1 5000
	atf_check -o match:"^2.0.0" -e not-match:cut= \
	    ./mb_again m2 bob@example.test
	head -c "$(stat -c %s before)" home/mbox | cmp -s - before ||
	    atf_fail "bob's delivery changed alice's part"
	part_after_m1 5000
	printf '\n' >> home/mbox
	atf_check -o ignore -e ignore ./mb_local m1 ./mbox
	cp home/mbox before
	atf_check -o match:"^2.0.0" -e not-match:cut= ./mb_again m2
	unchanged_then_m2
	part_after_m1 5000
	atf_check -o match:"^2.0.0" -e not-match:cut= ./mb_local m2 ./mbox
	unchanged_then_m2

	# a real one: local killed before its third write to the mbox (its
	# first write is the dotlock's pid), as a crash would stop it
	rm -f home/mbox
	atf_check -o ignore -e ignore ./mb_local m1 ./mbox
	one=$(stat -c %s home/mbox)
	strace -f -o /dev/null --inject=write:signal=KILL:when=4 \
	    ./mb_local m2 ./mbox >/dev/null 2>&1
	size=$(stat -c %s home/mbox)
	[ "$size" -gt "$one" ] && [ "$size" -lt $((one + whole)) ] ||
	    atf_fail "the kill left no part ($size bytes): the test shows nothing"
	atf_check -o match:"^2.0.0" -e match:" cut=$((size - one))\$" \
	    ./mb_again m2
	atf_check $CHECK home/mbox sender@example.test m1 \
	    sender@example.test m2
}

atf_test_case kill_redelivered cleanup
kill_redelivered_head() {
	atf_set "descr" "sched killed after local appended to alice's mbox" \
	    "and before it recorded the delivery: the delivery made again" \
	    "after the restart finds the copy at the end, and the mbox holds" \
	    "one"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
kill_redelivered_body() {
	qp_instance "$PWD/inst"
	echo ./mbox > "$QP_DIR/home/alice/.qpost"
	QPOST_TEST_KILL_AT=results-unsettled
	export QPOST_TEST_KILL_AT
	qp_start
	unset QPOST_TEST_KILL_AT
	qp_msg k1 > m
	QPOST_ID_FD=3 "$QPOST_LIBEXEC/qinject" -f sender@example.test \
	    alice@example.test < m 3> id || atf_fail "qinject failed"
	qp_wait_log "test: killed at results-unsettled" 10
	qp_kill_sched
	[ "$(grep -c '^From ' "$QP_DIR/home/alice/mbox")" -eq 1 ] ||
	    atf_fail "no copy before the kill: the test shows nothing"
	qp_start
	qp_wait_log "id=$(cat id) removed" 10
	qp_stop
	[ "$(grep -c '^From ' "$QP_DIR/home/alice/mbox")" -eq 1 ] ||
	    atf_fail "alice's mbox holds a second copy"
	grep -q "id=$(cat id) delivered to=<alice@example.test> .*found=yes" \
	    "$QP_DIR/log" || atf_fail "the delivery was not made again"
}
kill_redelivered_cleanup() {
	qp_stop
}

atf_test_case size_limit
size_limit_head() {
	atf_set "descr" "control/mailboxsizelimit: a message larger than the" \
	    "limit alone fails 5.2.2; one that would take the mbox over it" \
	    "fails 4.2.2; exactly the limit is delivered; the mbox unchanged"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/bin/python3"
	atf_set "timeout" "60"
}
size_limit_body() {
	mb_setup
	printf 'Subject: small\n\nsmall\nFrom here\n' > m1
	mb_big m2 huge
	echo 100000 > control/mailboxsizelimit
	atf_check -s exit:100 \
	    -o match:"^5.2.2 <alice@example.test>: message of [0-9]+ bytes is larger than the mailbox size limit of 100000" \
	    -e ignore ./mb_local m2 ./mbox
	[ ! -e home/mbox ] || atf_fail "an mbox was made for a refused message"
	atf_check -o ignore -e ignore ./mb_local m1 ./mbox
	one=$(stat -c %s home/mbox)
	# room for exactly two: the second fills the mbox to the limit
	echo $((one * 2)) > control/mailboxsizelimit
	atf_check -o match:"^2.0.0 " -e ignore ./mb_local m1 ./mbox
	atf_check -o inline:"$((one * 2))\n" stat -c %s home/mbox
	cp home/mbox before
	atf_check -s exit:111 \
	    -o match:"^4.2.2 <alice@example.test>: mailbox ./mbox is full" \
	    -e ignore ./mb_local m1 ./mbox
	cmp home/mbox before || atf_fail "the mbox changed"
	echo 0 > control/mailboxsizelimit	# no limit
	atf_check -o match:"^2.0.0 " -e ignore ./mb_local m2 ./mbox
	echo junk > control/mailboxsizelimit
	atf_check -s exit:111 -o match:"^4.3.0 .*control file" \
	    -e match:"mailboxsizelimit" ./mb_local m1 ./mbox
}

atf_test_case efbig
efbig_head() {
	atf_set "descr" "a file size limit (RLIMIT_FSIZE) the message alone" \
	    "exceeds: 5.2.2, not a SIGXFSZ death; the mbox as before"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "prlimit /usr/bin/python3"
	atf_set "timeout" "60"
}
efbig_body() {
	mb_setup
	printf 'Subject: first\n\nfirst\n' > m1
	mb_big m2 efbig
	atf_check -o ignore -e ignore ./mb_local m1 ./mbox
	cp home/mbox before
	atf_check -s exit:100 -o match:"^5.2.2 <alice@example.test>: unable to write mbox" \
	    -e ignore prlimit --fsize=200000 -- "$LOCAL" -s sender@example.test \
	    -r alice@example.test -d "$PWD/home" -t ./mbox < m2
	cmp home/mbox before || atf_fail "the mbox changed"
	# the limit leaves room for the message, not for the mbox with it
	atf_check -o ignore -e ignore ./mb_local m2 ./mbox
	cp home/mbox before
	atf_check -s exit:111 -o match:"^4.2.2 <alice@example.test>: unable to write mbox" \
	    -e ignore prlimit --fsize=1000000 -- "$LOCAL" -s sender@example.test \
	    -r alice@example.test -d "$PWD/home" -t ./mbox < m2
	cmp home/mbox before || atf_fail "the mbox changed"
}

# mb_still_running PID SECONDS - whether PID still runs after SECONDS
# (local waiting for a lock), polling so a quick exit is seen at once.
mb_still_running() {
	! qp_deadline_loop "$2" sh -c "! kill -0 $1 2>/dev/null"
}

atf_test_case dotlock_wait cleanup
dotlock_wait_head() {
	atf_set "descr" "a dotlock held by a live process: local waits (and" \
	    "SIGTERM ends the wait), then delivers when it is removed; a" \
	    "stale one (dead pid) is removed"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/bin/python3"
	atf_set "timeout" "60"
}
dotlock_wait_body() {
	mb_setup
	printf 'Subject: locked\n\nlocked\n' > m1
	sleep 60 &
	echo $! > holder
	cat holder > home/mbox.lock
	# SIGTERM (lspawn's, when sched is gone) ends a wait at once
	./mb_local m1 ./mbox > out 2> err &
	pid=$!
	mb_still_running "$pid" 1 || atf_fail "local did not wait: $(cat out)"
	kill -TERM "$pid"
	wait "$pid"
	[ $? -eq 111 ] || atf_fail "SIGTERM while waiting: not exit 111"
	[ ! -s home/mbox ] || atf_fail "local wrote under a held dotlock"
	./mb_local m1 ./mbox > out 2> err &
	pid=$!
	mb_still_running "$pid" 2 || atf_fail "local did not wait: $(cat out)"
	[ ! -s home/mbox ] || atf_fail "local wrote under a held dotlock"
	rm home/mbox.lock
	wait "$pid" || atf_fail "local failed: $(cat out err)"
	atf_check $CHECK home/mbox sender@example.test m1
	[ ! -e home/mbox.lock ] || atf_fail "the dotlock was left behind"
	# a lock naming a process that is gone is stale
	kill "$(cat holder)"
	wait "$(cat holder)"
	cat holder > home/mbox.lock
	atf_check -o match:"^2.0.0 " -e ignore ./mb_local m1 ./mbox
	atf_check $CHECK home/mbox sender@example.test m1 sender@example.test m1
}
dotlock_wait_cleanup() {
	[ ! -s holder ] || kill "$(cat holder)" 2>/dev/null || :
}

atf_test_case lock_timeout cleanup
lock_timeout_head() {
	atf_set "descr" "control/timeoutmboxlock: a dotlock or an fcntl lock" \
	    "held past it is a temporary failure 4.2.0, the mbox untouched"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/bin/python3"
	atf_set "timeout" "60"
}
lock_timeout_body() {
	mb_setup
	printf 'Subject: locked\n\nlocked\n' > m1
	echo 1 > control/timeoutmboxlock
	sleep 60 &
	echo $! > holder
	cat holder > home/mbox.lock
	atf_check -s exit:111 \
	    -o match:"^4.2.0 <alice@example.test>: mbox ./mbox stayed locked \(dotlock\) for 1 seconds" \
	    -e ignore ./mb_local m1 ./mbox
	[ ! -s home/mbox ] || atf_fail "local wrote under a held dotlock"
	atf_check -o inline:"$(cat holder)\n" cat home/mbox.lock
	rm home/mbox.lock
	# an fcntl lock, held by a python process until its stdin closes
	mkfifo hold
	/usr/bin/python3 -c '
import fcntl, sys
f = open(sys.argv[1], "a")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()' home/mbox < hold > locked &
	py=$!
	exec 3> hold
	qp_wait_file_match locked locked 10
	atf_check -s exit:111 \
	    -o match:"^4.2.0 <alice@example.test>: mbox ./mbox stayed locked \(lock\) for 1 seconds" \
	    -e ignore ./mb_local m1 ./mbox
	exec 3>&-
	wait "$py"
	atf_check -o match:"^2.0.0 " -e ignore ./mb_local m1 ./mbox
}
lock_timeout_cleanup() {
	[ ! -s holder ] || kill "$(cat holder)" 2>/dev/null || :
}

atf_test_case unsafe_paths
unsafe_paths_head() {
	atf_set "descr" "a symbolic link, a file with two links, a directory" \
	    "or a FIFO as the mbox: refused (4.2.0), nothing written"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
unsafe_paths_body() {
	mb_setup
	printf 'Subject: x\n\nx\n' > m1
	echo precious > target
	ln -s "$PWD/target" home/link
	atf_check -s exit:111 \
	    -o match:"^4.2.0 <alice@example.test>: mbox ./link is a symbolic link: refused" \
	    -e ignore ./mb_local m1 ./link
	ln -s "$PWD/nowhere" home/dangling
	atf_check -s exit:111 -o match:"^4.2.0 .*symbolic link" -e ignore \
	    ./mb_local m1 ./dangling
	[ ! -e nowhere ] || atf_fail "a dangling link's target was created"
	ln target home/hard
	atf_check -s exit:111 \
	    -o match:"^4.2.0 <alice@example.test>: mbox ./hard is not a regular file with one link: refused" \
	    -e ignore ./mb_local m1 ./hard
	atf_check -o inline:"precious\n" cat target
	mkfifo home/fifo
	atf_check -s exit:111 -o match:"^4\.[0-9.]+ <alice@example.test>: " \
	    -e ignore ./mb_local m1 ./fifo
	mkdir home/dir
	atf_check -s exit:111 -o match:"^4\.[0-9.]+ <alice@example.test>: " \
	    -e ignore ./mb_local m1 ./dir
}

# mb_root_setup - as root: a world-searchable folder R under /tmp (the
# work directory of a root test may not be), with R/fs/home owned by
# nobody; ./mb_root_local MSG INSTRUCTION runs local as nobody with that
# home.  mb_root_mount first mounts a 256 kB tmpfs on R/fs.
mb_root_setup() {
	mb_setup
	id nobody >/dev/null 2>&1 || atf_skip "no account nobody"
	[ -x "$LOCAL" ] && runuser -u nobody -- test -x "$LOCAL" ||
	    atf_skip "nobody cannot run $LOCAL (a checkout in a private folder)"
	R=$(mktemp -d /tmp/qpost-mbox.XXXXXX) || atf_fail "mktemp"
	echo "$R" > root_dir
	chmod 755 "$R"
	mkdir "$R/fs" "$R/control"
	QPOST_CONTROL=$R/control
	export QPOST_CONTROL
	cat > mb_root_local <<EOF
#!/bin/sh
exec runuser -u nobody -- "$LOCAL" -s sender@example.test \\
    -r alice@example.test -d "$R/fs/home" -t "\$2" < "\$1"
EOF
	chmod 755 mb_root_local
}

mb_root_mount() {
	mount -t tmpfs -o size=256k,mode=0755 qpost-mbox-test "$R/fs" ||
	    atf_skip "cannot mount a tmpfs here"
}

mb_root_home() {
	mkdir "$R/fs/home" && chown nobody "$R/fs/home" ||
	    atf_fail "cannot make $R/fs/home"
}

mb_root_cleanup() {
	[ -s root_dir ] || return 0
	R=$(cat root_dir)
	umount "$R/fs" 2>/dev/null
	rm -rf "$R"
}

atf_test_case full_disk cleanup
full_disk_head() {
	atf_set "descr" "as root: a full tmpfs (ENOSPC for real) makes mbox" \
	    "and Maildir deliveries fail 4.3.1 with nothing half-written:" \
	    "the mbox as before, tmp/ empty, new/ unchanged"
	atf_set "require.user" "root"
	atf_set "require.progs" "runuser /usr/bin/python3"
	atf_set "timeout" "60"
}
full_disk_body() {
	mb_root_setup
	mb_root_mount
	mb_root_home
	printf 'Subject: small\n\nsmall\n' > m1
	mb_big m2 full
	chmod 644 m1 m2
	atf_check -o match:"^2.0.0 " -e ignore ./mb_root_local m1 ./mbox
	atf_check -o match:"^2.0.0 " -e ignore ./mb_root_local m1 ./Maildir/
	cp "$R/fs/home/mbox" before
	ls "$R/fs/home/Maildir/new" > new_before
	atf_check -s exit:111 \
	    -o match:"^4.3.1 <alice@example.test>: unable to write mbox ./mbox: No space left on device" \
	    -e ignore ./mb_root_local m2 ./mbox
	cmp "$R/fs/home/mbox" before || atf_fail "the mbox changed"
	[ ! -e "$R/fs/home/mbox.lock" ] || atf_fail "the dotlock was left"
	# a new mbox that could not take its first message is not left empty
	atf_check -s exit:111 -o match:"^4.3.1 " -e ignore \
	    ./mb_root_local m2 ./newbox
	[ ! -e "$R/fs/home/newbox" ] || atf_fail "an empty newbox was left"
	atf_check -s exit:111 \
	    -o match:"^4.3.1 <alice@example.test>: .*No space left on device" \
	    -e ignore ./mb_root_local m2 ./Maildir/
	atf_check -o empty ls -A "$R/fs/home/Maildir/tmp"
	ls "$R/fs/home/Maildir/new" | cmp -s - new_before ||
	    atf_fail "new/ changed"
	# the space is all there again: both still take small mail
	atf_check -o match:"^2.0.0 " -e ignore ./mb_root_local m1 ./mbox
	atf_check -o match:"^2.0.0 " -e ignore ./mb_root_local m1 ./Maildir/
	atf_check $CHECK "$R/fs/home/mbox" sender@example.test m1 \
	    sender@example.test m1
}
full_disk_cleanup() {
	mb_root_cleanup
}

atf_test_case spool_dotlock cleanup
spool_dotlock_head() {
	atf_set "descr" "as root: an mbox in a spool folder like /var/mail" \
	    "(root:mail 2775, the mailbox the user's): the dotlock is made" \
	    "through liblockfile's setgid helper dotlockfile, the mail lands" \
	    "and no lock is left; a mailbox absent there fails temporarily"
	atf_set "require.user" "root"
	atf_set "require.progs" "runuser dotlockfile /usr/bin/python3"
	atf_set "timeout" "60"
}
spool_dotlock_body() {
	mb_root_setup
	getent group mail >/dev/null || atf_skip "no group mail"
	mb_root_home
	printf 'Subject: spool\n\nFrom the spool\n' > m1
	chmod 644 m1
	mkdir "$R/spool"
	chown root:mail "$R/spool"
	chmod 2775 "$R/spool"
	atf_check -s exit:111 -o match:"^4.3.0 <alice@example.test>: unable to open mbox" \
	    -e ignore ./mb_root_local m1 "$R/spool/nobody"
	touch "$R/spool/nobody"
	chown nobody:mail "$R/spool/nobody"
	chmod 660 "$R/spool/nobody"
	atf_check -o match:"^2.0.0 " -e ignore ./mb_root_local m1 "$R/spool/nobody"
	atf_check $CHECK "$R/spool/nobody" sender@example.test m1
	atf_check -o inline:"nobody\n" ls "$R/spool"
}
spool_dotlock_cleanup() {
	mb_root_cleanup
}

atf_test_case instance_maildir cleanup
instance_maildir_head() {
	atf_set "descr" "through a running instance to the default Maildir:" \
	    "the message byte for byte (no >From quoting in a Maildir)," \
	    "tmp/ left empty, and control/mailboxsizelimit (an mbox limit)" \
	    "does not hold Maildir mail back"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
instance_maildir_body() {
	qp_instance "$PWD/inst"
	echo 10 > "$QPOST_CONTROL/mailboxsizelimit"
	qp_start
	qp_msg md1 > m
	printf '>From a quoted line\n' >> m
	atf_check "$QPOST_LIBEXEC/qinject" alice@example.test < m
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	qp_mail_body_equal "$QP_DIR"/home/alice/Maildir/new/* m ||
	    atf_fail "the delivered message differs"
	atf_check -o empty ls -A "$QP_DIR/home/alice/Maildir/tmp"
	qp_wait_queue_empty 30
	qp_stop
}
instance_maildir_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case instance_maildir
	atf_add_test_case spool_dotlock
	atf_add_test_case contents
	atf_add_test_case race
	atf_add_test_case enospc_mid_write
	atf_add_test_case eio_mid_write
	atf_add_test_case edquot_mid_write
	atf_add_test_case fsync_fails
	atf_add_test_case maildir_edquot
	atf_add_test_case maildir_redelivery
	atf_add_test_case mbox_redelivery
	atf_add_test_case mbox_partial
	atf_add_test_case kill_redelivered
	atf_add_test_case size_limit
	atf_add_test_case efbig
	atf_add_test_case dotlock_wait
	atf_add_test_case lock_timeout
	atf_add_test_case unsafe_paths
	atf_add_test_case full_disk
}
