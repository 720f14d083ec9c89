#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Verification on the way in (qpost-qpverify(8)): SPF, DKIM and DMARC
# against records dnsmasq serves on a loopback port (tests/dns.sh),
# each outcome checked as the exact Authentication-Results field RFC
# 8601 spells.  The matrix runs qpverify directly (one DNS server, many
# messages: fast); the smtpd case runs the real path, smtpd under
# tcpserver, its queue runner, qinject and qpverify, with scripted
# dialogues.  Clients are 192.0.2.x (RFC 5737): libspf2 passes every
# loopback client whatever the record says, so the smtpd case names its
# client in a PROXY header (control/proxyfrom lists 127.0.0.1).
# DKIM signatures are made by dkimpy (python3-dkim), an independent
# signer, with a key made here.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../dns.sh"

SIGN="/usr/bin/python3 $(atf_get_srcdir)/dkim_sign.py"

# zone [dkim] - the records of every case, for qp_dns_start; with
# "dkim", makes a DKIM key pair (key.pem) and serves its public key.
# The DKIM TXT is split in two strings, as a 2048-bit key must be (255
# bytes a string).
zone() {
	if [ "${1:-}" = dkim ]; then
		openssl genrsa -traditional -out key.pem 2048 2>/dev/null ||
		    atf_fail "openssl genrsa failed"
		p=$(openssl rsa -in key.pem -pubout -outform DER \
		    2>/dev/null | base64 -w 0)
		[ -n "$p" ] || atf_fail "no public key"
		rec="v=DKIM1; k=rsa; p=$p"
		part1=$(printf %s "$rec" | cut -c 1-200)
		part2=$(printf %s "$rec" | cut -c 201-)
		echo "--txt-record=sel._domainkey.pass.test,$part1,$part2"
	fi
	echo "--txt-record=pass.test,v=spf1 ip4:192.0.2.1 -all"
	echo "--txt-record=_dmarc.pass.test,v=DMARC1; p=reject"
	echo "--txt-record=soft.test,v=spf1 ip4:192.0.2.1 ~all"
	echo "--txt-record=hardfail.test,v=spf1 -all"
	echo "--host-record=nospf.test,192.0.2.5"
	echo "--host-record=mx.client.test,192.0.2.1"
	echo "--txt-record=mx.client.test,v=spf1 a -all"
	echo "--txt-record=_dmarc.lax.test,v=DMARC1; p=none"
	echo "--txt-record=strict.test,v=spf1 ip4:192.0.2.2 -all"
	echo "--txt-record=_dmarc.strict.test,v=DMARC1; p=reject"
}

# setup [dkim] - an instance (authserv-id mx.example.test) and the DNS
# server.
setup() {
	qp_instance "$PWD/inst"
	echo mx.example.test > "$QPOST_CONTROL/authservid"
	zone "$@" > zone.args || atf_fail "cannot make the zone"
	# one option a line, blanks inside kept
	set --
	while IFS= read -r a; do
		set -- "$@" "$a"
	done < zone.args
	qp_dns_start "$@"
}

# msg FROM [EXTRA-HEADER] - a message with that From: address.
msg() {
	printf 'From: %s\nTo: alice@example.test\nSubject: verify\n' "$1"
	[ -n "${2:-}" ] && printf '%s\n' "$2"
	printf 'Date: Sat, 28 Nov 2026 12:00:00 +0000\n'
	printf 'Message-ID: <%s.v@example.test>\n\nHello.\nBye.\n' "$$"
}

# verify NAME IP HELO SENDER - qpverify over NAME (a file) into
# NAME.out; the exit code in $rc.  Its Authentication-Results field,
# folded lines joined by "|", in NAME.ar.
verify() {
	rc=0
	"$QPOST_LIBEXEC/qpverify" -i "$2" -H "$3" -f "$4" < "$1" \
	    > "$1.out" 2> "$1.err" || rc=$?
	awk 'NR == 1 { s = $0; next } /^\t/ { s = s "|" $0; next }
	    { print s; exit }' "$1.out" > "$1.ar"
}

