#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# SRS (lib/srs.h) end to end: with control/srskey, mail that an alias
# forwards to another domain leaves (through remote, to a test SMTP
# server) with an SRS0 sender of this host; a bounce sent back to that
# address by SMTP reaches the original sender; a forwarded copy that
# fails here bounces to the original sender too; a forged SRS address
# is refused at RCPT; without the key, the sender is kept.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../remote/remote.sh"

# setup [KEY] - an instance whose alias fwd forwards to
# carol@remote.test and perm@remote.test goes to perm@remote.test,
# every remote domain routed to the peer "p" (mode rcpt_mixed: a local
# part starting "perm" gets 550), smtpd listening, and control/srskey
# KEY when given.
setup() {
	qp_smtpd_instance "$PWD/inst"
	PORT=$(qp_free_port 127.0.0.2)
	rm_peer_start p 127.0.0.2 "$PORT"
	rm_mode p rcpt_mixed
	echo ":127.0.0.2:$PORT" > "$QPOST_CONTROL/smtproutes"
	printf 'postmaster: alice\nfwd: carol@remote.test\nbad: perm@remote.test\n' \
	    > "$QPOST_CONTROL/aliases"
	"$QPOST_LIBEXEC/qcdb" aliases > qcdb.out 2>&1 ||
	    qp_fail "qcdb aliases failed" qcdb.out
	if [ -n "${1:-}" ]; then
		echo "$1" > "$QPOST_CONTROL/srskey"
		chmod 600 "$QPOST_CONTROL/srskey"
	fi
	qp_start
	qp_smtpd_start
}

# send FROM TO - one message from FROM to TO by SMTP, accepted
send() {
	qp_msg "$2" > m
	qp_wire m
	printf '%s\n' "< 220 " "> EHLO client.test" "< 250 " \
	    "> MAIL FROM:<$1>" "< 250 2.1.0" "> RCPT TO:<$2>" "< 250 2.1.5" \
	    "> DATA" "< 354" ">file m.wire" "< 250 2.0.0 Ok: queued as " \
	    "> QUIT" "< 221 2.0.0" "<eof" > m.dialog
	qp_smtp_dialog m.dialog m.out
}

# peer_mails N - wait until the peer has stored N messages
peer_mails() {
	_want=$1
	_got() { [ "$(rm_mails p)" -ge "$_want" ]; }
	qp_deadline_loop 30 _got ||
	    qp_fail "the peer stored $(rm_mails p) messages, want $_want" \
	    "$QP_DIR/log"
}

