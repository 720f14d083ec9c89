#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# The receiving Postfix of tests/postfix.sh, which the remote sender's
# tests deliver into, proved with swaks and Python's smtplib as the
# sending side: one transaction to 50 recipients over two domains
# (plain, and with STARTTLS verified against the test CA) gives 50
# Maildir files whose bodies are byte for byte the message sent; the
# per-recipient refusals it offers; two receivers on one port at two
# addresses (as MX records with control/remoteport need them); and
# that stopping leaves no process behind.  Postfix must start as root:
# every case runs as root and stops its instances in the cleanup.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../postfix.sh"

# ms - milliseconds since the epoch, for the timings on stdout.
ms() {
	echo $(($(date +%s%N) / 1000000))
}

# message ID - the test message (LF line ends) into ./m, and into
# ./m.swaks as swaks takes it: swaks sends each LF as CRLF, dot-stuffs,
# and ends the data with CRLF "." CRLF itself, so the final LF is cut.
# Postfix stores what arrives with LF line ends and dots unstuffed, so
# pf_body of a delivered copy must equal ./m byte for byte.
message() {
	{
		qp_msg "$1"
		printf 'a tab\there and trailing blanks  \n'
		printf '.\n..\n'
		printf 'eight bits: Gr\303\274\303\237e\n'
		printf '%0998d\n' 0
		printf 'the last line\n'
	} > m
	head -c -1 m > m.swaks
}

# expect WANT GOT WHAT - fail unless GOT is WANT (for the output of shell
# functions: atf_check runs programs only).
expect() {
	[ "$2" = "$1" ] || atf_fail "$3: '$2', not '$1'"
}

# rcpts - the 50 recipients r01@a.test ... r25@a.test, r26@b.test ...
# r50@b.test, one a line, into ./rcpts.
rcpts() {
	for _i in $(seq -w 1 50); do
		if [ "$_i" -le 25 ]; then
			echo "r$_i@a.test"
		else
			echo "r$_i@b.test"
		fi
	done > rcpts
}

# start [tls] - a receiver for a.test and b.test on 127.0.0.2, timed.
start() {
	pf_base
	port=$(pf_free_port 127.0.0.2) || atf_fail "no free port"
	_t=$(ms)
	pf_receiver_start 127.0.0.2 "$port" "a.test b.test" "$@"
	echo "timing: pf_receiver_start ${1:-plain}: $(($(ms) - _t)) ms"
}

# send50 [SWAKS-ARG...] - swaks sends ./m.swaks in one transaction to
# the 50 recipients; wait until all 50 are delivered (timed).
send50() {
	rcpts
	message "pf50"
	_t=$(ms)
	atf_check -o match:"<[~-]  250 2\.0\.0 Ok: queued as" -e ignore \
	    swaks --server 127.0.0.2 --port "$port" --helo client.test \
	    --from sender@example.test --to "$(paste -s -d , rcpts)" \
	    --data @m.swaks --timeout 20 "$@"
	_s=$(ms)
	pf_wait_delivered "$PF_DIR/mail" 50 60
	echo "timing: swaks $((_s - _t)) ms, then all 50 delivered" \
	    "$(($(ms) - _s)) ms later"
}

# check50 REGEX - exactly 50 files in all, one in each recipient's
# Maildir, each with its Delivered-To:, a Received: line matching
# (grep -E) REGEX, and pf_body equal to ./m.
check50() {
	expect 50 "$(pf_nfiles_new "$PF_DIR/mail")" "files in $PF_DIR/mail"
	while read -r _r; do
		_f=$(ls "$PF_DIR/mail/${_r#*@}/${_r%@*}/new/"*) ||
		    atf_fail "nothing delivered to $_r"
		[ "$(echo "$_f" | wc -l)" -eq 1 ] ||
		    atf_fail "more than one file for $_r: $_f"
		grep -qxF "Delivered-To: $_r" "$_f" ||
		    atf_fail "no Delivered-To: $_r in $_f"
		grep -qE "$1" "$_f" ||
		    qp_fail "no Received: matching '$1' in $_f" "$_f"
		if ! pf_body "$_f" | cmp -s - m; then
			pf_body "$_f" | diff -u m - >&2
			atf_fail "$_f differs from the message sent"
		fi
	done < rcpts
}

