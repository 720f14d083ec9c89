#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# smtpd behind a load balancer: Debian's HAProxy, started by each case
# on loopback with its own configuration in the work directory (never
# the system service), in front of smtpd under tcpserver, sending the
# PROXY header (send-proxy-v2, and send-proxy for v1).  Clients connect
# from other loopback addresses (127.0.0.3, 127.0.0.4: all of 127/8 is
# the loopback on Linux), and the balancer connects from 127.0.0.1,
# the one address in control/proxyfrom.  Shown: the client's address
# reaches Received:, the log and the relay decision (and the
# balancer's does not, nor a RELAYCLIENT set for it); the same through
# implicit TLS (smtpd -s); HAProxy's health checks (v2 LOCAL) are
# served as the balancer's own; a PROXY line from an unlisted address
# is an unknown command (500) that changes nothing; a listed address
# that sends no valid header, or nothing, is refused with 421 and a
# log line naming it; a broken control/proxyfrom refuses everyone
# with 421 4.3.0.

. "$(atf_get_srcdir)/../lib.sh"

HAPROXY=/usr/sbin/haproxy
A=home/alice/Maildir/new

# start [VAR=VALUE...] - an instance, with control/proxyfrom listing
# the balancer's address, and smtpd under tcpserver.
start() {
	qp_smtpd_instance "$PWD/inst"
	echo "# the balancer" > "$QPOST_CONTROL/proxyfrom"
	echo 127.0.0.1 >> "$QPOST_CONTROL/proxyfrom"
	qp_start
	qp_smtpd_start "$@"
}

# haproxy_start SERVER-OPTION... - HAProxy in TCP mode on a free
# loopback port (HP_PORT) with one server, smtpd, and these options on
# its line (send-proxy-v2, ...).  Foreground (-db) in the background,
# its PID in ./haproxy.pid for haproxy_stop; waits for its port.
# HP_HOST (default 127.0.0.1) is the address it listens on, HP_BIND
# the same as HAProxy writes it ("[::1]" for IPv6).
haproxy_start() {
	HP_PORT=$(qp_free_port "${HP_HOST:-127.0.0.1}") ||
	    atf_fail "no free port for HAProxy"
	cat > haproxy.cfg <<EOF
# a private HAProxy for one test case: no log, no stats socket, no user
global
	maxconn 64

defaults
	mode tcp
	timeout connect 5s
	timeout client 30s
	timeout server 30s

frontend smtp
	bind ${HP_BIND:-127.0.0.1}:$HP_PORT
	default_backend qpost

backend qpost
	server smtpd 127.0.0.1:$QP_SMTP_PORT $*
EOF
	atf_check -o ignore -e ignore "$HAPROXY" -c -f "$PWD/haproxy.cfg"
	(
		"$HAPROXY" -db -f "$PWD/haproxy.cfg" </dev/null \
		    >haproxy.log 2>&1 &
		echo $! > haproxy.pid
	)
	_hp_up() {
		qp_port_open "${HP_HOST:-127.0.0.1}" "$HP_PORT" && return 0
		qp_alive "$(cat haproxy.pid)" ||
		    qp_fail "HAProxy exited early" haproxy.log
		return 1
	}
	qp_deadline_loop 30 _hp_up ||
	    qp_fail "HAProxy not listening on $HP_PORT after 30 s" haproxy.log
}

# haproxy_stop - stop the HAProxy this work directory started, by its
# PID, only if that PID still runs haproxy with our configuration.
haproxy_stop() {
	[ -f haproxy.pid ] || return 0
	_hp=$(cat haproxy.pid)
	if qp_alive "$_hp" && tr '\0' '\n' < "/proc/$_hp/cmdline" \
	    2>/dev/null | grep -qxF "$PWD/haproxy.cfg"; then
		kill -TERM "$_hp" 2>/dev/null
		_hp_gone() { ! qp_alive "$_hp"; }
		qp_deadline_loop 10 _hp_gone || kill -KILL "$_hp" 2>/dev/null
	fi
	rm -f haproxy.pid
	return 0
}

# dialog SOURCE PORT SCRIPT - play SCRIPT from the address SOURCE to
# PORT (HAProxy's or smtpd's) at DIALOG_HOST (default 127.0.0.1);
# transcript in SCRIPT.out.
dialog() {
	if ! /usr/bin/python3 "$(qp_top)/tests/smtp_dialog.py" -b "$1" \
	    -H "${DIALOG_HOST:-127.0.0.1}" -p "$2" "$3" > "$3.out" \
	    2> "$3.err"; then
		cat "$3.out" "$3.err" >&2
		qp_fail "SMTP dialogue $3 from $1 failed" "$QP_DIR/smtpd.log"
	fi
}

