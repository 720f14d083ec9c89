#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# smtpd -L (smtpd/smtpd_listen.c): smtpd's own listener, which forks
# itself per connection instead of tcpserver's fork and exec.  One
# instance, several listeners on it, real clients (smtplib): mail
# arrives and names the client; each session sees the variables
# tcpserver would set (a control/filter writes down what qinject got);
# two sessions at once are two processes, each with its own log id;
# -c 1 keeps a second client waiting until the first ends; IPv6 on
# [::1] where there is one, and an IPv4 client of an IPv6 socket named
# as IPv4; SIGTERM ends the listener and not the
# sessions it started.

. "$(atf_get_srcdir)/../lib.sh"

# envdump - control/filter: the variables qinject got from the session
# into f/env.TCPREMOTEPORT and its scheduling policy (sched(7)'s number)
# into f/policy.TCPREMOTEPORT, then the message queued as usual.
envdump() {
	mkdir -p "$PWD/f"
	cat > "$PWD/f/envdump" <<'EOF'
#! /bin/sh
env | grep -E '^(PROTO|TCP[A-Z6]*)=' | LC_ALL=C sort > "$(dirname "$0")/env.$TCPREMOTEPORT"
sed 's/.*) //' /proc/$$/stat | cut -d' ' -f39 > "$(dirname "$0")/policy.$TCPREMOTEPORT"
exec "$QPOST_QINJECT" -Q
EOF
	chmod 755 "$PWD/f/envdump"
	echo "$PWD/f/envdump" > "$QPOST_CONTROL/filter"
}

# send HOST PORT ID - one message (X-Test-Id ID) to alice with smtplib;
# prints the client's own port.
send() {
	/usr/bin/python3 - "$@" <<'PY'
import smtplib, sys
host, port, tid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = smtplib.SMTP(host, port, local_hostname="client.test", timeout=30)
me = s.sock.getsockname()[1]
s.sendmail("sender@example.test", ["alice@example.test"],
    "Subject: %s\r\nMessage-ID: <%s@client.test>\r\nX-Test-Id: %s\r\n"
    "\r\nbody %s\r\n" % (tid, tid, tid, tid))
s.quit()
print(me)
PY
}

