# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# dnssec.sh - a validating resolver for the tests of DANE, sourced after
# lib.sh and dns.sh: unbound on a free port of 127.0.0.1, serving zones
# from files (auth-zone, as if fetched from their servers) that
# ldns-signzone signed with keys whose DS records are unbound's only
# trust anchors.  So its answers from a signed zone carry the AD bit,
# those from an unsigned one do not, and a record changed after signing
# is bogus (SERVFAIL).  Nothing leaves loopback: every other name is
# refused.

# qp_dnssec_dir - the folder of the zones, keys, config and log.
qp_dnssec_dir() {
	echo "$PWD/dnssec"
}

# qp_dnssec_zone NAME signed|plain [RECORD...] - the zone NAME: an SOA,
# an NS and the records given (zone-file lines, names relative to
# NAME), signed with a fresh ECDSA P-256 key or not.
qp_dnssec_zone() {
	_qd=$(qp_dnssec_dir) _qd_zone=$1 _qd_kind=$2
	shift 2
	mkdir -p "$_qd" || atf_fail "qp_dnssec_zone: cannot make $_qd"
	{
		printf '$ORIGIN %s.\n$TTL 300\n' "$_qd_zone"
		printf '@ IN SOA ns hostmaster 1 3600 600 86400 300\n'
		printf '@ IN NS ns\nns IN A 127.0.0.1\n'
		printf '%s\n' "$@"
	} > "$_qd/$_qd_zone.zone"
	_qd_file=$_qd/$_qd_zone.zone
	if [ "$_qd_kind" = signed ]; then
		(
			cd "$_qd" &&
			_qd_key=$(ldns-keygen -a ECDSAP256SHA256 -k \
			    "$_qd_zone") &&
			ldns-signzone "$_qd_zone.zone" "$_qd_key" &&
			cat "$_qd_key.ds" >> anchors
		) > "$_qd/sign.out" 2>&1 ||
		    qp_fail "qp_dnssec_zone: signing $_qd_zone failed" \
		    "$_qd/sign.out"
		_qd_file=$_qd/$_qd_zone.zone.signed
	fi
	echo "$_qd_zone $_qd_file" >> "$_qd/zones"
}

# qp_tlsa_spki SHA CERT - the digest (sha256 or sha512) of the public
# key of the PEM certificate CERT, in hex: the data of a TLSA record of
# selector 1 (matching type 1 or 2).
qp_tlsa_spki() {
	openssl x509 -in "$2" -noout -pubkey | openssl pkey -pubin \
	    -outform DER | "$1sum" | cut -d' ' -f1
}

# qp_tlsa_cert SHA CERT - the digest of the whole certificate: selector 0.
qp_tlsa_cert() {
	openssl x509 -in "$2" -outform DER | "$1sum" | cut -d' ' -f1
}

# qp_dnssec_config PORT - unbound.conf for the zones made so far.
qp_dnssec_config() {
	_qd=$(qp_dnssec_dir)
	cat <<EOC
server:
	interface: 127.0.0.1
	port: $1
	outgoing-interface: 127.0.0.1
	do-ip6: no
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$_qd"
	pidfile: ""
	use-syslog: no
	logfile: ""
	verbosity: 1
	val-log-level: 2
	access-control: 127.0.0.0/8 allow
	local-zone: "." refuse
	local-zone: "test." nodefault
EOC
	[ -s "$_qd/anchors" ] &&
	    printf '\ttrust-anchor-file: "%s"\n' "$_qd/anchors"
	while read -r _qd_zone _qd_file; do
		printf '\tlocal-zone: "%s." transparent\n' "$_qd_zone"
	done < "$_qd/zones"
	while read -r _qd_zone _qd_file; do
		printf 'auth-zone:\n\tname: "%s"\n\tzonefile: "%s"\n' \
		    "$_qd_zone" "$_qd_file"
		printf '\tfor-upstream: yes\n\tfor-downstream: no\n'
		printf '\tfallback-enabled: no\n'
	done < "$_qd/zones"
}

# qp_dnssec_start - start unbound for the zones made, wait until it
# answers, export QP_DNSSEC_PORT and, when QPOST_CONTROL is set, write
# "127.0.0.1:PORT" to its resolvers file.
qp_dnssec_start() {
	_qd=$(qp_dnssec_dir)
	[ -s "$_qd/zones" ] || atf_fail "qp_dnssec_start: no zone made"
	QP_DNSSEC_PORT=$(qp_free_port 127.0.0.1) ||
	    atf_fail "qp_dnssec_start: no free port"
	qp_dnssec_config "$QP_DNSSEC_PORT" > "$_qd/unbound.conf"
	unbound-checkconf "$_qd/unbound.conf" > "$_qd/check.out" 2>&1 ||
	    qp_fail "qp_dnssec_start: unbound.conf is broken" "$_qd/check.out"
	unbound -c "$_qd/unbound.conf" </dev/null >"$_qd/unbound.log" 2>&1 &
	echo $! > "$_qd/pid"
	_qd_up() {
		qp_dns_answers 127.0.0.1 "$QP_DNSSEC_PORT" && return 0
		qp_alive "$(cat "$_qd/pid")" || return 0	# judged below
		return 1
	}
	qp_deadline_loop 30 _qd_up && qp_alive "$(cat "$_qd/pid")" ||
	    qp_fail "qp_dnssec_start: unbound does not answer" \
	    "$_qd/unbound.log"
	export QP_DNSSEC_PORT
	if [ -n "${QPOST_CONTROL:-}" ]; then
		echo "127.0.0.1:$QP_DNSSEC_PORT" > "$QPOST_CONTROL/resolvers" ||
		    atf_fail "qp_dnssec_start: cannot write resolvers"
	fi
}

# qp_dnssec_stop - stop the unbound this work directory started, only
# if its pid is still that unbound (its command line names our config).
qp_dnssec_stop() {
	_qd=$(qp_dnssec_dir)
	[ -f "$_qd/pid" ] || return 0
	_qd_pid=$(cat "$_qd/pid")
	if qp_alive "$_qd_pid" && tr '\0' '\n' < "/proc/$_qd_pid/cmdline" |
	    grep -qxF "$_qd/unbound.conf"; then
		kill "$_qd_pid"
		qp_deadline_loop 10 eval '! qp_alive "$_qd_pid"' ||
		    kill -KILL "$_qd_pid"
	fi
	return 0
}