# rcpt_script REPLY RCPT - one MAIL and one RCPT given REPLY, then QUIT.
rcpt_script() {
	cat <<EOF
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> RCPT TO:<$2>
< $1
> QUIT
< 221 2.0.0
<eof
EOF
}

# send_script MSG - a whole message to alice, expect it queued.
send_script() {
	qp_wire "$1"
	cat <<EOF
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> RCPT TO:<alice@example.test>
< 250 2.1.5
> DATA
< 354
>file $1.wire
< 250 2.0.0 Ok: queued as
> QUIT
< 221 2.0.0
<eof
EOF
}

# received_from IP - the delivered message's Received: line names the
# client IP, and no other address.
received_from() {
	qp_wait_for 1 "$QP_DIR/$A" 30
	atf_check -o match:"^Received: from client\.test \(unknown \[$1\]\)" \
	    -o not-match:"\[127\.0\.0\.1\]" sh -c "cat '$QP_DIR'/$A/*"
}

# relay_file ADDR... - control/relay lists ADDR..., compiled.
relay_file() {
	printf '%s\n' "$@" > "$QPOST_CONTROL/relay"
	atf_check -o ignore -e ignore "$QPOST_LIBEXEC/qcdb" relay
}

atf_test_case v2_received cleanup
v2_received_head() {
	atf_set "descr" "through HAProxy send-proxy-v2, a client from" \
	    "127.0.0.3 is 127.0.0.3 in Received:, the proxy log line and" \
	    "every later log line, not HAProxy's 127.0.0.1"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/sbin/haproxy tcpserver"
	atf_set "timeout" "60"
}
v2_received_body() {
	start
	haproxy_start send-proxy-v2
	qp_msg p1 > m
	send_script m > s
	dialog 127.0.0.3 "$HP_PORT" s
	received_from 127.0.0.3
	# the session that took the message (the start-up probes of smtpd
	# and HAProxy are sessions of their own, from 127.0.0.1)
	sid=$(sed -n 's/.* session=\([0-9]*\) accepted .*/\1/p' \
	    "$QP_DIR/smtpd.log")
	[ -n "$sid" ] || qp_fail "no accepted line" "$QP_DIR/smtpd.log"
	grep "session=$sid " "$QP_DIR/smtpd.log" > session.log
	atf_check -o match:"^smtpd: session=$sid proxy from=127\.0\.0\.1 client=127\.0\.0\.3:[0-9]+ version=2$" \
	    -o match:"session=$sid connect ip=127\.0\.0\.3 host=unknown" \
	    -o match:"accepted from=<sender@example\.test> rcpts=1 size=[0-9]+ ip=127\.0\.0\.3" \
	    -o match:"session=$sid ip=127\.0\.0\.3 end messages=1" \
	    cat session.log
	atf_check -o inline:"1\n" grep -c "127\.0\.0\.1" session.log
	haproxy_stop
	qp_stop "$QP_DIR"
}
v2_received_cleanup() {
	haproxy_stop
	qp_stop
}

atf_test_case v1_received cleanup
v1_received_head() {
	atf_set "descr" "through HAProxy send-proxy (the v1 text line), a" \
	    "client from 127.0.0.3 is 127.0.0.3 in Received: and the log"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/sbin/haproxy tcpserver"
	atf_set "timeout" "60"
}
v1_received_body() {
	start
	haproxy_start send-proxy
	qp_msg p2 > m
	send_script m > s
	dialog 127.0.0.3 "$HP_PORT" s
	received_from 127.0.0.3
	atf_check -o match:"proxy from=127\.0\.0\.1 client=127\.0\.0\.3:[0-9]+ version=1$" \
	    cat "$QP_DIR/smtpd.log"
	haproxy_stop
	qp_stop "$QP_DIR"
}
v1_received_cleanup() {
	haproxy_stop
	qp_stop
}

