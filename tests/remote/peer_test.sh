#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# peer: tests/remote/hostile_peer.py, the SMTP server the remote
# sender's tests talk to, does what its header says: in mode good it is
# a correct ESMTP server for real clients (swaks plain, pipelined and
# with HELO; Python's smtplib with STARTTLS) and stores each message as
# it came; each hostile mode misbehaves exactly as documented; the mode
# is read afresh for each connection; connections are served at once;
# SIGTERM stops it and its connections.  Every peer a case starts is
# stopped by its pid, in the body and again in the cleanup.

. "$(atf_get_srcdir)/../lib.sh"

# peer_start DIR [ARGS...] - start the peer on a free loopback port with
# DIR as its folder, wait (20 s) for DIR/ready; sets PEER_PORT, PEER_PID.
peer_start() {
	_pd=$1
	shift
	mkdir -p "$_pd"
	rm -f "$_pd/ready"	# a stopped peer's, which would say ready now
	echo "$_pd" >> "$PWD/.peers"
	(
		/usr/bin/python3 "$(atf_get_srcdir)/hostile_peer.py" \
		    --listen 127.0.0.1:0 --dir "$_pd" "$@" </dev/null \
		    >>"$_pd/stderr" 2>&1 &
		echo $! > "$_pd/started.pid"
	)
	PEER_PID=$(cat "$_pd/started.pid")
	_peer_ready() {
		[ -e "$_pd/ready" ] && return 0
		qp_alive "$PEER_PID" || qp_fail "the peer exited" "$_pd/stderr"
		return 1
	}
	qp_deadline_loop 20 _peer_ready ||
	    qp_fail "the peer is not ready after 20 s" "$_pd/stderr"
	[ "$(cat "$_pd/pid")" = "$PEER_PID" ] ||
	    atf_fail "DIR/pid says $(cat "$_pd/pid"), we started $PEER_PID"
	PEER_PORT=$(cat "$_pd/port")
	# for the Python clients (c.py) the cases write
	PORT=$PEER_PORT TOP=$(qp_top) PYTHONDONTWRITEBYTECODE=1
	export PORT TOP PYTHONDONTWRITEBYTECODE
}

# peer_is_ours PID DIR - PID runs hostile_peer.py on DIR (not a recycled pid).
peer_is_ours() {
	tr '\0' '\n' < "/proc/$1/cmdline" 2>/dev/null | grep -qxF "$2"
}

# peer_stop DIR - TERM the peer of DIR, wait (10 s, then KILL).
peer_stop() {
	_sp=$(cat "$1/started.pid" 2>/dev/null) || return 0
	qp_alive "$_sp" && peer_is_ours "$_sp" "$1" || return 0
	kill -TERM "$_sp"
	_peer_gone() {
		! qp_alive "$_sp"
	}
	qp_deadline_loop 10 _peer_gone && return 0
	echo "peer_stop: $1: still running after TERM, sending KILL" >&2
	kill -KILL "$_sp"
	qp_deadline_loop 5 _peer_gone
}

# peer_stop_all - for cleanups: every peer this work directory started.
peer_stop_all() {
	[ -f "$PWD/.peers" ] || return 0
	for _d in $(sort -u "$PWD/.peers"); do
		peer_stop "$_d"
	done
}

# mode DIR WORD - what the next connection does (written, then renamed).
mode() {
	echo "$2" > "$1/mode.new" && mv "$1/mode.new" "$1/mode"
}

# dialog DIR SCRIPT - play SCRIPT (tests/smtp_dialog.py) against the
# peer of DIR; on a mismatch, fail with the transcript and the peer's log.
dialog() {
	if ! /usr/bin/python3 "$(qp_top)/tests/smtp_dialog.py" -p "$PEER_PORT" \
	    "$2" >"$2.out" 2>"$2.err"; then
		cat "$2.out" "$2.err" >&2
		qp_fail "dialogue $2: $(tail -n 1 "$2.err" | cut -c 1-200)" \
		    "$1/log"
	fi
}


# wait_log DIR REGEX - wait (10 s) for a line of the peer's log.
wait_log() {
	qp_wait_file_match "$1/log" "$2" 10
}

