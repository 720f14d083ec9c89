# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# dns.sh - a real DNS server for the scenario tests: dnsmasq (Debian
# dnsmasq-base) on a free loopback port, serving the .test names the
# test gives it.  Sourced after lib.sh:
#
#	. "$(atf_get_srcdir)/../lib.sh"
#	. "$(atf_get_srcdir)/../dns.sh"
#
#	atf_test_case mx cleanup
#	mx_body() {
#		qp_instance "$PWD/inst"		# sets QPOST_CONTROL
#		qp_dns_start --mx-host=example.test,mx1.example.test,10 \
#		    --host-record=mx1.example.test,127.0.0.2
#		...	# control/resolvers now points at it
#		qp_dns_stop
#	}
#	mx_cleanup() {
#		qp_dns_stop
#	}
#
# What dnsmasq serves (dnsmasq(8) options, passed as they are):
#	--mx-host=DOMAIN,HOST,PREF	an MX record (TTL from --local-ttl)
#	--mx-host=DOMAIN,.,0		the RFC 7505 null MX
#	--host-record=NAME,ADDR[,ADDR]	A and AAAA records
#	--cname=ALIAS,TARGET		a CNAME (TARGET must be a name
#					dnsmasq knows: a --host-record)
#	--dns-rr=NAME,TYPE,HEX		any record, rdata in hex
#	--ptr-record=REVNAME,NAME	a PTR record (a --host-record makes
#					one for each of its addresses too)
# Every other name under .test is NXDOMAIN (--local=/test/; without it
# dnsmasq would answer REFUSED), and so is every other reverse name
# (under in-addr.arpa and ip6.arpa); a name with no record of the type
# asked is NODATA.  Any name under servfail.test gets SERVFAIL at once,
# and so does the reverse name of 127.0.0.99:
# dnsmasq forwards that domain to tests/dns_servfail.py, which answers
# SERVFAIL to everything (dnsmasq left to itself answers a dead upstream
# with silence, which a resolver waits out: 10 s with libc's defaults).
#
# dnsmasq runs in the foreground (-k) as the test's own user (unprivileged
# under tests/run.sh: it binds a high port, needs no root, and --user and
# --group name the current ones so that it never changes ids, even as
# root), reads no configuration file, /etc/hosts or /etc/resolv.conf,
# and logs every query to $QP_DNS_DIR/dnsmasq.log.  Its pid, and the
# SERVFAIL server's, are in $QP_DNS_DIR (./dns of the test's work
# directory), where qp_dns_stop finds them from a cleanup too.

QP_DNSMASQ=${QP_DNSMASQ:-/usr/sbin/dnsmasq}

# qp_dns_dir - where this work directory's DNS servers keep their files.
qp_dns_dir() {
	echo "${QP_DNS_DIR:-$PWD/dns}"
}

# qp_dns_answers HOST PORT - whether a DNS server on HOST PORT answers a
# query (for qp-ready.test A) within half a second.
qp_dns_answers() {
	/usr/bin/python3 -c '
import socket, struct, sys
h, p = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in h else socket.AF_INET,
    socket.SOCK_DGRAM)
s.settimeout(0.5)
q = struct.pack(">HHHHHH", 0x5170, 0x0100, 1, 0, 0, 0)
q += b"\x08qp-ready\x04test\x00" + struct.pack(">HH", 1, 1)
try:
    s.sendto(q, (h, p))
    r = s.recv(4096)
except OSError:
    sys.exit(1)
sys.exit(0 if r[:2] == q[:2] else 1)' "$1" "$2"
}

# qp_dns_ours PID - whether PID is one of the servers of this work
# directory (its command line names the dns folder), so that a recycled
# pid is never killed.
qp_dns_ours() {
	qp_alive "$1" || return 1
	tr '\0' '\n' < "/proc/$1/cmdline" 2>/dev/null |
	    grep -qF "$(qp_dns_dir)/"
}

# qp_dns_servfail - start tests/dns_servfail.py on a port of its own
# choosing; sets _qp_sf_port (and _qp_sf, dnsmasq's form of its address).
qp_dns_servfail() {
	_qp_dd=$(qp_dns_dir)
	rm -f "$_qp_dd/servfail.port"
	(
		/usr/bin/python3 "$(qp_top)/tests/dns_servfail.py" 127.0.0.1 \
		    "$_qp_dd/servfail.port" </dev/null >/dev/null \
		    2>>"$_qp_dd/servfail.log" &
		echo $! >> "$_qp_dd/pids"
	)
	qp_deadline_loop 10 test -s "$_qp_dd/servfail.port" ||
	    qp_fail "qp_dns_start: dns_servfail.py did not start" \
	    "$_qp_dd/servfail.log"
	_qp_sf_port=$(cat "$_qp_dd/servfail.port")
	_qp_sf="127.0.0.1#$_qp_sf_port"
}

