#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# DSN (RFC 3461) on the way in through smtpd, under tcpserver, with
# real clients: EHLO offers it; MAIL takes RET and ENVID, RCPT NOTIFY
# and ORCPT; a wrong or repeated one gets 501 5.5.4 and the reason; and
# what the client asked reaches qinject as the trailer after qmail-
# queue's envelope (caught byte for byte by a control/filter that keeps
# its fd 1 and passes it on), then the drop file.  A transaction
# without DSN parameters gives qmail-queue's envelope, exactly.  sched
# does not run: the drop files stay in drop/ to be read.

. "$(atf_get_srcdir)/../lib.sh"

# setup - smtpd for an instance without sched, control/filter keeping
# each envelope as keep.env.N (N counting from 1) before it queues.
setup() {
	qp_smtpd_instance "$PWD/inst"
	cat > "$PWD/keep" <<'EOF'
#! /bin/sh
# fd 1, as qinject gave it, kept; then the message queued with it
n=$(ls "$0".env.* 2>/dev/null | wc -l)
f=$0.env.$((n + 1))
cat <&1 > "$f.new" && mv "$f.new" "$f"
exec "$QPOST_QINJECT" -Q 1< "$f"
EOF
	chmod 755 "$PWD/keep"
	echo "$PWD/keep" > "$QPOST_CONTROL/filter"
	qp_smtpd_start
}

# drop_envs - the envelope of each drop file, in the order they were
# written, into drop.env.
drop_envs() {
	: > drop.env
	for f in $(ls -tr "$QPOST_QUEUE/drop"); do
		qp_drop_env "$QPOST_QUEUE/drop/$f" >> drop.env
	done
}

atf_test_case params cleanup
params_head() {
	atf_set "descr" "EHLO offers DSN; RET, ENVID, NOTIFY and ORCPT are" \
	    "taken in any case; a wrong or repeated one gets 501 5.5.4 with" \
	    "the reason, and the transaction goes on"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "tcpserver"
	atf_set "timeout" "60"
}
params_body() {
	setup
	long=$(printf '%101s' '' | tr ' ' x)
	qp_smtp_dialog - <<EOF
< 220
> EHLO client.test
<~ ^250-DSN$
> MAIL FROM:<sender@example.test> RET=ALL
< 501 5.5.4 RET takes FULL or HDRS
> MAIL FROM:<sender@example.test> RET=FULL ret=hdrs
< 501 5.5.4 duplicate RET parameter
> MAIL FROM:<sender@example.test> ENVID=$long
< 501 5.5.4 ENVID takes 1 to 100 characters of xtext (RFC 3461)
> MAIL FROM:<sender@example.test> ENVID=a+2
< 501 5.5.4 ENVID takes
> MAIL FROM:<sender@example.test> ret=hdrs envid=QQ+2B1
< 250 2.1.0
> RCPT TO:<alice@example.test> NOTIFY=NEVER,SUCCESS
< 501 5.5.4 NOTIFY takes NEVER, or SUCCESS, FAILURE and DELAY separated
> RCPT TO:<alice@example.test> NOTIFY=SUCCESS NOTIFY=SUCCESS
< 501 5.5.4 duplicate NOTIFY parameter
> RCPT TO:<alice@example.test> NOTIFY=SUCCESS,
< 501 5.5.4 NOTIFY takes
> RCPT TO:<alice@example.test> ORCPT=alice@example.test
< 501 5.5.4 ORCPT takes an address type, ';' and the address in xtext
> RCPT TO:<alice@example.test> ORCPT=rfc822;a ORCPT=rfc822;a
< 501 5.5.4 duplicate ORCPT parameter
> RCPT TO:<alice@example.test> X-NOTIFY=NEVER
< 555 5.5.4 unknown parameter
> RCPT TO:<alice@example.test> notify=delay,Failure orcpt=RFC822;A+40b.test
< 250 2.1.5
> RCPT TO:<bob@example.test> NOTIFY=NEVER
< 250 2.1.5
> QUIT
< 221
EOF
	# the refusals are counted as errors, one each
	grep -q 'end messages=0 errors=10' "$QP_DIR/smtpd.log" ||
	    qp_fail "not 10 errors counted" "$QP_DIR/smtpd.log"
}
params_cleanup() {
	qp_stop
}