# The message as the queue holds it (LF line ends, lines with dots), and
# as swaks takes it (without its last newline, which swaks adds).
message() {
	qp_msg "$1" > m
	printf 'caf\303\251 8bit line\n' >> m
	head -c -1 m > m.swaks
}

atf_test_case good_swaks cleanup
good_swaks_head() {
	atf_set "descr" "good: swaks (EHLO, then --pipeline, then HELO)" \
	    "delivers; N.eml is the message with LF ends, N.env the commands"
	atf_set "require.progs" "swaks"
	atf_set "timeout" "60"
}
good_swaks_body() {
	peer_start "$PWD/p"
	message s1
	for how in "" --pipeline "--protocol SMTP"; do
		# shellcheck disable=SC2086 # how is words
		atf_check -o match:"<[-~] +250 2\.0\.0 Ok: queued as" -e ignore \
		    swaks --server 127.0.0.1 --port "$PEER_PORT" $how \
		    --helo client.test --from sender@example.test \
		    --to alice@example.test,bob@example.test \
		    --data @m.swaks --timeout 10
	done
	for n in 1 2 3; do
		cmp m "p/mail/$n.eml" || atf_fail "mail $n differs from m"
	done
	printf 'MAIL FROM:<sender@example.test>\nRCPT TO:<alice@example.test>\nRCPT TO:<bob@example.test>\n' > env
	atf_check -o file:env cat p/mail/3.env
	atf_check -o match:"PIPELINING" -o match:"SIZE 10000000" \
	    -o match:"8BITMIME" -o match:"SMTPUTF8" \
	    -o match:"ENHANCEDSTATUSCODES" -o not-match:"STARTTLS" \
	    -e ignore swaks --server 127.0.0.1 --port "$PEER_PORT" \
	    --quit-after EHLO --timeout 10
	atf_check -o match:'^conn=2 cmd "DATA" reply=354$' \
	    -o match:'^conn=3 cmd "HELO client.test" reply=250$' \
	    -o match:'^conn=[123] data bytes=[0-9]+ reply=250 mail=[123]' \
	    -o match:'close reason="quit"' cat p/log
	atf_check -o empty ls p/tmp
	peer_stop "$PWD/p"
}
good_swaks_cleanup() {
	peer_stop_all
}

atf_test_case good_smtplib_tls cleanup
good_smtplib_tls_head() {
	atf_set "descr" "good with --cert: smtplib STARTTLS, EHLO again" \
	    "without STARTTLS, SMTPUTF8 and 8BITMIME, tls=1 in N.env"
	atf_set "require.progs" "openssl"
	atf_set "timeout" "60"
}
good_smtplib_tls_body() {
	qp_mkcert "$PWD"
	peer_start "$PWD/p" --cert tls.crt --key tls.key
	message s2
	cat > c.py <<'EOF'
import os, smtplib, ssl, sys
s = smtplib.SMTP("127.0.0.1", int(os.environ["PORT"]), timeout=10)
s.ehlo("client.test")
assert s.has_extn("starttls") and s.has_extn("pipelining"), s.esmtp_features
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
code, _ = s.starttls(context=ctx)
assert code == 220
s.ehlo("client.test")
assert not s.has_extn("starttls"), s.esmtp_features
assert s.sock.version() in ("TLSv1.2", "TLSv1.3")
data = open(sys.argv[1], "rb").read().replace(b"\n", b"\r\n")
s.sendmail("s\u00e9nder@example.test", ["alice@example.test"], data,
           mail_options=["SMTPUTF8", "BODY=8BITMIME"])
s.quit()
print("ok")
EOF
	atf_check -o inline:"ok\n" /usr/bin/python3 c.py m
	cmp m p/mail/1.eml || atf_fail "mail differs from m"
	# smtplib writes "mail" and "rcpt", and adds size=N
	printf 'mail FROM:<s\303\251nder@example.test> SMTPUTF8 BODY=8BITMIME\nrcpt TO:<alice@example.test>\ntls=1\n' > env
	atf_check -o file:env sed 's/ size=[0-9]*//' p/mail/1.env
	atf_check -o match:"tls version=TLSv1\.[23] cipher=" \
	    -o not-match:"warning=" cat p/log
	peer_stop "$PWD/p"
}
good_smtplib_tls_cleanup() {
	peer_stop_all
}

