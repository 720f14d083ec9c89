#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# smtpd -L started as root, as a supervisor would start it for port
# 25: once bound, the listener runs as qpsmtpd, with no capability and
# no system call filter of its own; its acceptor and each session the
# acceptor forks are qpsmtpd and under the acceptor's filter, and the
# session cannot fork.  Needs root and the system accounts (qpost-setup
# makes them): alone in its Kyuafile.

. "$(atf_get_srcdir)/../lib.sh"

# field PID NAME - a line of /proc/PID/status without its name.
field() {
	awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' \
	    "/proc/$1/status"
}

# expect_field PID NAME VALUE - a line of /proc/PID/status is VALUE.
expect_field() {
	_v=$(field "$1" "$2")
	[ "$_v" = "$3" ] || atf_fail "pid $1 ($(cat "/proc/$1/comm")): $2" \
	    "is '$_v', not '$3'"
}

# gone PID - PID has ended (a zombie counts as ended).
gone() {
	! qp_alive "$1"
}

atf_test_case dropped cleanup
dropped_head() {
	atf_set "descr" "started as root, the listener is qpsmtpd once it" \
	    "has bound; its sessions are qpsmtpd and sandboxed"
	atf_set "require.user" "root"
	atf_set "timeout" "60"
}
dropped_body() {
	base=$(mktemp -d /tmp/qp-listen.XXXXXX) || atf_fail "mktemp failed"
	echo "$base" > base
	chmod 0755 "$base"
	atf_check -o ignore -e ignore sh "$(qp_top)/control/qpost-setup" \
	    -c "$base/control" -q "$base/queue"
	u=$(id -u qpsmtpd) g=$(id -g qpsmtpd)
	port=$(qp_free_port) || atf_fail "no free port"
	(
		QPOST_CONTROL=$base/control QPOST_QUEUE=$base/queue \
		    QPOST_LIBEXEC=$(qp_top)/build/libexec \
		    "$(qp_top)/build/libexec/smtpd" -L "127.0.0.1:$port" \
		    </dev/null >/dev/null 2>>"$base/smtpd.log" &
		echo $! > "$base/listen.pid"
	)
	pid=$(cat "$base/listen.pid")
	qp_wait_file_match "$base/smtpd.log" \
	    "listen address=127\\.0\\.0\\.1:$port " 10
	expect_field "$pid" Uid "$u $u $u $u"
	expect_field "$pid" Gid "$g $g $g $g"
	expect_field "$pid" Groups "$g"
	expect_field "$pid" CapEff 0000000000000000
	expect_field "$pid" Seccomp 0

	# a session: greeted, then looked at while it waits for a command
	/usr/bin/python3 - "$port" <<'PY' > client.out 2>&1 &
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
if not s.recv(512).startswith(b"220 "):
    sys.exit("no greeting")
open("ready", "w").close()
end = time.monotonic() + 30
while not os.path.exists("go") and time.monotonic() < end:
    time.sleep(0.05)
s.sendall(b"QUIT\r\n")
if not s.recv(512).startswith(b"221 "):
    sys.exit("no 221")
print("ok")
PY
	client=$!
	qp_deadline_loop 30 test -f ready || qp_fail "no greeting" client.out
	# the acceptor, under its filter; the session, its child, under the
	# same one, inherited, and unable to fork
	acc=$(ps -o pid=,comm= --ppid "$pid" |
	    awk '$2 == "smtpd-accept" { print $1 }')
	[ -n "$acc" ] || atf_fail "no acceptor under the listener"
	expect_field "$acc" Uid "$u $u $u $u"
	expect_field "$acc" CapEff 0000000000000000
	expect_field "$acc" Seccomp 2
	kid=$(ps -o pid=,comm= --ppid "$acc" | awk '$2 == "smtpd" { print $1 }')
	[ -n "$kid" ] || atf_fail "no session process under the acceptor"
	expect_field "$kid" Uid "$u $u $u $u"
	expect_field "$kid" Gid "$g $g $g $g"
	expect_field "$kid" Seccomp 2
	expect_field "$kid" Seccomp_filters 1
	expect_field "$kid" NoNewPrivs 1
	qp_sanitized || grep -q '^Max processes  *0  *0 ' "/proc/$kid/limits" ||
	    atf_fail "the session may fork: $(grep processes "/proc/$kid/limits")"
	# the queue runner the sessions share: the same ids, no privilege
	runner=$(ps -o pid=,comm= --ppid "$pid" |
	    awk '$2 == "smtpd-runner" { print $1 }')
	[ -n "$runner" ] || atf_fail "no queue runner under the listener"
	expect_field "$runner" Uid "$u $u $u $u"
	expect_field "$runner" Gid "$g $g $g $g"
	expect_field "$runner" CapEff 0000000000000000
	touch go
	wait "$client" || qp_fail "the session did not end well" client.out
	kill -TERM "$pid"
	qp_deadline_loop 10 gone "$pid" || atf_fail "the listener outlived" \
	    "SIGTERM"
	qp_sanitizer_check "$base/smtpd.log"
}
dropped_cleanup() {
	[ -s base ] || return 0
	base=$(cat base)
	pid=$(cat "$base/listen.pid" 2>/dev/null)
	[ -n "$pid" ] && qp_alive "$pid" && qp_ours "$pid" && kill -TERM "$pid"
	qp_stop_sessions "$base"
	rm -rf "$base"
	return 0
}

atf_init_test_cases() {
	atf_add_test_case dropped
}
