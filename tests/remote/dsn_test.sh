#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# The sender's DSN requests (RFC 3461) on their way out: `remote' gives
# RET and ENVID on MAIL and NOTIFY and ORCPT on each RCPT to a server
# that offers DSN, exactly as asked, and nothing of them to one that
# does not; it reports P1 for each recipient such a server took the
# message for, and only those; rspawn turns a request's Y, J, D and X
# fields into remote's options and carries P1 back into the result
# sched reads.  The test server (hostile_peer.py) offers DSN when its
# folder has a file "dsn", and records MAIL and RCPT as they came.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/remote.sh"

ENVID='qp+2Benv-1'
ORCPT_A='rfc822;First+2Bx@example.test'

# setup MODE [dsn] - control files, a peer "p" on 127.0.0.2 in MODE that
# offers DSN when asked, smtproutes sending example.test there; ./msg.
setup() {
	rm_control
	PORT=$(qp_free_port 127.0.0.2)
	rm_peer_start p 127.0.0.2 "$PORT"
	rm_mode p "$1"
	[ "${2:-}" != dsn ] || : > p/dsn
	echo "example.test:127.0.0.2:$PORT" > control/smtproutes
	qp_msg 1 > msg
	SIZE=$(($(wc -c < msg) + $(wc -l < msg)))
}

# env_is N LINE... - the peer's mail N was sent with exactly these MAIL
# and RCPT lines.
env_is() {
	_n=$1
	shift
	printf '%s\n' "$@" > "env$_n.want"
	if ! cmp -s "env$_n.want" "p/mail/$_n.env"; then
		diff -u "env$_n.want" "p/mail/$_n.env" >&2
		qp_fail "mail $_n was not sent with these commands" p/log
	fi
}

# three - remote to a@, b@ and c@example.test with a request for each
# but b@, and for the message.
three() {
	rm_remote -R HDRS -E "$ENVID" -N SUCCESS,FAILURE -O "$ORCPT_A" \
	    -N "" -O "" -N NEVER -O "" -- example.test sender@sender.test \
	    a@example.test b@example.test c@example.test
}

atf_test_case offered cleanup
offered_head() {
	atf_set "descr" "a server that offers DSN gets RET, ENVID, NOTIFY and" \
	    "ORCPT as asked, pipelined or not, and each recipient it took" \
	    "is reported with P1"
	atf_set "require.user" "unprivileged"
}
offered_body() {
	setup good dsn
	three
	rm_expect "K ^2\.0\.0 .*said: 250" "P ^1$" "K ^2\.0\.0" "P ^1$" \
	    "K ^2\.0\.0" "P ^1$"
	env_is 1 "MAIL FROM:<sender@sender.test> SIZE=$SIZE RET=HDRS ENVID=$ENVID" \
	    "RCPT TO:<a@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=$ORCPT_A" \
	    "RCPT TO:<b@example.test>" \
	    "RCPT TO:<c@example.test> NOTIFY=NEVER"
	grep -q " dsn=passed time=" remote.log ||
	    qp_fail "the attempt does not say dsn=passed" remote.log
	# without PIPELINING, one command at a time; ORCPT without NOTIFY
	rm_mode p plain_esmtp
	rm_remote -R FULL -O "rfc822;d@example.test" -O "" -- example.test \
	    "" d@example.test e@example.test
	rm_expect "K ^2\.0\.0" "P ^1$" "K ^2\.0\.0" "P ^1$"
	env_is 2 "MAIL FROM:<> SIZE=$SIZE RET=FULL" \
	    "RCPT TO:<d@example.test> ORCPT=rfc822;d@example.test" \
	    "RCPT TO:<e@example.test>"
	grep -q '^conn=2 cmd "DATA" reply=354$' p/log ||
	    qp_fail "the second session was not one command at a time" p/log
}
offered_cleanup() {
	rm_peers_stop
}

atf_test_case only_taken cleanup
only_taken_head() {
	atf_set "descr" "P1 only for the recipients the server took the" \
	    "message for: not for a refused RCPT, nor after a refused message"
	atf_set "require.user" "unprivileged"
}
only_taken_body() {
	setup rcpt_mixed dsn
	rm_remote -N SUCCESS -O "" -N SUCCESS -O "" -N SUCCESS -O "" -- \
	    example.test sender@sender.test ok@example.test \
	    temp1@example.test perm1@example.test
	rm_expect "K ^2\.0\.0" "P ^1$" "Z ^4\.2\.1 .*450" "D ^5\.1\.1 .*550"
	env_is 1 "MAIL FROM:<sender@sender.test> SIZE=$SIZE" \
	    "RCPT TO:<ok@example.test> NOTIFY=SUCCESS"
	rm_mode p data_4xx
	rm_remote -N SUCCESS -O "" -- example.test sender@sender.test \
	    ok@example.test
	rm_expect "Z ^4\.3\.0 .*said: 451 "
	rm_mode p data_5xx
	rm_remote -N SUCCESS -O "" -- example.test sender@sender.test \
	    ok@example.test
	rm_expect "D ^5\.6\.0 .*said: 554 "
}
only_taken_cleanup() {
	rm_peers_stop
}