atf_test_case good_pipelining cleanup
good_pipelining_head() {
	atf_set "descr" "good: commands in one write get their replies in" \
	    "order, bytes after the final dot stay commands, and strict" \
	    "replies to bare LF, missing recipients, 8-bit without BODY," \
	    "parameters after HELO, SIZE over the limit, plain text" \
	    "pipelined after STARTTLS"
	atf_set "require.progs" "openssl"
	atf_set "timeout" "60"
}
good_pipelining_body() {
	qp_mkcert "$PWD"
	peer_start "$PWD/p" --cert tls.crt --key tls.key
	cat > d1 <<'EOF'
< 220 peer.test
> EHLO client.test
< 250 STARTTLS
>raw b"MAIL FROM:<a@x.test> SIZE=100 BODY=8BITMIME\r\nRCPT TO:<perm@y.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n"
< 250 2.1.0
< 250 2.1.5
< 250 2.1.5
< 354
>raw b"..dot\r\n\xc3\xa9\r\nbare\nLF\r\n.\r\nMAIL FROM:<c@x.test> SIZE=10000001\r\nMAIL FROM:<c@x.test>\r\nDATA\r\nRSET\r\nNOOP\n"
< 250 2.0.0 Ok: queued as 1
< 552 5.3.4
< 250 2.1.0
< 554 5.5.1
< 250 2.0.0
< 500 5.5.2 bare LF
> MAIL FROM:<a@x.test>
< 250 2.1.0
> MAIL FROM:<a@x.test>
< 503 5.5.1
> RCPT TO:<b@y.test>
< 250 2.1.5
> DATA
< 354
>raw b"8bit \xff\r\n.\r\n"
< 250 2.0.0 Ok: queued as 2
> MAIL FROM: <a@x.test>
< 501 5.5.4
>raw b"MAIL FROM:<\xc3\xa9@x.test>\r\n"
< 553 5.6.7
>raw b"STARTTLS\r\nNOOP\r\n"
< 220 2.0.0
close
EOF
	dialog p d1
	printf '.dot\n\303\251\nbare\nLF\n' > want1
	atf_check -o file:want1 cat p/mail/1.eml
	printf 'MAIL FROM:<a@x.test> SIZE=100 BODY=8BITMIME\nRCPT TO:<perm@y.test>\nRCPT TO:<b@y.test>\n' > env1
	atf_check -o file:env1 cat p/mail/1.env
	wait_log p "conn=1 data bytes=7 reply=250 mail=2 warning=8bit-undeclared"
	wait_log p "conn=1 starttls dropped 6 pipelined bytes"

	cat > d2 <<'EOF'
< 220
> HELO client.test
< 250 peer.test
> MAIL FROM:<a@x.test> SIZE=10
< 555 5.5.4
> MAIL FROM:<a@x.test>
< 250
> RCPT TO:<b@y.test> NOTIFY=NEVER
< 555 5.5.4
> STARTTLS
< 502 5.5.1
> QUIT
< 221
<eof
EOF
	dialog p d2
	peer_stop "$PWD/p"
}
good_pipelining_cleanup() {
	peer_stop_all
}

atf_test_case greet_and_refuse cleanup
greet_and_refuse_head() {
	atf_set "descr" "greet421, mail_5xx, ehlo_refused and an unknown" \
	    "mode, each switched by DIR/mode between connections"
	atf_set "timeout" "60"
}
greet_and_refuse_body() {
	peer_start "$PWD/p"
	mode p greet421
	printf '< 421 4.3.2\n<eof\n' > d1
	dialog p d1
	mode p mail_5xx
	printf '< 220\n> EHLO c.test\n< 250\n> MAIL FROM:<a@x.test>\n< 550 5.7.1\n> QUIT\n< 221\n' > d2
	dialog p d2
	mode p ehlo_refused
	cat > d3 <<'EOF'
< 220
> EHLO c.test
< 502 5.5.1
> HELO c.test
< 250
> MAIL FROM:<a@x.test>
< 250
> RCPT TO:<b@y.test>
< 250
> DATA
< 354
>raw b"x\r\n.\r\n"
< 250 2.0.0 Ok: queued as 1
> QUIT
< 221
EOF
	dialog p d3
	mode p no_such_mode
	printf '< 421 4.3.0 unknown mode\n<eof\n' > d4
	dialog p d4
	rm p/mode
	printf '< 220 peer.test\n> QUIT\n< 221\n' > d5
	dialog p d5
	atf_check -o match:'conn=1 connect mode="greet421"' \
	    -o match:'conn=2 connect mode="mail_5xx"' \
	    -o match:'conn=3 connect mode="ehlo_refused"' \
	    -o match:'conn=4 connect mode="no_such_mode"' \
	    -o match:'conn=5 connect mode="good"' cat p/log
	peer_stop "$PWD/p"
}
greet_and_refuse_cleanup() {
	peer_stop_all
}