# delivered ID - the file in alice's Maildir with X-Test-Id ID.
delivered() {
	qp_deadline_loop 30 sh -c "grep -l -x 'X-Test-Id: $1' \
	    '$QP_DIR'/home/alice/Maildir/new/* >/dev/null 2>&1" ||
	    qp_fail "message $1 not delivered in 30 s"
	grep -l -x "X-Test-Id: $1" "$QP_DIR"/home/alice/Maildir/new/* |
	    head -n 1
}

# expect_env PORT TEXT - what the session of the client on PORT passed
# on is TEXT, exactly.
expect_env() {
	printf '%s\n' "$2" > env.want
	atf_check -o file:env.want cat "f/env.$1"
}

# gone PID - PID has ended (a zombie counts as ended).
gone() {
	! qp_alive "$1"
}

# main_listener - an instance, sched, and smtpd -L on 127.0.0.1 named
# main: its port in $port, its pid in $main
main_listener() {
	qp_smtpd_instance "$PWD/inst"
	qp_start
	qp_smtpd_listen main 127.0.0.1
	port=$(cat main.port)
	main=$(cat main.pid)
}

# child PID COMM - the pids of PID's children named COMM
child() {
	ps -o pid=,comm= --ppid "$1" | awk -v c="$2" '$2 == c { print $1 }'
}

# acceptors PID, runners PID, sessions PID - the listener PID's acceptor
# (smtpd-accept) and queue runner (smtpd-runner), its children; the
# sessions (smtpd), the acceptor's
acceptors() {
	child "$1" smtpd-accept
}
runners() {
	child "$1" smtpd-runner
}
sessions() {
	for a in $(acceptors "$1"); do
		child "$a" smtpd
	done
}

# status_of PID FIELD - a field of /proc/PID/status (Seccomp: 0 none,
# 2 a filter; Seccomp_filters: how many are stacked)
status_of() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

atf_test_case listener cleanup
listener_head() {
	atf_set "descr" "smtpd -L: delivery naming the client, tcpserver's" \
	    "variables, a process per session, -c, IPv6, SIGTERM"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
listener_body() {
	qp_smtpd_instance "$PWD/inst"
	envdump
	qp_start
	# what a listener may inherit must not reach its sessions
	export PROTO=UDP TCPREMOTEIP=192.0.2.1 TCPREMOTEHOST=stale.test \
	    TCPREMOTEINFO=ident
	qp_smtpd_listen main 127.0.0.1
	unset PROTO TCPREMOTEIP TCPREMOTEHOST TCPREMOTEINFO
	port=$(cat main.port)
	main=$(cat main.pid)
	atf_check -o inline:"smtpd-listen\n" cat "/proc/$main/comm"

	# 1. a message: delivered, the client named in Received: and the
	# log, the variables as tcpserver -R -H sets them
	cport=$(send 127.0.0.1 "$port" v4) || atf_fail "smtplib failed"
	f=$(delivered v4)
	atf_check -o match:'^Received: from client\.test \(unknown \[127\.0\.0\.1\]\)' \
	    cat "$f"
	atf_check -o match:"session=[0-9]* connect ip=127\\.0\\.0\\.1 host=unknown" \
	    cat "$QP_DIR/smtpd.log"
	expect_env "$cport" "PROTO=TCP
TCPLOCALIP=127.0.0.1
TCPLOCALPORT=$port
TCPREMOTEIP=127.0.0.1
TCPREMOTEPORT=$cport"
	# the listener's tree runs under SCHED_BATCH (lib/batch.c): down
	# to the filter its session's qinject ran
	atf_check -o inline:"3\n" cat "f/policy.$cport"
	qp_expect_policy "$main" 3

	# 2. two sessions at once: both greeted while both are open, two
	# children of the listener's acceptor (beside the queue runner they
	# share, the listener's), each its own session= in the log
	/usr/bin/python3 - "$port" <<'PY' > two.out 2>&1 &
import os, socket, sys, time
port = int(sys.argv[1])
ss = [socket.create_connection(("127.0.0.1", port), timeout=30)
      for i in range(2)]
for s in ss:
    if not s.recv(512).startswith(b"220 "):
        sys.exit("no greeting")
open("two.ready", "w").close()
end = time.monotonic() + 30
while not os.path.exists("two.go"):
    if time.monotonic() > end:
        sys.exit("no go")
    time.sleep(0.05)
# the listener is gone by now: the sessions answer on their own
for s in ss:
    s.sendall(b"QUIT\r\n")
    if not s.recv(512).startswith(b"221 "):
        sys.exit("no 221 after the listener ended")
print("ok")
PY
	two=$!
	qp_deadline_loop 30 test -f two.ready || qp_fail "two sessions: no" \
	    "greetings" two.out
	kids=$(sessions "$main")
	atf_check -o inline:"2\n" sh -c "echo '$kids' | sort -u | grep -c ."
	runner=$(runners "$main")
	atf_check -o inline:"1\n" sh -c "echo '$runner' | grep -c ."
	for k in $kids; do
		qp_wait_file_match "$QP_DIR/smtpd.log" \
		    "session=$k connect ip=127\\.0\\.0\\.1 " 10
	done
	# the acceptor is under its filter and each session under that
	# one, inherited, not one of its own; the listener and the runner
	# (which runs qinject) under none; no session may fork
	acc=$(acceptors "$main")
	[ "$(status_of "$acc" Seccomp)" = 2 ] ||
	    atf_fail "the acceptor $acc is not under a filter"
	for p in "$main" "$runner"; do
		[ "$(status_of "$p" Seccomp)" = 0 ] ||
		    atf_fail "process $p ($(cat /proc/$p/comm)) is filtered"
	done
	for k in $kids; do
		[ "$(status_of "$k" Seccomp_filters)" = 1 ] ||
		    atf_fail "session $k has $(status_of "$k" Seccomp_filters)" \
		    "filters, not the acceptor's one"
		qp_sanitized || grep -q '^Max processes  *0  *0 ' \
		    "/proc/$k/limits" ||
		    atf_fail "session $k may fork: $(grep processes \
		    "/proc/$k/limits")"
	done

	# 3. SIGTERM, with the two still open: the listener ends, the port
	# closes, the sessions go on and answer QUIT
	kill -TERM "$main"
	qp_deadline_loop 10 gone "$main" ||
	    atf_fail "the listener did not end on SIGTERM"
	qp_wait_file_match "$QP_DIR/smtpd.log" "listen stopped sessions=2" 5
	qp_port_open 127.0.0.1 "$port" && atf_fail "port $port still open"
	for k in $kids; do
		qp_alive "$k" || atf_fail "session $k ended with the listener"
	done
	qp_alive "$runner" || atf_fail "the runner ended with the listener"
	touch two.go
	wait "$two" || qp_fail "the sessions after SIGTERM" two.out
	for k in $kids; do
		qp_wait_file_match "$QP_DIR/smtpd.log" \
		    "session=$k ip=127\\.0\\.0\\.1 end messages=0" 10
	done
	# with the listener and its sessions gone, the runner ends too
	qp_deadline_loop 10 gone "$runner" ||
	    atf_fail "the runner outlived the listener and its sessions"

	# 4. -c 1: a second client waits (no greeting in a second) until
	# the first ends, then is served
	qp_smtpd_listen one 127.0.0.1 -c 1
	atf_check -o inline:"ok\n" /usr/bin/python3 - "$(cat one.port)" <<'PY'
import socket, sys
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port), timeout=30)
if not a.recv(512).startswith(b"220 "):
    sys.exit("a: no greeting")
b = socket.create_connection(("127.0.0.1", port), timeout=30)
b.settimeout(1)
try:
    sys.exit("b greeted while a runs: %r" % b.recv(512))
except socket.timeout:
    pass
a.sendall(b"QUIT\r\n")
a.recv(512)
a.close()
b.settimeout(30)
if not b.recv(512).startswith(b"220 "):
    sys.exit("b: no greeting after a ended")
b.sendall(b"QUIT\r\n")
b.recv(512)
print("ok")
PY
	atf_check -o match:"listen: at the limit of 1 sessions at once" \
	    cat "$QP_DIR/smtpd.log"

	# 5. IPv6, where there is a ::1
	if qp_has_ipv6; then
		qp_smtpd_listen six ::1
		cport=$(send ::1 "$(cat six.port)" v6) ||
		    atf_fail "smtplib over IPv6 failed"
		f=$(delivered v6)
		atf_check -o match:'^Received: from client\.test \(unknown \[::1\]\)' \
		    cat "$f"
		expect_env "$cport" "PROTO=TCP6
TCPLOCALIP=::1
TCPLOCALPORT=$(cat six.port)
TCPREMOTEIP=::1
TCPREMOTEPORT=$cport"
		# an IPv6 socket's IPv4 client (as "[::]:25" takes them) is
		# named as IPv4, as tcpserver names it: no ::ffff: prefix
		qp_smtpd_listen mapped ::ffff:127.0.0.1
		cport=$(send 127.0.0.1 "$(cat mapped.port)" mapped) ||
		    atf_fail "smtplib to an IPv4-mapped listener failed"
		f=$(delivered mapped)
		atf_check -o match:'^Received: from client\.test \(unknown \[127\.0\.0\.1\]\)' \
		    cat "$f"
		expect_env "$cport" "PROTO=TCP
TCPLOCALIP=127.0.0.1
TCPLOCALPORT=$(cat mapped.port)
TCPREMOTEIP=127.0.0.1
TCPREMOTEPORT=$cport"
	else
		echo "no IPv6 loopback here: the IPv6 check skipped" >&2
	fi
	qp_stop "$QP_DIR"
}
listener_cleanup() {
	qp_stop
}

atf_test_case tls cleanup
tls_head() {
	atf_set "descr" "smtpd -L with a certificate: STARTTLS and implicit" \
	    "TLS (-s) sessions load the key and handshake under the" \
	    "acceptor's filter, and their messages are delivered"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
tls_body() {
	qp_smtpd_instance "$PWD/inst"
	qp_mkcert "$QPOST_CONTROL"
	qp_start
	qp_smtpd_listen plain 127.0.0.1
	qp_smtpd_listen implicit 127.0.0.1 -s
	atf_check -o inline:"ok\n" /usr/bin/python3 - "$(cat plain.port)" \
	    "$(cat implicit.port)" <<'PY'
import smtplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def message(tid):
    return ("Subject: %s\r\nX-Test-Id: %s\r\n\r\nbody\r\n" % (tid, tid))
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.test",
    timeout=30)
s.starttls(context=ctx)
s.sendmail("sender@example.test", ["alice@example.test"], message("starttls"))
s.quit()
s = smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[2]),
    local_hostname="client.test", timeout=30, context=ctx)
s.sendmail("sender@example.test", ["alice@example.test"], message("implicit"))
s.quit()
print("ok")
PY
	for t in starttls implicit; do
		atf_check -o match:"with ESMTPS \(TLSv1\.[23]:" cat "$(delivered "$t")"
	done
	atf_check -s exit:1 grep "killed by signal" "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
}
tls_cleanup() {
	qp_stop
}

atf_test_case per_client cleanup
per_client_head() {
	atf_set "descr" "smtpd -L -C 2: a client's third session at once gets" \
	    "421 and a log line, and no session; another client is served" \
	    "meanwhile; once one of the two ends, the first is served again"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
per_client_body() {
	qp_smtpd_instance "$PWD/inst"
	qp_start
	qp_smtpd_listen cap 127.0.0.1 -C 2
	atf_check -o match:"listen address=127\.0\.0\.1:[0-9]* max=100 nice=[0-9]* perclient=2" \
	    cat "$QP_DIR/smtpd.log"
	atf_check -o inline:"ok\n" /usr/bin/python3 - "$(cat cap.port)" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
busy = (b"421 4.7.0 Too many sessions from your address at once, "
        b"try again later\r\n")

def connect(src="127.0.0.1"):
    return socket.create_connection(("127.0.0.1", port), timeout=30,
                                    source_address=(src, 0))

def line(s):
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = s.recv(512)
        if not chunk:
            break
        data += chunk
    return data

def quit(s):
    s.sendall(b"QUIT\r\n")
    if not line(s).startswith(b"221 "):
        sys.exit("no 221")
    s.close()

a, b = connect(), connect()
for s in (a, b):
    g = line(s)
    if not g.startswith(b"220 "):
        sys.exit("no greeting: %r" % g)
c = connect()
g = line(c)
if g != busy:
    sys.exit("the third session at once got %r" % g)
if c.recv(512) != b"":
    sys.exit("the third session was not closed after its 421")
d = connect("127.0.0.2")
g = line(d)
if not g.startswith(b"220 "):
    sys.exit("127.0.0.2, another client, got %r" % g)
quit(a)
# served again once the acceptor has reaped a's session
end = time.monotonic() + 10
while True:
    e = connect()
    g = line(e)
    if g.startswith(b"220 "):
        break
    if g != busy or time.monotonic() > end:
        sys.exit("127.0.0.1 after one of its sessions ended: %r" % g)
    e.close()
    time.sleep(0.05)
for s in (b, d, e):
    quit(s)
print("ok")
PY
	atf_check -o match:"listen: ip=127\.0\.0\.1 has 2 sessions, the most from one client \(-C\): connection refused with 421" \
	    cat "$QP_DIR/smtpd.log"
	# a, b, d and e: a refused connection had no session of its own
	atf_check -o inline:"4\n" grep -c "session=[0-9]* connect ip=" \
	    "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
}
per_client_cleanup() {
	qp_stop
}

atf_test_case rate cleanup
rate_head() {
	atf_set "descr" "smtpd -L -R 3: a client's fourth connection in a" \
	    "minute gets 421 and a log line, and no session, though its" \
	    "first three have ended; another client is served"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
rate_body() {
	qp_smtpd_instance "$PWD/inst"
	qp_start
	qp_smtpd_listen fast 127.0.0.1 -R 3
	atf_check -o match:"listen address=127\.0\.0\.1:[0-9]* max=100 nice=[0-9]* perclient=0 rate=3\$" \
	    cat "$QP_DIR/smtpd.log"
	atf_check -o inline:"ok\n" /usr/bin/python3 - "$(cat fast.port)" <<'PY'
import socket, sys
port = int(sys.argv[1])
fast = (b"421 4.7.0 Too many connections from your address, "
        b"try again later\r\n")

def greeting(src):
    s = socket.create_connection(("127.0.0.1", port), timeout=30,
                                 source_address=(src, 0))
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = s.recv(512)
        if not chunk:
            break
        data += chunk
    return s, data

for i in range(3):
    s, g = greeting("127.0.0.1")
    if not g.startswith(b"220 "):
        sys.exit("connection %d got %r" % (i + 1, g))
    s.sendall(b"QUIT\r\n")
    s.recv(512)
    s.close()
s, g = greeting("127.0.0.1")
if g != fast:
    sys.exit("the fourth connection in a minute got %r" % g)
if s.recv(512) != b"":
    sys.exit("the fourth connection was not closed after its 421")
s, g = greeting("127.0.0.2")
if not g.startswith(b"220 "):
    sys.exit("127.0.0.2, another client, got %r" % g)
s.close()
print("ok")
PY
	atf_check -o match:"listen: ip=127\.0\.0\.1 opened more than 3 connections in a minute \(-R\): connection refused with 421" \
	    cat "$QP_DIR/smtpd.log"
	# three and one: the refused connection had no session of its own
	atf_check -o inline:"4\n" grep -c "session=[0-9]* connect ip=" \
	    "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
}
rate_cleanup() {
	qp_stop
}

atf_test_case usage
usage_head() {
	atf_set "descr" "-L without a port or with a bad address, -c or -C" \
	    "out of range or without -L, -l with -L: usage errors, exit 100"
	atf_set "require.user" "unprivileged"
}
usage_body() {
	s=$(qp_top)/build/libexec/smtpd
	atf_check -s exit:100 -e match:"no port" "$s" -L 127.0.0.1
	atf_check -s exit:100 -e match:"in brackets" "$s" -L ::1:25
	atf_check -s exit:100 -e match:"not an IPv4 address" "$s" -L x.test:25
	atf_check -s exit:100 -e match:"1 to 65535" "$s" -c 0 -L 127.0.0.1:25
	atf_check -s exit:100 -e match:"1 to 65535" "$s" -c 5x -L 127.0.0.1:25
	atf_check -s exit:100 -e match:usage "$s" -c 5
	atf_check -s exit:100 -e match:"-C 0: .* 1 to 65535" \
	    "$s" -C 0 -L 127.0.0.1:25
	atf_check -s exit:100 -e match:usage "$s" -C 5
	atf_check -s exit:100 -e match:"-R 0: .* 1 to 65535" \
	    "$s" -R 0 -L 127.0.0.1:25
	atf_check -s exit:100 -e match:usage "$s" -R 5
	atf_check -s exit:100 -e match:"do not go together" \
	    "$s" -l -L 127.0.0.1:25
	atf_check -o match:"-L address:port" "$s" -h
}

atf_test_case runner cleanup
runner_head() {
	atf_set "descr" "smtpd -L: the sessions share one queue runner, the" \
	    "listener's child; killed, it is replaced for the next session," \
	    "and a session that had it gets 451 for its message, which is" \
	    "not delivered"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
runner_body() {
	main_listener
	r1=$(runners "$main")
	[ -n "$r1" ] || atf_fail "no queue runner beside the listener"
	send 127.0.0.1 "$port" s1 >/dev/null || atf_fail "smtplib failed"
	send 127.0.0.1 "$port" s2 >/dev/null || atf_fail "smtplib failed"
	delivered s1 >/dev/null
	delivered s2 >/dev/null
	[ "$(runners "$main")" = "$r1" ] ||
	    atf_fail "two sessions, not one runner: $(runners "$main")"

	# a session with its recipient given when the runner dies
	/usr/bin/python3 - "$port" <<'PY' > open.out 2>&1 &
import os, smtplib, sys, time
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.test",
    timeout=30)
s.ehlo()
if s.mail("sender@example.test")[0] != 250 or \
        s.rcpt("alice@example.test")[0] != 250:
    sys.exit("MAIL or RCPT refused")
open("open.ready", "w").close()
end = time.monotonic() + 30
while not os.path.exists("open.go") and time.monotonic() < end:
    time.sleep(0.05)
code, _ = s.docmd("DATA")
if code == 354:
    s.send(b"X-Test-Id: cut\r\n\r\nbody\r\n.\r\n")
    code, _ = s.getreply()
print(code)
PY
	open=$!
	qp_deadline_loop 30 test -f open.ready ||
	    qp_fail "the open session did not start" open.out
	kill -KILL "$r1"
	qp_deadline_loop 10 gone "$r1" || atf_fail "the runner did not end"
	touch open.go
	wait "$open" || qp_fail "the open session failed" open.out
	atf_check -o match:"^4[0-9][0-9]\$" cat open.out

	# the next session: another runner, and its message delivered
	send 127.0.0.1 "$port" s3 >/dev/null || atf_fail "smtplib failed"
	delivered s3 >/dev/null
	r2=$(runners "$main")
	[ -n "$r2" ] && [ "$r2" != "$r1" ] ||
	    atf_fail "no new runner after the first was killed: '$r2'"
	atf_check -o match:"the queue runner ended" \
	    -o match:"the queue runner has gone: starting another" \
	    cat "$QP_DIR/smtpd.log"
	atf_check -s exit:1 sh -c "grep -l -x 'X-Test-Id: cut' \
	    '$QP_DIR'/home/alice/Maildir/new/*"
}
runner_cleanup() {
	qp_stop
}

atf_test_case acceptor cleanup
acceptor_head() {
	atf_set "descr" "smtpd -L: the acceptor, killed with a session open," \
	    "is started again by the listener; the open session finishes," \
	    "the next is served by the new acceptor with the same runner"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
acceptor_body() {
	main_listener
	a1=$(acceptors "$main")
	r1=$(runners "$main")
	[ -n "$a1" ] && [ -n "$r1" ] || atf_fail "no acceptor or runner"
	/usr/bin/python3 - "$port" <<'PY' > open.out 2>&1 &
import os, smtplib, sys, time
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.test",
    timeout=30)
s.ehlo()
open("open.ready", "w").close()
end = time.monotonic() + 30
while not os.path.exists("open.go") and time.monotonic() < end:
    time.sleep(0.05)
s.sendmail("sender@example.test", ["alice@example.test"],
    "X-Test-Id: open\r\n\r\nbody\r\n")
s.quit()
print("ok")
PY
	open=$!
	qp_deadline_loop 30 test -f open.ready ||
	    qp_fail "the open session did not start" open.out
	kill -KILL "$a1"
	_new_acceptor() {
		a2=$(acceptors "$main")
		[ -n "$a2" ] && [ "$a2" != "$a1" ]
	}
	qp_deadline_loop 10 _new_acceptor || atf_fail "no new acceptor"
	touch open.go
	wait "$open" || qp_fail "the open session failed" open.out
	delivered open >/dev/null
	send 127.0.0.1 "$port" next >/dev/null || atf_fail "smtplib failed"
	delivered next >/dev/null
	[ "$(runners "$main")" = "$r1" ] ||
	    atf_fail "the runner changed: $(runners "$main")"
	atf_check -o match:"listen: the acceptor ended by signal 9: starting another" \
	    cat "$QP_DIR/smtpd.log"
}
acceptor_cleanup() {
	qp_stop
}

# anon_kb PID - the KiB of PID's private memory (its heap, its stack)
# in RAM: status, since the runner is not dumpable and its smaps is
# root's alone
anon_kb() {
	awk '$1 == "RssAnon:" { print $2 }' "/proc/$1/status"
}

# send_many HOST PORT N - N messages, one session each, one after another
send_many() {
	/usr/bin/python3 - "$@" <<'PY'
import smtplib, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    s = smtplib.SMTP(host, port, local_hostname="client.test", timeout=30)
    s.sendmail("sender@example.test", ["alice@example.test"],
        "Subject: many %d\r\n\r\nbody\r\n" % i)
    s.quit()
PY
}

# nice_of PID - the niceness of PID
nice_of() {
	ps -o ni= -p "$1" | tr -d ' '
}

atf_test_case nice cleanup
nice_head() {
	atf_set "descr" "smtpd -L runs nicer than its caller (5 by default," \
	    "-n to choose, 0 to keep it), and so do its runner, its sessions" \
	    "and the qinject they start, while sched stays as it was started"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
nice_body() {
	qp_smtpd_instance "$PWD/inst"
	qp_start
	base=$(nice_of $$)
	mkdir -p "$PWD/f"
	cat > "$PWD/f/nicedump" <<'EOF'
#! /bin/sh
ps -o ni= -p $$ | tr -d ' ' > "$(dirname "$0")/nice.$TCPREMOTEPORT"
exec "$QPOST_QINJECT" -Q
EOF
	chmod 755 "$PWD/f/nicedump"
	echo "$PWD/f/nicedump" > "$QPOST_CONTROL/filter"

	qp_smtpd_listen main 127.0.0.1
	main=$(cat main.pid)
	[ "$(nice_of "$main")" = $((base + 5)) ] ||
	    atf_fail "the listener's niceness is $(nice_of "$main"), not" \
	    "$((base + 5))"
	[ "$(nice_of "$(runners "$main")")" = $((base + 5)) ] ||
	    atf_fail "the runner is not as nice as its listener"
	line="listen address=127\.0\.0\.1:$(cat main.port) max=100"
	atf_check -o match:"$line nice=$((base + 5)) perclient=0 rate=0\$" \
	    cat "$QP_DIR/smtpd.log"
	p=$(send 127.0.0.1 "$(cat main.port)" n1) || atf_fail "smtplib failed"
	delivered n1 >/dev/null
	[ "$(cat "f/nice.$p")" = $((base + 5)) ] ||
	    atf_fail "qinject's filter ran at niceness $(cat "f/nice.$p")"
	for pid in $(cat "$QP_DIR/pids"); do
		[ "$(ps -o comm= -p "$pid")" = sched ] || continue
		[ "$(nice_of "$pid")" = "$base" ] ||
		    atf_fail "sched's niceness changed: $(nice_of "$pid")"
	done

	qp_smtpd_listen keep 127.0.0.1 -n 0
	[ "$(nice_of "$(cat keep.pid)")" = "$base" ] ||
	    atf_fail "-n 0 changed the niceness"
	p=$(send 127.0.0.1 "$(cat keep.port)" n2) || atf_fail "smtplib failed"
	delivered n2 >/dev/null
	[ "$(cat "f/nice.$p")" = "$base" ] ||
	    atf_fail "with -n 0, qinject's filter ran at $(cat "f/nice.$p")"

	atf_check -s exit:100 -e match:"-n 20: give how much nicer" \
	    "$QPOST_LIBEXEC/smtpd" -L 127.0.0.1:1 -n 20
	atf_check -s exit:100 -e match:"usage" "$QPOST_LIBEXEC/smtpd" -n 3
}
nice_cleanup() {
	qp_stop
}

atf_test_case runner_memory cleanup
runner_memory_head() {
	atf_set "descr" "smtpd -L: the shared queue runner's memory does not" \
	    "grow with the sessions it serves (each has its own client port," \
	    "which glibc's setenv would have kept for ever)"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
runner_memory_body() {
	qp_plain_only "it reads the runner's heap, which ASan replaces"
	main_listener
	r=$(runners "$main")
	[ -n "$r" ] || atf_fail "no queue runner beside the listener"
	send_many 127.0.0.1 "$port" 20 || atf_fail "smtplib failed"
	before=$(anon_kb "$r")
	send_many 127.0.0.1 "$port" 400 || atf_fail "smtplib failed"
	[ "$(runners "$main")" = "$r" ] ||
	    atf_fail "the runner changed during the sessions"
	after=$(anon_kb "$r")
	echo "runner memory: $before KiB after 20 sessions, $after after 420"
	[ "$after" -le $((before + 8)) ] ||
	    atf_fail "the runner's memory grew from $before to $after KiB in" \
	    "400 sessions"
}
runner_memory_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case acceptor
	atf_add_test_case listener
	atf_add_test_case nice
	atf_add_test_case per_client
	atf_add_test_case rate
	atf_add_test_case runner
	atf_add_test_case runner_memory
	atf_add_test_case tls
	atf_add_test_case usage
}