atf_test_case ipv6_client cleanup
ipv6_client_head() {
	atf_set "descr" "a client over IPv6 (::1) through HAProxy to smtpd" \
	    "on IPv4: the v2 header and the v1 TCP6 line carry an IPv6" \
	    "address, which Received: and the log name"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/sbin/haproxy tcpserver"
	atf_set "timeout" "60"
}
ipv6_client_body() {
	qp_need_ipv6
	start
	HP_HOST=::1 HP_BIND=[::1] haproxy_start send-proxy-v2
	qp_msg p6 > m
	send_script m > s
	DIALOG_HOST=::1 dialog ::1 "$HP_PORT" s
	qp_wait_for 1 "$QP_DIR/$A" 30
	atf_check -o match:"^Received: from client\.test \(unknown \[::1\]\)" \
	    sh -c "cat '$QP_DIR'/$A/*"
	atf_check -o match:"proxy from=127\.0\.0\.1 client=\[::1\]:[0-9]+ version=2$" \
	    -o match:"connect ip=::1 host=unknown" cat "$QP_DIR/smtpd.log"
	# v1 writes a TCP6 line, the IPv4 server end as ::ffff:127.0.0.1
	haproxy_stop
	HP_HOST=::1 HP_BIND=[::1] haproxy_start send-proxy
	DIALOG_HOST=::1 dialog ::1 "$HP_PORT" s
	qp_wait_for 2 "$QP_DIR/$A" 30
	atf_check -o match:"proxy from=127\.0\.0\.1 client=\[::1\]:[0-9]+ version=1$" \
	    cat "$QP_DIR/smtpd.log"
	haproxy_stop
	qp_stop "$QP_DIR"
}
ipv6_client_cleanup() {
	haproxy_stop
	qp_stop
}

atf_test_case relay cleanup
relay_head() {
	atf_set "descr" "through HAProxy, control/relay decides on the" \
	    "client: 127.0.0.3 (listed) relays, 127.0.0.4 gets 550 5.7.1" \
	    "though the balancer 127.0.0.1 is listed too and tcpserver" \
	    "set RELAYCLIENT for it"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/sbin/haproxy tcpserver"
	atf_set "timeout" "60"
}
relay_body() {
	start RELAYCLIENT=
	relay_file 127.0.0.3 127.0.0.1
	haproxy_start send-proxy-v2
	rcpt_script "250 2.1.5" victim@remote.test > ok
	dialog 127.0.0.3 "$HP_PORT" ok
	rcpt_script "550 5.7.1" victim@remote.test > no
	dialog 127.0.0.4 "$HP_PORT" no
	# and through v1 alike
	haproxy_stop
	haproxy_start send-proxy
	dialog 127.0.0.3 "$HP_PORT" ok
	dialog 127.0.0.4 "$HP_PORT" no
	atf_check -o match:"client=127\.0\.0\.4:[0-9]+ version=2" \
	    -o match:"client=127\.0\.0\.4:[0-9]+ version=1" \
	    cat "$QP_DIR/smtpd.log"
	haproxy_stop
	qp_stop "$QP_DIR"
}
relay_cleanup() {
	haproxy_stop
	qp_stop
}

atf_test_case smtps cleanup
smtps_head() {
	atf_set "descr" "implicit TLS (smtpd -s) behind HAProxy: the PROXY" \
	    "header comes before the handshake; swaks --tlsc from" \
	    "127.0.0.3 delivers, and Received: names 127.0.0.3 with ESMTPS"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/sbin/haproxy tcpserver swaks openssl"
	atf_set "timeout" "60"
}
smtps_body() {
	qp_smtpd_instance "$PWD/inst"
	qp_mkcert "$QPOST_CONTROL"
	echo 127.0.0.1 > "$QPOST_CONTROL/proxyfrom"
	qp_start
	printf '#!/bin/sh\nexec "%s" -s\n' "$QPOST_LIBEXEC/smtpd" > smtpd_s
	chmod 755 smtpd_s
	QP_SMTPD=$PWD/smtpd_s qp_smtpd_start
	haproxy_start send-proxy-v2
	qp_msg p3 | head -c -1 > m
	atf_check -o match:"<~  250 2\.0\.0 Ok: queued as [0-9a-f]{16}" \
	    -e ignore swaks --server 127.0.0.1 --port "$HP_PORT" --tlsc \
	    --local-interface 127.0.0.3 --helo client.test \
	    --from sender@example.test --to alice@example.test \
	    --data @m --timeout 10
	qp_wait_for 1 "$QP_DIR/$A" 30
	atf_check -o match:"^Received: from client\.test \(unknown \[127\.0\.0\.3\]\)" \
	    -o match:"with ESMTPS \(TLSv1\.[23]" sh -c "cat '$QP_DIR'/$A/*"
	atf_check -o match:"proxy from=127\.0\.0\.1 client=127\.0\.0\.3:" \
	    -o match:"ip=127\.0\.0\.3 tls version=" cat "$QP_DIR/smtpd.log"
	haproxy_stop
	qp_stop "$QP_DIR"
}
smtps_cleanup() {
	haproxy_stop
	qp_stop
}

