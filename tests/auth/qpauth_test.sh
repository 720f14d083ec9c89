#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# qpauth and qpasswd: good and bad credentials over the socket and on
# fd 3, failures delayed and counted per client address, a brute-force
# run refused, passwords in no log, and (as root) the password cdb
# readable by qpauth alone.

. "$(atf_get_srcdir)/../lib.sh"

PW_DEMO='demo-Pa55 word'
PW_BOB='b0b:secret$'

# setup - control files in ./control, state in ./state, users demo and
# bob made with qpasswd (password on stdin); fast delays for tests.
setup() {
	L=$(qp_top)/build/libexec
	CLIENT=$(atf_get_srcdir)/auth_client.py
	export QPOST_CONTROL=$PWD/control QPOST_AUTHSTATE=$PWD/state
	mkdir -p control
	echo example.test > control/me
	echo "${1:-1}" > control/authdelay
	echo "${2:-10}" > control/authfailmax
	echo "${3:-900}" > control/authwindow
	printf '%s\n' "$PW_DEMO" | "$L/qpasswd" demo 2>>qpasswd.log ||
	    qp_fail "qpasswd demo failed" qpasswd.log
	printf '%s\n' "$PW_BOB" | "$L/qpasswd" Bob 2>>qpasswd.log ||
	    qp_fail "qpasswd bob failed" qpasswd.log
}

# start - qpauth -d on ./sock, its pid in ./qpauth.pid, log in ./log.
start() {
	"$L/qpauth" -d "$PWD/sock" 2>>log &
	echo $! > qpauth.pid
	qp_deadline_loop 10 test -S sock || qp_fail "qpauth did not start" log
}

# stop - end qpauth and wait for it (it removes its socket on the way).
stop() {
	if [ -f qpauth.pid ]; then
		kill "$(cat qpauth.pid)" 2>/dev/null
		wait "$(cat qpauth.pid)" 2>/dev/null
	fi
	rm -f qpauth.pid
}

# ask USER IP PASSWORD - qpauth's answer: 0 good, 1 bad, 2 temporary.
ask() {
	printf '%s\n' "$3" | "$CLIENT" "$PWD/sock" "$1" "$2"
}

# expect ANSWER USER IP PASSWORD - fail unless qpauth answers ANSWER.
expect() {
	_a=$(ask "$2" "$3" "$4") || atf_fail "no connection to qpauth"
	[ "$_a" = "$1" ] ||
	    qp_fail "user $2 from $3: qpauth answered '$_a', want '$1'" log
}