# stopped - stop the receiver and check that no process of it is left
# and its port is closed.
stopped() {
	_t=$(ms)
	pf_receiver_stop "$PF_DIR"
	echo "timing: pf_receiver_stop: $(($(ms) - _t)) ms"
	expect "" "$(pf_instance_pids "$PF_DIR")" "processes left of $PF_DIR"
	! qp_port_open 127.0.0.2 "$port" || atf_fail "port $port still open"
}

atf_test_case plain cleanup
plain_head() {
	atf_set "descr" "swaks sends one message to 50 recipients in one" \
	    "transaction: 50 Maildir files, each the message as sent"
	atf_set "require.user" "root"
	atf_set "require.progs" "postfix swaks"
	atf_set "timeout" "120"
}
plain_body() {
	start
	send50
	check50 "by mx\.pf\.test \(Postfix\) with ESMTP id "
	stopped
}
plain_cleanup() {
	pf_cleanup
}

atf_test_case starttls cleanup
starttls_head() {
	atf_set "descr" "the same over STARTTLS, the certificate verified" \
	    "against the test CA: Received: says ESMTPS"
	atf_set "require.user" "root"
	atf_set "require.progs" "postfix swaks openssl"
	atf_set "timeout" "120"
}
starttls_body() {
	start tls
	[ -s "$PF_CA_CERT" ] || atf_fail "no PF_CA_CERT"
	# what a verifying client (qpost's remote with control/tlscafile)
	# sees: a chain to the test CA and the name mx.pf.test
	atf_check -o match:"Verify return code: 0 \(ok\)" -e ignore \
	    openssl s_client -connect "127.0.0.2:$port" -starttls smtp \
	    -CAfile "$PF_CA_CERT" -verify_hostname mx.pf.test \
	    -verify_return_error < /dev/null
	atf_check -s not-exit:0 -o ignore -e ignore \
	    openssl s_client -connect "127.0.0.2:$port" -starttls smtp \
	    -CAfile "$PF_CA_CERT" -verify_hostname mx.other.test \
	    -verify_return_error < /dev/null
	send50 --tls --tls-verify --tls-ca-path "$PF_CA_CERT"
	check50 "by mx\.pf\.test \(Postfix\) with ESMTPS id "
	grep -q "TLS connection established from" "$PF_DIR/maillog" ||
	    qp_fail "no TLS connection in the maillog" "$PF_DIR/maillog"
	stopped
}
starttls_cleanup() {
	pf_cleanup
}

atf_test_case refusals cleanup
refusals_head() {
	atf_set "descr" "nosuch* is refused with 550, defer* with 450, other" \
	    "domains with 554 and names leaving mail/ with 550; mixed case" \
	    "is folded; only the accepted recipients get the message"
	atf_set "require.user" "root"
	atf_set "require.progs" "postfix"
	atf_set "timeout" "120"
}
refusals_body() {
	start
	qp_msg refusals > m
	# smtplib sends the message when one recipient is accepted and
	# returns the refused ones with their codes; it dot-stuffs, but
	# makes CRLF line ends only of a str message, so bytes get them here
	atf_check -o inline:"$(printf '%s\n' \
	    "-.dot@a.test 550" "-a/b@a.test 550" "-defer1@b.test 450" \
	    "-nosuch1@a.test 550" "-x@other.test 554")\n" \
	    /usr/bin/python3 -c '
import smtplib, sys
msg = open("m", "rb").read().replace(b"\n", b"\r\n")
s = smtplib.SMTP("127.0.0.2", int(sys.argv[1]), timeout=20)
bad = s.sendmail("sender@example.test", ["ok@a.test", "nosuch1@a.test",
    "defer1@b.test", "x@other.test", "MiXed@A.Test", ".dot@a.test",
    "a/b@a.test"], msg)
s.quit()
for r in sorted(bad):
    print("-" + r, bad[r][0])' "$port"
	pf_wait_delivered "$PF_DIR/mail" 2 60
	expect 2 "$(pf_nfiles_new "$PF_DIR/mail")" "files in $PF_DIR/mail"
	for _b in a.test/ok a.test/mixed; do
		_f=$(ls "$PF_DIR/mail/$_b/new/"*) ||
		    atf_fail "nothing in $_b"
		if ! pf_body "$_f" | cmp -s - m; then
			pf_body "$_f" | diff -u m - >&2
			atf_fail "$_f differs from the message sent"
		fi
	done
	atf_check -o inline:"a.test\n" ls "$PF_DIR/mail"
	stopped
}
refusals_cleanup() {
	pf_cleanup
}