atf_test_case rcpt_and_data cleanup
rcpt_and_data_head() {
	atf_set "descr" "rcpt_mixed: 450 for temp*, 550 for perm*, the" \
	    "message stored for the others; data_5xx and data_4xx store nothing"
	atf_set "timeout" "60"
}
rcpt_and_data_body() {
	peer_start "$PWD/p"
	mode p rcpt_mixed
	cat > d1 <<'EOF'
< 220
> EHLO c.test
< 250
>raw b"MAIL FROM:<a@x.test>\r\nRCPT TO:<temp1@y.test>\r\nRCPT TO:<perm2@y.test>\r\nRCPT TO:<ok3@y.test>\r\nRCPT TO:<Temp4@y.test>\r\nDATA\r\n"
< 250
< 450 4.2.1
< 550 5.1.1
< 250 2.1.5
< 450 4.2.1
< 354
>raw b"Subject: x\r\n\r\nbody\r\n.\r\n"
< 250 2.0.0 Ok: queued as 1
> QUIT
< 221
EOF
	dialog p d1
	printf 'MAIL FROM:<a@x.test>\nRCPT TO:<ok3@y.test>\n' > env1
	atf_check -o file:env1 cat p/mail/1.env
	for m in data_5xx:554 data_4xx:451; do
		mode p "${m%:*}"
		cat > d2 <<EOF
< 220
> EHLO c.test
< 250
> MAIL FROM:<a@x.test>
< 250
> RCPT TO:<b@y.test>
< 250
> DATA
< 354
>raw b"x\r\n.\r\n"
< ${m#*:}
> QUIT
< 221
EOF
		dialog p d2
	done
	atf_check -o inline:"1.eml\n1.env\n" ls p/mail
	peer_stop "$PWD/p"
}
rcpt_and_data_cleanup() {
	peer_stop_all
}

atf_test_case dsn cleanup
dsn_head() {
	atf_set "descr" "with DIR/dsn, EHLO offers DSN, MAIL takes RET and" \
	    "ENVID and RCPT NOTIFY and ORCPT, checked (501) and recorded in" \
	    "N.env; without it they are unknown parameters (555)"
	atf_set "timeout" "60"
}
dsn_body() {
	peer_start "$PWD/p"
	: > p/dsn
	cat > d1 <<'EOF'
< 220
> EHLO c.test
<~ ^250[- ]DSN$
> MAIL FROM:<a@x.test> RET=NONE
< 501 5.5.4
> MAIL FROM:<a@x.test> ENVID=a=b
< 501 5.5.4
> MAIL FROM:<a@x.test> RET=FULL RET=HDRS
< 501 5.5.4
> MAIL FROM:<a@x.test> RET=hdrs ENVID=id+2B1
< 250
> RCPT TO:<b@y.test> NOTIFY=SUCCESS,NEVER
< 501 5.5.4
> RCPT TO:<b@y.test> ORCPT=b@y.test
< 501 5.5.4
> RCPT TO:<b@y.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;B+2Bb@y.test
< 250
> RCPT TO:<c@y.test> NOTIFY=NEVER
< 250
> RCPT TO:<d@y.test> RET=FULL
< 555 5.5.4
> DATA
< 354
>raw b"x\r\n.\r\n"
< 250 2.0.0 Ok: queued as 1
> QUIT
< 221
EOF
	dialog p d1
	printf '%s\n' "MAIL FROM:<a@x.test> RET=hdrs ENVID=id+2B1" \
	    "RCPT TO:<b@y.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;B+2Bb@y.test" \
	    "RCPT TO:<c@y.test> NOTIFY=NEVER" > env1
	atf_check -o file:env1 cat p/mail/1.env
	rm p/dsn
	cat > d2 <<'EOF'
< 220
> EHLO c.test
<~ \A(?![\s\S]*^250[- ]DSN$)
> MAIL FROM:<a@x.test> RET=FULL
< 555 5.5.4
> MAIL FROM:<a@x.test>
< 250
> RCPT TO:<b@y.test> NOTIFY=NEVER
< 555 5.5.4
> QUIT
< 221
EOF
	dialog p d2
	peer_stop "$PWD/p"
}
dsn_cleanup() {
	peer_stop_all
}

atf_test_case reset_in_data cleanup
reset_in_data_head() {
	atf_set "descr" "reset_in_data: after the first line of DATA the" \
	    "client sees a TCP reset, no reply; nothing stored"
	atf_set "timeout" "60"
}
reset_in_data_body() {
	peer_start "$PWD/p"
	mode p reset_in_data
	cat > c.py <<'EOF'
import os, socket, sys
sys.path.insert(0, os.environ["TOP"] + "/tests")
from smtp_dialog import Session
s = Session("127.0.0.1", int(os.environ["PORT"]))
s.expect("220")
for c, r in ((b"EHLO c.test", "250"), (b"MAIL FROM:<a@x.test>", "250"),
             (b"RCPT TO:<b@y.test>", "250"), (b"DATA", "354")):
    s.line(c)
    s.expect(r)
s.sock.settimeout(10)
try:
    s.send(b"Subject: x\r\n")
    while True:
        got = s.sock.recv(4096)
        if not got:
            sys.exit("end of file, not a reset")
        sys.exit("a reply: %r" % got)
except ConnectionResetError:
    print("reset")
EOF
	atf_check -o inline:"reset\n" /usr/bin/python3 c.py
	wait_log p "conn=1 reset"
	wait_log p 'conn=1 close reason="reset by us"'
	atf_check -o empty ls p/mail
	peer_stop "$PWD/p"
}
reset_in_data_cleanup() {
	peer_stop_all
}

atf_test_case stalls cleanup
stalls_head() {
	atf_set "descr" "stall_greeting and stall_data send nothing for" \
	    "as long as the client waits, hold the connection until it" \
	    "closes, store nothing; a good connection is served meanwhile"
	atf_set "timeout" "60"
}
stalls_body() {
	peer_start "$PWD/p"
	mode p stall_greeting
	cat > d1 <<'EOF'
timeout 1.5
< 220
EOF
	! /usr/bin/python3 "$(qp_top)/tests/smtp_dialog.py" -p "$PEER_PORT" \
	    d1 >d1.out 2>d1.err || atf_fail "stall_greeting sent a greeting"
	atf_check -o match:"timed out" cat d1.err
	wait_log p 'conn=1 close reason="client closed"'

	mode p stall_data
	cat > d2 <<'EOF'
< 220
> EHLO c.test
< 250
> MAIL FROM:<a@x.test>
< 250
> RCPT TO:<b@y.test>
< 250
> DATA
< 354
>raw b"x\r\n.\r\n"
timeout 3
< 250
EOF
	# held open in the background while a good connection is served
	(
		/usr/bin/python3 "$(qp_top)/tests/smtp_dialog.py" \
		    -p "$PEER_PORT" d2 >d2.out 2>d2.err
		echo $? > d2.rc
	) &
	wait_log p "conn=2 data bytes=2 stall"
	mode p good
	printf '< 220 peer.test\n> NOOP\n< 250\n> QUIT\n< 221\n' > d3
	dialog p d3
	qp_deadline_loop 10 test -s d2.rc || atf_fail "the stalled dialogue" \
	    "did not end"
	atf_check -o inline:"1\n" cat d2.rc
	atf_check -o match:"timed out" cat d2.err
	wait_log p 'conn=2 close reason="client closed"'
	atf_check -o empty ls p/mail
	peer_stop "$PWD/p"
}
stalls_cleanup() {
	peer_stop_all
}

atf_test_case slow_and_count cleanup
slow_and_count_head() {
	atf_set "descr" "slow_data answers the final dot only after DIR/delay" \
	    "seconds and stores the message; DIR/maxactive and the log's" \
	    "active=K count the connections open at once"
	atf_set "timeout" "60"
}
slow_and_count_body() {
	peer_start "$PWD/p"
	mode p slow_data
	echo 1.5 > p/delay
	cat > d <<'EOF'
< 220
> EHLO c.test
< 250
> MAIL FROM:<a@x.test>
< 250
> RCPT TO:<b@y.test>
< 250
> DATA
< 354
>raw b"x\r\n.\r\n"
timeout 10
< 250
> QUIT
< 221
EOF
	# two sessions at once: both wait for their reply together
	for n in 1 2; do
		(
			/usr/bin/python3 "$(qp_top)/tests/smtp_dialog.py" \
			    -p "$PEER_PORT" d >"d$n.out" 2>"d$n.err"
			echo $? > "d$n.rc"
		) &
	done
	_both() { [ -s d1.rc ] && [ -s d2.rc ]; }
	qp_deadline_loop 20 _both || atf_fail "the dialogues did not end"
	atf_check -o inline:"0\n" cat d1.rc
	atf_check -o inline:"0\n" cat d2.rc
	atf_check -o inline:"2\n" cat p/maxactive
	[ "$(ls p/mail/*.eml | wc -l)" -eq 2 ] || atf_fail "not both stored"
	atf_check -o match:'conn=[12] connect .* active=2$' \
	    -o match:'conn=[12] close reason="quit" active=0$' cat p/log
	# one more, alone: the most stays 2
	mode p good
	dialog p d
	atf_check -o inline:"2\n" cat p/maxactive
	atf_check -o match:'conn=3 connect .* active=1$' cat p/log
	peer_stop "$PWD/p"
}
slow_and_count_cleanup() {
	peer_stop_all
}

atf_test_case endless_line cleanup
endless_line_head() {
	atf_set "descr" "endless_line: \"220-\" and then no newline ever," \
	    "as fast as the client reads (64 MB here) while the peer's" \
	    "memory stays small; it stops when the client closes"
	atf_set "timeout" "120"
}
endless_line_body() {
	peer_start "$PWD/p"
	mode p endless_line
	cat > c.py <<'EOF'
import os, socket, sys
def rss(pid):
    for ln in open("/proc/%s/status" % pid):
        if ln.startswith("VmRSS:"):
            return int(ln.split()[1])
s = socket.create_connection(("127.0.0.1", int(os.environ["PORT"])), 10)
head = b""
while len(head) < 4:
    head += s.recv(4 - len(head))
assert head == b"220-", head
n = 0
big = 0
while n < 64 * 1024 * 1024:
    d = s.recv(1 << 20)
    assert d and d.count(b"x") == len(d), d[:20]
    n += len(d)
    big = max(big, rss(sys.argv[1]))
s.close()
assert big < 100 * 1024, "peer RSS %d kB" % big
print("ok rss_kb=%d" % big)
EOF
	atf_check -o match:"^ok rss_kb=[0-9]+$" /usr/bin/python3 c.py "$PEER_PID"
	wait_log p "conn=1 endless sent=[0-9]* stopped=\"client closed"
	wait_log p 'conn=1 close reason="endless done"'
	peer_stop "$PWD/p"
}
endless_line_cleanup() {
	peer_stop_all
}

atf_test_case bad_multiline cleanup
bad_multiline_head() {
	atf_set "descr" "bad_multiline: the greeting is \"220-a\" then" \
	    "\"250 b\"; the session then goes on as good"
	atf_set "timeout" "60"
}
bad_multiline_body() {
	peer_start "$PWD/p"
	mode p bad_multiline
	cat > c.py <<'EOF'
import os, socket
s = socket.create_connection(("127.0.0.1", int(os.environ["PORT"])), 10)
got = b""
while got.count(b"\n") < 2:
    d = s.recv(100)
    assert d, got
    got += d
assert got == b"220-a\r\n250 b\r\n", got
s.sendall(b"NOOP\r\n")
got = b""
while not got.endswith(b"\n"):
    got += s.recv(100)
assert got.startswith(b"250 "), got
print("ok")
EOF
	atf_check -o inline:"ok\n" /usr/bin/python3 c.py
	peer_stop "$PWD/p"
}
bad_multiline_cleanup() {
	peer_stop_all
}

atf_test_case starttls_fail cleanup
starttls_fail_head() {
	atf_set "descr" "starttls_fail: STARTTLS offered (no certificate" \
	    "needed), 220 to it, then garbage and close: a TLS client's" \
	    "handshake fails; with a certificate good mode's works"
	atf_set "require.progs" "openssl"
	atf_set "timeout" "60"
}
starttls_fail_body() {
	peer_start "$PWD/p"
	mode p starttls_fail
	cat > d1 <<'EOF'
< 220
> EHLO c.test
<~ ^250 STARTTLS$
> STARTTLS
< 220 2.0.0
<drain
EOF
	dialog p d1
	cat > c.py <<'EOF'
import os, smtplib, ssl
s = smtplib.SMTP("127.0.0.1", int(os.environ["PORT"]), timeout=10)
s.ehlo("c.test")
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
try:
    s.starttls(context=ctx)
    print("handshake worked")
except (ssl.SSLError, OSError):
    print("handshake failed")
EOF
	atf_check -o match:"^S: this is garbage" -o match:"<closed>" cat d1.out
	atf_check -o inline:"handshake failed\n" /usr/bin/python3 c.py
	wait_log p 'conn=2 close reason="starttls garbage sent"'
	peer_stop "$PWD/p"
}
starttls_fail_cleanup() {
	peer_stop_all
}

atf_test_case stop_and_restart cleanup
stop_and_restart_head() {
	atf_set "descr" "SIGTERM stops the peer and ends its held" \
	    "connections; a new peer on the same folder numbers mail on;" \
	    "a stopped peer's port refuses connections"
	atf_set "timeout" "60"
}
stop_and_restart_body() {
	peer_start "$PWD/p"
	printf '< 220\n> HELO c.test\n< 250\n> MAIL FROM:<>\n< 250\n> RCPT TO:<postmaster>\n< 250\n> DATA\n< 354\n>raw b"x\\r\\n.\\r\\n"\n< 250 2.0.0 Ok: queued as 1\n' > d1
	dialog p d1
	mode p stall_greeting
	printf 'timeout 20\n<eof\n' > d2
	(
		/usr/bin/python3 "$(qp_top)/tests/smtp_dialog.py" \
		    -p "$PEER_PORT" d2 >d2.out 2>d2.err
		echo $? > d2.rc
	) &
	wait_log p "conn=2 stall greeting"
	port=$PEER_PORT
	peer_stop "$PWD/p"
	qp_alive "$PEER_PID" && atf_fail "the peer still runs"
	grep -q '^stop$' p/log || atf_fail "no stop line in the log"
	qp_deadline_loop 10 test -s d2.rc || atf_fail "held connection" \
	    "not closed"
	atf_check -o inline:"0\n" cat d2.rc
	qp_port_open 127.0.0.1 "$port" && atf_fail "port $port still open"
	rm p/mode
	peer_start "$PWD/p"
	printf 'MAIL FROM:<>\nRCPT TO:<postmaster>\n' > env1
	sed -i 's/queued as 1/queued as 2/' d1
	dialog p d1
	atf_check -o file:env1 cat p/mail/2.env
	peer_stop "$PWD/p"
}
stop_and_restart_cleanup() {
	peer_stop_all
}

atf_init_test_cases() {
	atf_add_test_case good_swaks
	atf_add_test_case good_smtplib_tls
	atf_add_test_case good_pipelining
	atf_add_test_case greet_and_refuse
	atf_add_test_case rcpt_and_data
	atf_add_test_case dsn
	atf_add_test_case reset_in_data
	atf_add_test_case stalls
	atf_add_test_case slow_and_count
	atf_add_test_case endless_line
	atf_add_test_case bad_multiline
	atf_add_test_case starttls_fail
	atf_add_test_case stop_and_restart
}