# expect NAME FIELD - the field (lines joined by "|", tabs as written)
# must be what qpverify wrote.
expect() {
	want=$(printf '%s' "$2" | sed 's/|	*/|	/g')
	got=$(cat "$1.ar")
	[ "$got" = "$want" ] || atf_fail "$1: got [$got], want [$want];" \
	    "qpverify said: $(cat "$1.err")"
}

H="Authentication-Results: mx.example.test"

# One case, so that one instance and one DNS server serve every check
# (CI's time budget): first qpverify alone over the matrix, then the
# same through smtpd.
atf_test_case verify cleanup
verify_head() {
	atf_set "descr" "SPF pass, fail, softfail, none, temperror; DKIM" \
	    "pass and fail; DMARC pass, fail under p=none and p=reject; a" \
	    "forged field is removed, another's kept: each as RFC 8601" \
	    "spells it; then through smtpd, qinject and qpverify: the field" \
	    "lands in the queued message, the forgery is gone, under" \
	    "control/verify reject SPF -all gets 550 5.7.23 and DMARC" \
	    "p=reject 550 5.7.1, under record the same message is queued"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "openssl tcpserver"
	atf_set "timeout" "90"
}
verify_body() {
	setup dkim

	# SPF pass for both identities, DMARC pass through aligned SPF
	msg a@pass.test > pass
	verify pass 192.0.2.1 mx.client.test a@pass.test
	[ "$rc" -eq 0 ] || atf_fail "pass: exit $rc: $(cat pass.err)"
	expect pass "$H;|spf=pass smtp.mailfrom=a@pass.test;|spf=pass smtp.helo=mx.client.test;|dkim=none;|dmarc=pass header.from=pass.test"
	# the message follows the field, unchanged
	tail -n +6 pass.out | cmp -s - pass ||
	    atf_fail "pass: the message was changed"

	# SPF fail (-all) for MAIL FROM and HELO; DMARC fails, p=reject
	# recorded (control/verify absent: record only)
	verify pass 192.0.2.9 mx.client.test a@pass.test
	[ "$rc" -eq 0 ] || atf_fail "fail: exit $rc"
	expect pass "$H;|spf=fail smtp.mailfrom=a@pass.test;|spf=fail smtp.helo=mx.client.test;|dkim=none;|dmarc=fail (p=reject) header.from=pass.test"

	# softfail, none (a name without TXT, and one that does not exist)
	msg a@soft.test > soft
	verify soft 192.0.2.9 "[192.0.2.9]" a@soft.test
	expect soft "$H;|spf=softfail smtp.mailfrom=a@soft.test;|dkim=none;|dmarc=none header.from=soft.test"
	msg a@nospf.test > none
	verify none 192.0.2.1 nospf.test a@nospf.test
	expect none "$H;|spf=none smtp.mailfrom=a@nospf.test;|spf=none smtp.helo=nospf.test;|dkim=none;|dmarc=none header.from=nospf.test"
	verify none 192.0.2.1 "[192.0.2.1]" b@nosuch.test
	expect none "$H;|spf=none smtp.mailfrom=b@nosuch.test;|dkim=none;|dmarc=none header.from=nospf.test"

	# temperror: a zone whose server answers SERVFAIL; DMARC too
	msg a@x.servfail.test > temp
	verify temp 192.0.2.1 "[192.0.2.1]" a@x.servfail.test
	[ "$rc" -eq 0 ] || atf_fail "temperror: exit $rc"
	expect temp "$H;|spf=temperror smtp.mailfrom=a@x.servfail.test;|dkim=none;|dmarc=temperror header.from=x.servfail.test"

	# DKIM pass, aligned: DMARC pass although SPF fails
	msg a@pass.test > plain
	rc=0
	$SIGN key.pem pass.test sel < plain > signed 2> sign.err || rc=$?
	[ "$rc" -eq 3 ] && atf_skip "dkimpy (python3-dkim) is not installed"
	[ "$rc" -eq 0 ] || atf_fail "dkimpy could not sign: $(cat sign.err)"
	# header.b: the first 8 characters of the signature's b= tag
	b=$(awk 'NR == 1 { s = $0; next } /^[ \t]/ { s = s $0; next }
	    { exit } END { gsub(/[ \t]/, "", s); sub(/.*;b=/, "", s);
	    print substr(s, 1, 8) }' signed)
	case $b in
	*[/=]*)	hb="\"$b\"" ;;
	*)		hb=$b ;;
	esac
	verify signed 192.0.2.9 "[192.0.2.9]" bounce@other.test
	expect signed "$H;|spf=none smtp.mailfrom=bounce@other.test;|dkim=pass header.d=pass.test header.s=sel header.b=$hb;|dmarc=pass header.from=pass.test"
	# DKIM fail: the body altered after signing
	sed 's/^Hello\.$/Hello!/' signed > altered
	verify altered 192.0.2.9 "[192.0.2.9]" bounce@other.test
	expect altered "$H;|spf=none smtp.mailfrom=bounce@other.test;|dkim=fail header.d=pass.test header.s=sel header.b=$hb;|dmarc=fail (p=reject) header.from=pass.test"

	# DMARC fail under p=none: recorded; under p=reject: recorded,
	# exit 0, while control/verify says record; refused (33) under
	# reject; SPF -all refused (32) under reject
	msg x@lax.test > lax
	verify lax 192.0.2.1 "[192.0.2.1]" a@pass.test
	expect lax "$H;|spf=pass smtp.mailfrom=a@pass.test;|dkim=none;|dmarc=fail (p=none) header.from=lax.test"
	msg x@sub.strict.test > strict
	verify strict 192.0.2.1 "[192.0.2.1]" a@pass.test
	[ "$rc" -eq 0 ] || atf_fail "p=reject under record: exit $rc"
	expect strict "$H;|spf=pass smtp.mailfrom=a@pass.test;|dkim=none;|dmarc=fail (p=reject) header.from=sub.strict.test"
	echo reject > "$QPOST_CONTROL/verify"
	verify strict 192.0.2.1 "[192.0.2.1]" a@pass.test
	[ "$rc" -eq 33 ] || atf_fail "p=reject under reject: exit $rc, not 33"
	[ -s strict.out ] && atf_fail "a refused message was written out"
	verify lax 192.0.2.1 "[192.0.2.1]" a@pass.test
	[ "$rc" -eq 0 ] || atf_fail "p=none under reject: exit $rc"
	msg a@hardfail.test > hard
	verify hard 192.0.2.1 "[192.0.2.1]" a@hardfail.test
	[ "$rc" -eq 32 ] || atf_fail "SPF -all under reject: exit $rc, not 32"
	verify soft 192.0.2.9 "[192.0.2.9]" a@soft.test
	[ "$rc" -eq 0 ] || atf_fail "softfail under reject: exit $rc"
	# a DMARC failure a DNS error may have caused is temperror, never
	# a refusal: SPF temperror, p=reject
	msg x@strict.test > tstrict
	verify tstrict 192.0.2.1 "[192.0.2.1]" a@x.servfail.test
	[ "$rc" -eq 0 ] || atf_fail "DMARC after a DNS error: exit $rc"
	expect tstrict "$H;|spf=temperror smtp.mailfrom=a@x.servfail.test;|dkim=none;|dmarc=temperror header.from=strict.test"
	echo record > "$QPOST_CONTROL/verify"

	# forged fields claiming our id go, in any case, quoted, after a
	# comment, folded; another authserv-id's stays
	{
		printf 'Authentication-Results: MX.Example.Test; spf=pass\n'
		printf 'Authentication-Results: (c) "mx.example.test."\n'
		printf '\t1; dkim=pass header.d=pass.test\n'
		printf 'Authentication-Results: other.test; spf=fail\n'
		msg a@pass.test
	} > forged
	verify forged 192.0.2.1 mx.client.test a@pass.test
	expect forged "$H;|spf=pass smtp.mailfrom=a@pass.test;|spf=pass smtp.helo=mx.client.test;|dkim=none;|dmarc=pass header.from=pass.test"
	[ "$(grep -ci 'mx.example.test' forged.out)" -eq 1 ] ||
	    atf_fail "a forged field claiming our id was kept"
	grep -q '^Authentication-Results: other.test; spf=fail$' forged.out ||
	    atf_fail "another authserv-id's field was removed"
	grep -q 'removed=2 verdict=accept' forged.err ||
	    atf_fail "the log line does not count 2 removed: $(cat forged.err)"

	# ---- the real path: smtpd, its queue runner, qinject, qpverify
	echo reject > "$QPOST_CONTROL/verify"
	echo 127.0.0.1 > "$QPOST_CONTROL/proxyfrom"
	qp_smtpd_start
	{
		printf 'Authentication-Results: mx.example.test; dmarc=pass\n'
		printf 'Authentication-Results: other.test; spf=fail\n'
		msg a@pass.test
	} > good
	msg x@strict.test > strict
	msg a@hardfail.test > hard
	for m in good strict hard; do
		qp_wire $m
	done
	cat > d1 <<-EOF
	> PROXY TCP4 192.0.2.1 127.0.0.1 40000 25
	< 220
	> EHLO mx.client.test
	< 250
	> MAIL FROM:<a@pass.test>
	< 250
	> RCPT TO:<alice@example.test>
	< 250
	> DATA
	< 354
	>file good.wire
	< 250 2.0.0 Ok: queued as
	> MAIL FROM:<a@pass.test>
	< 250
	> RCPT TO:<alice@example.test>
	< 250
	> DATA
	< 354
	>file strict.wire
	< 550 5.7.1
	> MAIL FROM:<a@hardfail.test>
	< 250
	> RCPT TO:<alice@example.test>
	< 250
	> DATA
	< 354
	>file hard.wire
	< 550 5.7.23
	> QUIT
	< 221
	<eof
	EOF
	qp_smtp_dialog d1 d1.out
	id=$(qp_queued_ids d1.out)
	f=$QPOST_QUEUE/drop/$id
	[ -f "$f" ] || atf_fail "no drop file for $id"
	grep -q '^Authentication-Results: mx.example.test;$' "$f" ||
	    atf_fail "no Authentication-Results field of ours in $f"
	grep -q '^	dmarc=pass header.from=pass.test$' "$f" ||
	    atf_fail "no dmarc=pass in $f"
	grep -q 'mx.example.test; dmarc=pass' "$f" &&
	    atf_fail "the forged field is still in $f"
	grep -q '^Authentication-Results: other.test; spf=fail$' "$f" ||
	    atf_fail "another authserv-id's field was removed"
	[ "$(ls "$QPOST_QUEUE/drop" | wc -l)" -eq 1 ] ||
	    atf_fail "a refused message left a drop file: $(ls "$QPOST_QUEUE/drop")"

	# record: the p=reject failure is queued, and says so
	echo record > "$QPOST_CONTROL/verify"
	cat > d2 <<-EOF
	> PROXY TCP4 192.0.2.1 127.0.0.1 40000 25
	< 220
	> EHLO mx.client.test
	< 250
	> MAIL FROM:<a@pass.test>
	< 250
	> RCPT TO:<alice@example.test>
	< 250
	> DATA
	< 354
	>file strict.wire
	< 250 2.0.0 Ok: queued as
	> QUIT
	< 221
	<eof
	EOF
	qp_smtp_dialog d2 d2.out
	id=$(qp_queued_ids d2.out)
	grep -q '^	dmarc=fail (p=reject) header.from=strict.test$' \
	    "$QPOST_QUEUE/drop/$id" || atf_fail "no dmarc=fail recorded"
}
verify_cleanup() {
	qp_stop
	qp_dns_stop
}

atf_init_test_cases() {
	atf_add_test_case verify
}