atf_test_case two_receivers cleanup
two_receivers_head() {
	atf_set "descr" "receivers on 127.0.0.2 and 127.0.0.3 share one" \
	    "port, each with its own name and domain (the second with" \
	    "STARTTLS and a given certificate); pf_receiver_stop with no" \
	    "argument stops both and leaves no process"
	atf_set "require.user" "root"
	atf_set "require.progs" "postfix swaks openssl"
	atf_set "timeout" "120"
}
two_receivers_body() {
	pf_base
	port=$(pf_free_port 127.0.0.2 127.0.0.3) || atf_fail "no free port"
	PF_HOSTNAME=mx1.example.test pf_receiver_start 127.0.0.2 "$port" \
	    one.test
	d1=$PF_DIR
	# the second with a certificate of its own (PF_CERT, PF_KEY)
	qp_mkca "$PF_BASE/ca2"
	qp_mkcert_signed "$PF_BASE/ca2" mx2.example.test
	PF_HOSTNAME=mx2.example.test PF_CERT=$PF_BASE/ca2/mx2.example.test.crt \
	    PF_KEY=$PF_BASE/ca2/mx2.example.test.key \
	    pf_receiver_start 127.0.0.3 "$port" two.test tls
	d2=$PF_DIR
	atf_check -o match:"Verify return code: 0 \(ok\)" -e ignore \
	    openssl s_client -connect "127.0.0.3:$port" -starttls smtp \
	    -CAfile "$PF_BASE/ca2/ca.crt" -verify_hostname mx2.example.test \
	    -verify_return_error < /dev/null
	qp_msg two > m
	head -c -1 m > m.swaks
	for _i in 2 3; do
		atf_check -o match:"<-  250 2\.0\.0 Ok: queued as" \
		    -o match:"<-  220 mx$((_i - 1))\.example\.test ESMTP" \
		    -e ignore swaks --server "127.0.0.$_i" --port "$port" \
		    --helo client.test --from sender@example.test \
		    --to "u@one.test,u@two.test" --data @m.swaks --timeout 20
	done
	# each took only its own domain (554 for the other)
	pf_wait_delivered "$d1/mail" 1 60
	pf_wait_delivered "$d2/mail" 1 60
	expect 1 "$(pf_nfiles_new "$d1/mail/one.test/u")" "files for u@one.test"
	expect 1 "$(pf_nfiles_new "$d2/mail/two.test/u")" "files for u@two.test"
	atf_check -o match:"by mx1\.example\.test \(Postfix\)" \
	    sh -c "cat '$d1'/mail/one.test/u/new/*"
	pf_receiver_stop
	expect "" "$(pf_instance_pids "$d1")" "processes left of $d1"
	expect "" "$(pf_instance_pids "$d2")" "processes left of $d2"
	! qp_port_open 127.0.0.2 "$port" || atf_fail "127.0.0.2 still open"
	! qp_port_open 127.0.0.3 "$port" || atf_fail "127.0.0.3 still open"
}
two_receivers_cleanup() {
	pf_cleanup
}

atf_init_test_cases() {
	atf_add_test_case plain
	atf_add_test_case starttls
	atf_add_test_case refusals
	atf_add_test_case two_receivers
}