atf_test_case not_offered cleanup
not_offered_head() {
	atf_set "descr" "a server that does not offer DSN gets none of the" \
	    "parameters (it would refuse them) and no P1 comes back; nor" \
	    "after HELO"
	atf_set "require.user" "unprivileged"
}
not_offered_body() {
	setup good
	three
	rm_expect "K ^2\.0\.0" "K ^2\.0\.0" "K ^2\.0\.0"
	env_is 1 "MAIL FROM:<sender@sender.test> SIZE=$SIZE" \
	    "RCPT TO:<a@example.test>" "RCPT TO:<b@example.test>" \
	    "RCPT TO:<c@example.test>"
	grep -q "dsn=" remote.log && qp_fail "dsn= without DSN" remote.log
	# the peer would offer DSN to EHLO, which it refuses
	: > p/dsn
	rm_mode p ehlo_refused
	three
	rm_expect "K ^2\.0\.0" "K ^2\.0\.0" "K ^2\.0\.0"
	env_is 2 "MAIL FROM:<sender@sender.test>" "RCPT TO:<a@example.test>" \
	    "RCPT TO:<b@example.test>" "RCPT TO:<c@example.test>"
}
not_offered_cleanup() {
	rm_peers_stop
}

atf_test_case bad_options
bad_options_head() {
	atf_set "descr" "remote refuses DSN options that are malformed," \
	    "repeated, or not one -N and -O for every recipient (exit 100)"
	atf_set "require.user" "unprivileged"
}
bad_options_body() {
	rm_control
	qp_msg 1 > msg
	for args in "-R NONE" "-R FULL -R FULL" "-E a=b" "-E ''" \
	    "-N SOMETIMES" "-N NEVER,SUCCESS" "-O rfc822" "-O 'rfc822;a b'" \
	    "-N SUCCESS" "-N SUCCESS -N SUCCESS -N SUCCESS" "-O '' -N ''" \
	    "-N '' -N '' -O ''"; do
		eval "set -- $args"
		atf_check -s exit:100 -e match:"remote: fatal: -[RENO]" \
		    "$QPOST_LIBEXEC/remote" "$@" -- example.test s@x.test \
		    a@example.test b@example.test < msg
	done
}

atf_test_case through_rspawn cleanup
through_rspawn_head() {
	atf_set "descr" "rspawn gives remote a request's Y, J, D and X fields" \
	    "and carries P1 back into the result for sched; a request" \
	    "without them sends none"
	atf_set "require.user" "unprivileged"
}
through_rspawn_body() {
	setup good dsn
	rm_rspawn J=5 I=0123456789abcdef F=sender@sender.test Y=H \
	    "J=$ENVID" R=a@example.test D=SF "X=$ORCPT_A" R=b@example.test \
	    R=c@example.test D=N
	rm_expect "J ^5$" "K ^2\.0\.0 .*said: 250" "P ^1$" "K ^2\.0\.0" \
	    "P ^1$" "K ^2\.0\.0" "P ^1$"
	env_is 1 "MAIL FROM:<sender@sender.test> SIZE=$SIZE RET=HDRS ENVID=$ENVID" \
	    "RCPT TO:<a@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=$ORCPT_A" \
	    "RCPT TO:<b@example.test>" \
	    "RCPT TO:<c@example.test> NOTIFY=NEVER"
	# the message's requests alone; RET=FULL; no recipient's
	rm_rspawn J=6 I=0123456789abcdef F=sender@sender.test Y=F \
	    R=a@example.test
	rm_expect "J ^6$" "K ^2\.0\.0" "P ^1$"
	env_is 2 "MAIL FROM:<sender@sender.test> SIZE=$SIZE RET=FULL" \
	    "RCPT TO:<a@example.test>"
	# a recipient's alone, DELAY
	rm_rspawn J=7 I=0123456789abcdef F=sender@sender.test \
	    R=a@example.test R=b@example.test D=D
	rm_expect "J ^7$" "K ^2\.0\.0" "P ^1$" "K ^2\.0\.0" "P ^1$"
	env_is 3 "MAIL FROM:<sender@sender.test> SIZE=$SIZE" \
	    "RCPT TO:<a@example.test>" "RCPT TO:<b@example.test> NOTIFY=DELAY"
	# a server without DSN: no P1 reaches sched
	rm p/dsn
	rm_rspawn J=8 I=0123456789abcdef F=sender@sender.test Y=H \
	    "J=$ENVID" R=a@example.test D=SF "X=$ORCPT_A"
	rm_expect "J ^8$" "K ^2\.0\.0"
	env_is 4 "MAIL FROM:<sender@sender.test> SIZE=$SIZE" \
	    "RCPT TO:<a@example.test>"
}
through_rspawn_cleanup() {
	rm_peers_stop
}

atf_init_test_cases() {
	atf_add_test_case offered
	atf_add_test_case only_taken
	atf_add_test_case not_offered
	atf_add_test_case bad_options
	atf_add_test_case through_rspawn
}