# qp_dns_start [-6] [dnsmasq option...] - start dnsmasq on 127.0.0.1
# (and ::1 too with -6) on a free port, with the options given, wait
# until it answers, export QP_DNS_PORT (and QP_DNS_DIR), and, when
# QPOST_CONTROL is set, write "127.0.0.1:PORT" to its resolvers file.
# A port that turns out to be taken (qp_free_port checks TCP only, and
# ::1 not at all) is given up for another, up to five times.
qp_dns_start() {
	_qp_v6=
	if [ "${1:-}" = -6 ]; then
		_qp_v6=--listen-address=::1
		shift
	fi
	[ -x "$QP_DNSMASQ" ] ||
	    atf_fail "qp_dns_start: no $QP_DNSMASQ (Debian dnsmasq-base)"
	QP_DNS_DIR=$(qp_dns_dir)
	export QP_DNS_DIR
	mkdir -p "$QP_DNS_DIR" ||
	    atf_fail "qp_dns_start: cannot make $QP_DNS_DIR"
	qp_dns_servfail
	_qp_try=0
	while :; do
		_qp_try=$((_qp_try + 1))
		QP_DNS_PORT=$(qp_free_port 127.0.0.1) ||
		    atf_fail "qp_dns_start: no free port"
		: > "$QP_DNS_DIR/dnsmasq.err"
		(
			"$QP_DNSMASQ" -k -C /dev/null --pid-file= \
			    --user="$(id -un)" --group="$(id -gn)" \
			    --port="$QP_DNS_PORT" --bind-interfaces \
			    --listen-address=127.0.0.1 $_qp_v6 \
			    --no-resolv --no-hosts --no-poll \
			    --log-queries \
			    --log-facility="$QP_DNS_DIR/dnsmasq.log" \
			    --local=/test/ --local-ttl=300 \
			    --local=/in-addr.arpa/ --local=/ip6.arpa/ \
			    --server="/servfail.test/127.0.0.1#$_qp_sf_port" \
			    --server="/99.0.0.127.in-addr.arpa/$_qp_sf" \
			    "$@" </dev/null >/dev/null \
			    2>>"$QP_DNS_DIR/dnsmasq.err" &
			echo $! > "$QP_DNS_DIR/dnsmasq.pid"
		)
		_qp_dm=$(cat "$QP_DNS_DIR/dnsmasq.pid")
		echo "$_qp_dm" >> "$QP_DNS_DIR/pids"
		_qp_dns_up() {
			qp_dns_answers 127.0.0.1 "$QP_DNS_PORT" && return 0
			qp_alive "$_qp_dm" || return 0	# judged below
			return 1
		}
		qp_deadline_loop 10 _qp_dns_up ||
		    qp_fail "qp_dns_start: dnsmasq does not answer on port" \
		    "$QP_DNS_PORT after 10 s" "$QP_DNS_DIR/dnsmasq.err"
		qp_alive "$_qp_dm" && break
		grep -q "Address already in use" "$QP_DNS_DIR/dnsmasq.err" &&
		    [ "$_qp_try" -lt 5 ] && continue
		qp_fail "qp_dns_start: dnsmasq exited" "$QP_DNS_DIR/dnsmasq.err"
	done
	if [ -n "$_qp_v6" ]; then
		qp_deadline_loop 10 qp_dns_answers ::1 "$QP_DNS_PORT" ||
		    qp_fail "qp_dns_start: dnsmasq does not answer on ::1" \
		    "$QP_DNS_DIR/dnsmasq.err"
	fi
	export QP_DNS_PORT
	if [ -n "${QPOST_CONTROL:-}" ]; then
		echo "127.0.0.1:$QP_DNS_PORT" > "$QPOST_CONTROL/resolvers" ||
		    atf_fail "qp_dns_start: cannot write" \
		    "$QPOST_CONTROL/resolvers"
	fi
}

# qp_dns_stop - stop the DNS servers this work directory started (TERM,
# then KILL after 10 s); only recorded pids that are still ours.
qp_dns_stop() {
	_qp_dd=$(qp_dns_dir)
	[ -s "$_qp_dd/pids" ] || return 0
	_qp_dpids=
	for _qp_p in $(cat "$_qp_dd/pids"); do
		if qp_dns_ours "$_qp_p"; then
			kill -TERM "$_qp_p" 2>/dev/null
			_qp_dpids="$_qp_dpids $_qp_p"
		fi
	done
	_qp_dns_gone() {
		for _qp_p in $_qp_dpids; do
			! qp_alive "$_qp_p" || return 1
		done
		return 0
	}
	if ! qp_deadline_loop 10 _qp_dns_gone; then
		for _qp_p in $_qp_dpids; do
			kill -KILL "$_qp_p" 2>/dev/null
		done
		qp_deadline_loop 5 _qp_dns_gone ||
		    echo "qp_dns_stop: still running:$_qp_dpids" >&2
	fi
	: > "$_qp_dd/pids"
	return 0
}