# no_secrets - no password appears in the log or any file qpauth keeps.
no_secrets() {
	for f in log qpasswd.log state/*; do
		[ -f "$f" ] || continue
		for p in "$PW_DEMO" "$PW_BOB" wrong-guess; do
			if grep -F -q -- "$p" "$f"; then
				atf_fail "a password is in $f"
			fi
		done
	done
}

atf_test_case credentials cleanup
credentials_head() {
	atf_set "descr" "good credentials give 0, bad or unknown ones 1," \
	    "over the socket and on fd 3; a broken database is temporary"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/bin/python3"
	atf_set "timeout" "60"
}
credentials_body() {
	setup 1
	atf_check -o inline:"600\n" stat -c %a control/passwd
	atf_check -o inline:"400\n" stat -c %a control/passwd.cdb
	atf_check -o match:'^demo:\$y\$' cat control/passwd
	atf_check -o match:'^bob:\$y\$' cat control/passwd
	start
	expect 0 demo 192.0.2.1 "$PW_DEMO"
	expect 0 DEMO 192.0.2.1 "$PW_DEMO"
	expect 0 bob 192.0.2.1 "$PW_BOB"
	expect 1 bob 192.0.2.2 "$PW_DEMO"
	expect 1 nobody 192.0.2.3 wrong-guess
	expect 1 '../x' 192.0.2.4 wrong-guess
	expect 1 demo 192.0.2.5 "demo-Pa55 wor"
	atf_check -o match:'user=demo ip=192.0.2.1 peer_uid=[0-9]+ peer_pid=[0-9]+ result=ok' cat log
	atf_check -o match:'user=bob ip=192.0.2.2 .*result=bad failures=1' cat log
	atf_check -o match:'user=nobody ip=192.0.2.3 .*result=bad' cat log

	# a malformed request: bad, never a crash
	printf 'demo\0' > req
	atf_check -o inline:"1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(open("req", "rb").read()); s.shutdown(socket.SHUT_WR)
sys.stdout.write(s.recv(1).decode())' "$PWD/sock"

	# checkpassword style, fd 3
	printf 'demo\0%s\0::1\0' "$PW_DEMO" > req
	atf_check -e match:'user=demo ip=::1 result=ok' "$L/qpauth" 3<req
	printf 'demo\0nope\0::2\0' > req
	atf_check -s exit:1 -e match:'result=bad' "$L/qpauth" 3<req
	printf 'demo\0nope' > req
	atf_check -s exit:1 -e match:'malformed' "$L/qpauth" 3<req
	mv control/passwd.cdb control/passwd.cdb.away
	printf 'demo\0%s\0::1\0' "$PW_DEMO" > req
	atf_check -s exit:111 -e match:'result=temp' "$L/qpauth" 3<req
	expect 2 demo 192.0.2.1 "$PW_DEMO"
	mv control/passwd.cdb.away control/passwd.cdb

	# qpasswd -d removes a user; the answer changes at once
	atf_check -e match:'deleted user=bob' "$L/qpasswd" -d bob
	expect 1 bob 192.0.2.6 "$PW_BOB"
	atf_check -s exit:100 -e match:'no user bob' "$L/qpasswd" -d bob
	atf_check -o not-match:'^bob:' cat control/passwd
	expect 0 demo 192.0.2.6 "$PW_DEMO"
	stop
	no_secrets
}
credentials_cleanup() {
	stop
}

atf_test_case delay cleanup
delay_head() {
	atf_set "descr" "each failure is counted per client address and" \
	    "answered only after min(2^failures, authdelay) seconds"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/bin/python3"
	atf_set "timeout" "60"
}
delay_body() {
	setup 2
	start
	t0=$(date +%s%N)
	expect 1 demo 198.51.100.7 wrong-guess
	t1=$(date +%s%N)
	[ $(( (t1 - t0) / 1000000 )) -ge 1900 ] ||
	    atf_fail "first failure answered in under 2 s"
	atf_check -o match:'^1 [0-9]+$' cat state/ip-198.51.100.7
	expect 1 demo 198.51.100.7 wrong-guess
	atf_check -o match:'^2 [0-9]+$' cat state/ip-198.51.100.7
	# another address has its own count, and its success is quick
	t0=$(date +%s%N)
	expect 0 demo 2001:db8::1 "$PW_DEMO"
	t1=$(date +%s%N)
	[ $(( (t1 - t0) / 1000000 )) -lt 1500 ] ||
	    atf_fail "a success from a clean address was delayed"
	test ! -e state/ip-2001_db8__1 || atf_fail "state for a success"
	# while one client waits, another is answered
	ask demo 198.51.100.7 wrong-guess > slow.out &
	slow=$!
	sleep 0.3
	t0=$(date +%s%N)
	expect 0 bob 203.0.113.1 "$PW_BOB"
	t1=$(date +%s%N)
	[ $(( (t1 - t0) / 1000000 )) -lt 1500 ] ||
	    atf_fail "one client's delay held up another"
	wait $slow
	atf_check -o inline:"1\n" cat slow.out
	# a success clears the count
	expect 0 demo 198.51.100.7 "$PW_DEMO"
	test ! -e state/ip-198.51.100.7 || atf_fail "success kept the count"
	stop
	no_secrets
}
delay_cleanup() {
	stop
}

atf_test_case brute_force cleanup
brute_force_head() {
	atf_set "descr" "after authfailmax failures an address is refused" \
	    "unchecked, even with the right password, until it is quiet" \
	    "for authwindow seconds; other addresses are unaffected"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/bin/python3"
	atf_set "timeout" "90"
}
brute_force_body() {
	setup 1 3 3
	start
	for i in 1 2 3; do
		expect 1 demo 192.0.2.66 "wrong-guess$i"
	done
	expect 1 demo 192.0.2.66 "$PW_DEMO"
	atf_check -o match:'user=demo ip=192.0.2.66 .*result=refused failures=3' cat log
	expect 1 bob 192.0.2.66 "$PW_BOB"
	expect 0 demo 192.0.2.67 "$PW_DEMO"
	# refusals keep it locked; quiet for the window frees it
	sleep 4
	expect 0 demo 192.0.2.66 "$PW_DEMO"
	# thirty guesses in parallel: none gets through, most unchecked;
	# a long window, so that no pause of a loaded machine ends it
	stop
	echo 900 > control/authwindow
	start
	i=0
	pids=
	while [ $i -lt 30 ]; do
		ask demo 192.0.2.99 "wrong-guess$i" >> brute.out &
		pids="$pids $!"
		i=$((i + 1))
	done
	# not a bare wait: qpauth itself is a child of this shell
	for p in $pids; do
		wait "$p"
	done
	[ "$(grep -c '^1$' brute.out)" = 30 ] || qp_fail "of 30 parallel" \
	    "guesses, not all were refused: $(sort brute.out | uniq -c |
	    tr '\n' ' ')" log
	n=$(grep -c 'ip=192.0.2.99 .*result=refused' log)
	[ "$n" -ge 10 ] || atf_fail "only $n of 30 parallel guesses refused"
	stop
	no_secrets
}
brute_force_cleanup() {
	stop
}

atf_test_case reaps cleanup
reaps_head() {
	atf_set "descr" "qpauth reaps each finished child while it waits:" \
	    "after a burst of requests an idle qpauth has no zombies"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/bin/python3 ps"
	atf_set "timeout" "60"
}
# zombies - how many children of qpauth are zombies now
zombies() {
	ps -o stat= --ppid "$(cat qpauth.pid)" | grep -c '^Z'
}
no_zombies() {
	[ "$(zombies)" = 0 ]
}
reaps_body() {
	setup
	start
	pids=
	for i in 1 2 3 4 5 6 7 8 9 10; do
		ask demo 203.0.113.$i "$PW_DEMO" >> burst.out &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p"
	done
	[ "$(grep -c '^0$' burst.out)" = 10 ] ||
	    qp_fail "of 10 good requests, not all succeeded" log
	# no request comes now: only SIGCHLD can wake qpauth to reap
	qp_deadline_loop 10 no_zombies ||
	    atf_fail "an idle qpauth keeps $(zombies) zombie children"
	# and it still serves and stops
	expect 0 bob 203.0.113.99 "$PW_BOB"
	stop
}
reaps_cleanup() {
	stop
}

atf_test_case qpasswd_input
qpasswd_input_head() {
	atf_set "descr" "qpasswd takes no password argument, refuses an" \
	    "empty, NUL-holding or over-long one, and bad user names"
	atf_set "require.user" "unprivileged"
}
qpasswd_input_body() {
	L=$(qp_top)/build/libexec
	export QPOST_CONTROL=$PWD/control
	mkdir control
	atf_check -s exit:100 -e match:usage "$L/qpasswd" demo secret
	atf_check -s exit:100 -e match:usage "$L/qpasswd" -p secret demo
	atf_check -s exit:100 -e match:'1 to 256' "$L/qpasswd" demo </dev/null
	printf '\n' > pw
	atf_check -s exit:100 -e match:'1 to 256' "$L/qpasswd" demo <pw
	printf 'a\0b\n' > pw
	atf_check -s exit:100 -e match:'NUL' "$L/qpasswd" demo <pw
	python3 -c 'print("x" * 257)' > pw
	atf_check -s exit:100 -e ignore "$L/qpasswd" demo <pw
	for u in '' '../etc' 'a:b' 'a b' '-d' '.x' 'a@b'; do
		echo pw | atf_check -s exit:100 -e ignore "$L/qpasswd" -- "$u"
	done
	test ! -e control/passwd || atf_fail "a refused run wrote control/passwd"
	echo pw | atf_check -e ignore "$L/qpasswd" demo
	# a hand-edited broken line is reported, the cdb left as it was
	cp control/passwd.cdb good.cdb
	echo 'broken line' >> control/passwd
	echo pw2 | atf_check -s exit:100 -e match:'line 2' "$L/qpasswd" bob
	atf_check cmp control/passwd.cdb good.cdb
}

atf_test_case root_modes cleanup
root_modes_head() {
	atf_set "descr" "as root: passwd and passwd.cdb are qpauth:qpauth" \
	    "0600/0400, unreadable to qpsmtpd and any other uid; qpauth -d" \
	    "runs as qpauth with its socket qpauth:qpsmtpd 0660"
	atf_set "require.user" "root"
	atf_set "require.progs" "/usr/bin/python3 runuser"
	atf_set "timeout" "60"
}
root_modes_body() {
	getent passwd qpauth >/dev/null && getent passwd qpsmtpd >/dev/null ||
	    atf_skip "users qpauth and qpsmtpd missing: run qpost-setup"
	D=$(mktemp -d /tmp/qpauth-test.XXXXXX)
	echo "$D" > tmpdir
	chmod 755 "$D"
	cd "$D"
	setup 1
	atf_check -o inline:"qpauth:qpauth 400\n" \
	    stat -c '%U:%G %a' control/passwd.cdb
	atf_check -o inline:"qpauth:qpauth 600\n" stat -c '%U:%G %a' control/passwd
	for u in qpsmtpd nobody qptest; do
		getent passwd $u >/dev/null || continue
		atf_check -s not-exit:0 -e ignore \
		    runuser -u $u -- cat control/passwd.cdb
		atf_check -s not-exit:0 -e ignore \
		    runuser -u $u -- cat control/passwd
	done
	atf_check -o ignore runuser -u qpauth -- cat control/passwd.cdb
	start
	atf_check -o inline:"qpauth:qpsmtpd 660\n" stat -c '%U:%G %a' sock
	atf_check -o inline:"qpauth\n" ps -o user= -p "$(cat qpauth.pid)"
	atf_check -o inline:"qpauth:qpauth 700\n" stat -c '%U:%G %a' state
	printf '%s\n' "$PW_DEMO" > pw
	chmod 644 pw
	atf_check -o inline:"0\n" runuser -u qpsmtpd -- "$CLIENT" \
	    "$PWD/sock" demo 192.0.2.1 < pw
	atf_check -o match:'result=ok' cat log
	if getent passwd nobody >/dev/null; then
		atf_check -s not-exit:0 -o ignore -e ignore runuser -u nobody \
		    -- "$CLIENT" "$PWD/sock" demo 192.0.2.1 < pw
	fi
	stop
	no_secrets
}
root_modes_cleanup() {
	if [ -f tmpdir ]; then
		D=$(cat tmpdir)
		[ -f "$D/qpauth.pid" ] && kill "$(cat "$D/qpauth.pid")"
		case $D in /tmp/qpauth-test.*) rm -rf "$D" ;; esac
	fi
}

atf_init_test_cases() {
	atf_add_test_case credentials
	atf_add_test_case delay
	atf_add_test_case brute_force
	atf_add_test_case reaps
	atf_add_test_case qpasswd_input
	atf_add_test_case root_modes
}