atf_test_case auth_client cleanup
auth_client_head() {
	atf_set "descr" "AUTH through HAProxy to smtpd -s: qpauth counts" \
	    "the failure against the client 127.0.0.3, not the balancer," \
	    "and a good login from there may relay"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/sbin/haproxy tcpserver openssl"
	atf_set "timeout" "60"
}
auth_client_body() {
	qp_smtpd_instance "$PWD/inst"
	qp_mkcert "$QPOST_CONTROL"
	echo 127.0.0.1 > "$QPOST_CONTROL/proxyfrom"
	QPOST_AUTHSOCKET=$QP_DIR/qpauth.sock
	QPOST_AUTHSTATE=$QP_DIR/authstate
	export QPOST_AUTHSOCKET QPOST_AUTHSTATE
	echo 1 > "$QPOST_CONTROL/authdelay"
	printf 'secret1\n' | "$QPOST_LIBEXEC/qpasswd" alice \
	    2>>"$QP_DIR/log" || qp_fail "qpasswd failed" "$QP_DIR/log"
	"$QPOST_LIBEXEC/qpauth" -d "$QPOST_AUTHSOCKET" \
	    2>>"$QP_DIR/qpauth.log" &
	echo $! >> "$QP_DIR/pids"
	qp_deadline_loop 10 test -S "$QPOST_AUTHSOCKET" ||
	    qp_fail "qpauth did not start" "$QP_DIR/qpauth.log"
	qp_start
	printf '#!/bin/sh\nexec "%s" -s\n' "$QPOST_LIBEXEC/smtpd" > smtpd_s
	chmod 755 smtpd_s
	QP_SMTPD=$PWD/smtpd_s qp_smtpd_start \
	    "QPOST_AUTHSOCKET=$QPOST_AUTHSOCKET"
	haproxy_start send-proxy-v2
	cat > t.py <<'EOF2'
import smtplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def session():
    s = smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), timeout=30,
        context=ctx, source_address=("127.0.0.3", 0))
    s.ehlo("client.test")
    return s
s = session()
try:
    s.login("alice", "wrong")
    sys.exit("a bad password was accepted")
except smtplib.SMTPAuthenticationError as e:
    if e.smtp_code != 535:
        sys.exit("expected 535, got %r" % (e,))
s.quit()
s = session()
s.login("alice", "secret1")
s.sendmail("alice@example.test", ["someone@remote.test"],
    b"Subject: through the balancer\r\n\r\nhello\r\n")
s.quit()
print("ok")
EOF2
	atf_check -o inline:"ok\n" /usr/bin/python3 t.py "$HP_PORT"
	atf_check -o match:"user=alice ip=127\.0\.0\.3 .*result=bad" \
	    -o match:"user=alice ip=127\.0\.0\.3 .*result=ok" \
	    -o not-match:"ip=127\.0\.0\.1" cat "$QP_DIR/qpauth.log"
	atf_check -o match:"ip=127\.0\.0\.3 auth=failed user=alice" \
	    -o match:"ip=127\.0\.0\.3 auth=ok user=alice" \
	    cat "$QP_DIR/smtpd.log"
	haproxy_stop
	qp_stop "$QP_DIR"
}
auth_client_cleanup() {
	haproxy_stop
	qp_stop
}

atf_test_case health_check cleanup
health_check_head() {
	atf_set "descr" "HAProxy's health checks with check-send-proxy (v2" \
	    "LOCAL) are served as the balancer's own connections"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/sbin/haproxy tcpserver"
	atf_set "timeout" "60"
}
health_check_body() {
	start
	haproxy_start send-proxy-v2 check check-send-proxy inter 200ms
	qp_wait_file_match "$QP_DIR/smtpd.log" \
	    "proxy from=127\.0\.0\.1 client=local version=2" 20
	haproxy_stop
	qp_stop "$QP_DIR"
}
health_check_cleanup() {
	haproxy_stop
	qp_stop
}

atf_test_case unlisted cleanup
unlisted_head() {
	atf_set "descr" "a PROXY line from an address not in" \
	    "control/proxyfrom is an unknown command (500 5.5.2): the" \
	    "session goes on as the real peer, which may not relay"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "tcpserver"
	atf_set "timeout" "60"
}
unlisted_body() {
	start
	relay_file 127.0.0.9
	cat > s <<EOF
< 220
> PROXY TCP4 127.0.0.9 127.0.0.1 40000 25
< 500 5.5.2
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> RCPT TO:<victim@remote.test>
< 550 5.7.1
> QUIT
< 221 2.0.0
<eof
EOF
	dialog 127.0.0.2 "$QP_SMTP_PORT" s
	atf_check -o match:"connect ip=127\.0\.0\.2 " \
	    -o not-match:"proxy from=127\.0\.0\.2" \
	    -o not-match:"127\.0\.0\.9" cat "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
}
unlisted_cleanup() {
	qp_stop
}