atf_test_case forward cleanup
forward_head() {
	atf_set "descr" "a forward leaves with an SRS0 sender of this host; a bounce to it by SMTP reaches the original sender; a forged one gets 550"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
forward_body() {
	setup 0123456789abcdef-srs-test-key
	send bob@sender.test fwd@example.test
	peer_mails 1
	grep -Eq '^MAIL FROM:<SRS0=[A-Za-z0-9+/]{4}=[A-Z2-7]{2}=sender\.test=bob@example\.test>' \
	    p/mail/1.env || qp_fail "the forward's sender is not SRS0" p/mail/1.env
	grep -q '^RCPT TO:<carol@remote.test>' p/mail/1.env ||
	    qp_fail "not forwarded to carol" p/mail/1.env
	srs=$(sed -n 's/^MAIL FROM:<\(SRS0=[^>]*\)>.*/\1/p' p/mail/1.env)
	# the next hop's bounce to it, in lower case as some MTAs make it
	lower=$(echo "$srs" | tr 'A-Z' 'a-z')
	send "" "$lower"
	peer_mails 2
	grep -q '^RCPT TO:<bob@sender.test>' p/mail/2.env ||
	    qp_fail "the bounce did not reach bob" p/mail/2.env
	grep -q '^MAIL FROM:<>' p/mail/2.env ||
	    qp_fail "the bounce is no longer a bounce" p/mail/2.env
	grep -q "srs rcpt=<$lower> to=<bob@sender.test>" "$QP_DIR/smtpd.log" ||
	    qp_fail "no log line for the SRS recipient" "$QP_DIR/smtpd.log"
	# forged: another hash, and an address of another domain's form
	forged=$(echo "$srs" | sed 's/^SRS0=..../SRS0=AAAA/')
	[ "$forged" != "$srs" ] || forged=$(echo "$srs" | sed 's/^SRS0=..../SRS0=BBBB/')
	printf '%s\n' "< 220 " "> EHLO client.test" "< 250 " "> MAIL FROM:<>" \
	    "< 250 2.1.0" "> RCPT TO:<$forged>" \
	    "< 550 5.1.1 <$forged>: an SRS address whose hash does not match" \
	    "> RCPT TO:<SRS0=abcd=AA=x.test@example.test>" "< 550 5.1.1" \
	    "> QUIT" "< 221 2.0.0" "<eof" > f.dialog
	qp_smtp_dialog f.dialog
	# another forwarder's SRS0 sender becomes SRS1, whose bounce goes
	# back to that forwarder's address
	send SRS0=wxyz=AB=orig.test=dan@first.test fwd@example.test
	peer_mails 3
	grep -Eq '^MAIL FROM:<SRS1=.{4}=first\.test==wxyz=AB=orig\.test=dan@example\.test>' \
	    p/mail/3.env || qp_fail "not an SRS1 sender" p/mail/3.env
	srs1=$(sed -n 's/^MAIL FROM:<\(SRS1=[^>]*\)>.*/\1/p' p/mail/3.env)
	send "" "$srs1"
	peer_mails 4
	grep -q '^RCPT TO:<SRS0=wxyz=AB=orig.test=dan@first.test>' p/mail/4.env ||
	    qp_fail "the SRS1 bounce did not reach the first forwarder" \
	    p/mail/4.env
	# a sender of this host's own origin domain is kept: SPF passes
	echo origin.test > "$QPOST_CONTROL/origin"
	qp_reload
	qp_wait_file_match "$QP_DIR/log" "control files read again" 10
	send x@origin.test fwd@example.test
	peer_mails 5
	grep -q '^MAIL FROM:<x@origin.test>' p/mail/5.env ||
	    qp_fail "a sender of the origin domain was rewritten" p/mail/5.env
	qp_stop "$QP_DIR"
}
forward_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case bounce cleanup
bounce_head() {
	atf_set "descr" "a forwarded copy refused by the next hop bounces to the original sender, not to its SRS address"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
bounce_body() {
	setup 0123456789abcdef-srs-test-key
	send bob@sender.test bad@example.test
	peer_mails 1
	grep -q '^RCPT TO:<bob@sender.test>' p/mail/1.env ||
	    qp_fail "the bounce did not go to bob" p/mail/1.env
	grep -q '^MAIL FROM:<>' p/mail/1.env || qp_fail "not a bounce" p/mail/1.env
	grep -Eq 'bounce queued for id=[0-9a-f]+ to=<bob@sender.test>' \
	    "$QP_DIR/log" || qp_fail "no bounce to bob in the log"
	qp_stop "$QP_DIR"
}
bounce_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case off cleanup
off_head() {
	atf_set "descr" "without control/srskey a forward keeps its sender and an SRS-looking recipient is an unknown user"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
off_body() {
	setup
	send bob@sender.test fwd@example.test
	peer_mails 1
	grep -q '^MAIL FROM:<bob@sender.test>' p/mail/1.env ||
	    qp_fail "the sender was changed" p/mail/1.env
	printf '%s\n' "< 220 " "> EHLO client.test" "< 250 " "> MAIL FROM:<>" \
	    "< 250 2.1.0" "> RCPT TO:<SRS0=abcd=AA=x.test=y@example.test>" \
	    "< 550 5.1.1" "> QUIT" "< 221 2.0.0" "<eof" > f.dialog
	qp_smtp_dialog f.dialog
	qp_stop "$QP_DIR"
}
off_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_init_test_cases() {
	atf_add_test_case forward
	atf_add_test_case bounce
	atf_add_test_case off
}