atf_test_case trailer cleanup
trailer_head() {
	atf_set "descr" "what the client asked reaches qinject as the DSN" \
	    "trailer after the envelope, exactly, and the drop file as D," \
	    "X, Y and J; a recipient after the last that asked has no N" \
	    "record; without DSN parameters the envelope is qmail-queue's"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "tcpserver"
	atf_set "timeout" "60"
}
trailer_body() {
	setup
	/usr/bin/python3 - "$QP_SMTP_PORT" <<'PY' > client.out 2>&1 ||
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.ehlo("client.test")
assert s.has_extn("dsn"), "no DSN in EHLO"
msg = b"Subject: dsn\r\n\r\nbody\r\n"
s.sendmail("sender@example.test",
    ["alice@example.test", "postmaster", "bob@example.test"], msg,
    mail_options=["RET=HDRS", "ENVID=QQ+2B314159"],
    rcpt_options=[])
s.mail("sender@example.test", ["RET=FULL"])
s.rcpt("alice@example.test")
s.rcpt("bob@example.test", ["NOTIFY=SUCCESS,FAILURE,DELAY",
    "ORCPT=rfc822;Bob+40example.test"])
s.rcpt("postmaster")
code, _ = s.data(msg)
assert code == 250, code
s.sendmail("sender@example.test", ["alice@example.test"], msg)
s.quit()
PY
	    qp_fail "the client failed" client.out
	# the first message asked for RET and ENVID only: its trailer is a
	# D record alone
	printf 'Fsender@example.test\0Talice@example.test\0' > want.1
	printf 'Tpostmaster@example.test\0Tbob@example.test\0\0' >> want.1
	printf 'DRET=HDRS ENVID=QQ+2B314159\0' >> want.1
	printf 'Fsender@example.test\0Talice@example.test\0' > want.2
	printf 'Tbob@example.test\0Tpostmaster@example.test\0\0' >> want.2
	printf 'DRET=FULL\0N\0NNOTIFY=SUCCESS,FAILURE,DELAY ' >> want.2
	printf 'ORCPT=rfc822;Bob+40example.test\0' >> want.2
	printf 'Fsender@example.test\0Talice@example.test\0\0' > want.3
	for n in 1 2 3; do
		cmp -s "want.$n" "keep.env.$n" || atf_fail "envelope $n:" \
		    "$(od -c "keep.env.$n" | head -8)"
	done
	drop_envs
	atf_check -o inline:"F sender@example.test\nT alice@example.test\n\
T postmaster@example.test\nT bob@example.test\nY H\nJ QQ+2B314159\nZ \n\
F sender@example.test\nT alice@example.test\nT bob@example.test\nD SFD\n\
X rfc822;Bob+40example.test\nT postmaster@example.test\nY F\nZ \n\
F sender@example.test\nT alice@example.test\nZ \n" cat drop.env
}
trailer_cleanup() {
	qp_stop
}

atf_test_case rset cleanup
rset_head() {
	atf_set "descr" "RSET, a new EHLO and a refused RCPT forget the" \
	    "requests: the next transaction's trailer has only its own"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "tcpserver"
	atf_set "timeout" "60"
}
rset_body() {
	setup
	printf 'Subject: x\r\n\r\nx\r\n.\r\n' > m.wire
	qp_smtp_dialog - <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test> RET=HDRS ENVID=old
< 250
> RCPT TO:<alice@example.test> NOTIFY=NEVER
< 250
> RSET
< 250
> MAIL FROM:<sender@example.test> ENVID=new
< 250
> RCPT TO:<nobody@example.test> NOTIFY=SUCCESS
< 550
> RCPT TO:<bob@example.test>
< 250
> RCPT TO:<alice@example.test> NOTIFY=DELAY
< 250
> DATA
< 354
>file m.wire
< 250 2.0.0 Ok: queued as
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test>
< 250
> RCPT TO:<alice@example.test>
< 250
> DATA
< 354
>file m.wire
< 250 2.0.0 Ok: queued as
> QUIT
< 221
EOF
	printf 'Fsender@example.test\0Tbob@example.test\0' > want.1
	printf 'Talice@example.test\0\0DENVID=new\0N\0NNOTIFY=DELAY\0' \
	    >> want.1
	printf 'Fsender@example.test\0Talice@example.test\0\0' > want.2
	for n in 1 2; do
		cmp -s "want.$n" "keep.env.$n" || atf_fail "envelope $n:" \
		    "$(od -c "keep.env.$n" | head -8)"
	done
}
rset_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case params
	atf_add_test_case trailer
	atf_add_test_case rset
}