atf_test_case listed_garbage cleanup
listed_garbage_head() {
	atf_set "descr" "a listed balancer that sends SMTP, a broken v2" \
	    "header, a v1 line with a bad port, or nothing at all is" \
	    "refused with 421 and a log line naming it; never greeted"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "tcpserver"
	atf_set "timeout" "60"
}
listed_garbage_body() {
	start
	echo 1 > "$QPOST_CONTROL/timeoutsmtpd"
	printf '%s\n' '>raw b"EHLO client.test\r\n"' '< 421 4.7.0' '<eof' > s1
	dialog 127.0.0.1 "$QP_SMTP_PORT" s1
	# v2, a TLV whose length runs past the header
	printf '%s\n' '>raw b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0f" + b"\x7f\x00\x00\x03\x7f\x00\x00\x01\x9c\x40\x00\x19" + b"\x04\x00\x09"' \
	    '< 421 4.7.0' '<eof' > s2
	dialog 127.0.0.1 "$QP_SMTP_PORT" s2
	printf '%s\n' '> PROXY TCP4 127.0.0.3 127.0.0.1 65536 25' \
	    '< 421 4.7.0' '<eof' > s3
	dialog 127.0.0.1 "$QP_SMTP_PORT" s3
	# silence: the header's timeout (control/timeoutsmtpd, 1 s here)
	printf '%s\n' '< 421 4.7.0' '<eof' > s4
	dialog 127.0.0.1 "$QP_SMTP_PORT" s4
	L=$QP_DIR/smtpd.log
	atf_check -o match:"proxy from=127\.0\.0\.1 refused reason=no_proxy_header" \
	    -o match:"proxy from=127\.0\.0\.1 refused reason=v2_tlv_overrun" \
	    -o match:"proxy from=127\.0\.0\.1 refused reason=v1_bad_port" \
	    -o match:"proxy from=127\.0\.0\.1 refused reason=timeout" \
	    -o not-match:"connect ip=" cat "$L"
	atf_check -o not-match:"220 " cat s1.out s2.out s3.out s4.out
	qp_stop "$QP_DIR"
}
listed_garbage_cleanup() {
	qp_stop
}

atf_test_case proxyfrom_broken cleanup
proxyfrom_broken_head() {
	atf_set "descr" "a control/proxyfrom line that is no address or" \
	    "network refuses every client with 421 4.3.0, logged"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "tcpserver"
	atf_set "timeout" "60"
}
proxyfrom_broken_body() {
	start
	echo "::1" >> "$QPOST_CONTROL/proxyfrom"	# IPv6 wants brackets
	printf '%s\n' '< 421 4.3.0' '<eof' > s
	dialog 127.0.0.2 "$QP_SMTP_PORT" s
	atf_check -o match:"control file proxyfrom: \"::1\": write an IPv6" \
	    -o match:"ip=127\.0\.0\.2 closed reason=proxyfrom_broken" \
	    cat "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
}
proxyfrom_broken_cleanup() {
	qp_stop
}

atf_test_case example_config
example_config_head() {
	atf_set "descr" "doc/haproxy.cfg.example, which the README and" \
	    "qpost-smtpd(8) point to, is a configuration HAProxy accepts," \
	    "and sends version 2 headers with LOCAL health checks"
	atf_set "require.progs" "/usr/sbin/haproxy"
}
example_config_body() {
	ex=$(qp_top)/doc/haproxy.cfg.example
	atf_check -o match:"Configuration file is valid" -e ignore \
	    "$HAPROXY" -c -f "$ex"
	atf_check -o match:"^	server .* send-proxy-v2 check check-send-proxy" \
	    -o not-match:"^	server .* send-proxy " cat "$ex"
}

atf_init_test_cases() {
	atf_add_test_case example_config
	atf_add_test_case v2_received
	atf_add_test_case v1_received
	atf_add_test_case ipv6_client
	atf_add_test_case relay
	atf_add_test_case smtps
	atf_add_test_case auth_client
	atf_add_test_case health_check
	atf_add_test_case unlisted
	atf_add_test_case listed_garbage
	atf_add_test_case proxyfrom_broken
}
