#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# The DSN requests (RFC 3461) on their way into the queue through
# qinject: -N, -R and -V on the command line, the DSN trailer after
# qmail-queue's envelope with -Q, and a filter's qinject -Q, which gets
# the trailer from the first.  sched does not run, so each drop file
# stays in drop/ to be read (qpost-queue(5): D and X after their
# recipient, Y and J at the end); refusals leave nothing there.

. "$(atf_get_srcdir)/../lib.sh"

# setup - an instance without sched; QI is qinject, ME the default
# sender.
setup() {
	qp_instance "$PWD/inst"
	QI=$QPOST_LIBEXEC/qinject
	ME=$(id -un)@example.test
	printf 'Subject: dsn\n\nbody\n' > m
}

# one_env - the envelope of the one drop file, into env; drop/ is
# emptied for the next.
one_env() {
	set -- "$QPOST_QUEUE"/drop/*
	[ $# -eq 1 ] && [ -f "$1" ] ||
	    atf_fail "drop/ holds $(qp_nfiles "$QPOST_QUEUE/drop") files, not 1"
	qp_drop_env "$1" > env
	rm -f "$1"
}

# check_qq [ATF_CHECK OPTIONS] - atf_check qinject -Q on the message m
# and the envelope env.in (through sh: atf_check's own fd 1 is the
# captured output)
check_qq() {
	atf_check "$@" sh -c 'exec "$0" -Q < m 1< env.in' "$QI"
}

# refused CODE PATTERN ARGS... - qinject ARGS exits CODE with PATTERN
# on stderr, and queues nothing.
refused() {
	_code=$1 _pat=$2
	shift 2
	atf_check -s exit:"$_code" -e match:"$_pat" "$QI" "$@" < m
	atf_check -o inline:"" ls "$QPOST_QUEUE/drop"
}

atf_test_case options
options_head() {
	atf_set "descr" "qinject -N, -R and -V put each recipient's NOTIFY" \
	    "(D), RET (Y) and the xtext of ENVID (J) into the drop file, -N" \
	    "for -t's recipients too; without them nothing; wrong ones are" \
	    "refused with the reason and the usage, exit 31"
	atf_set "require.user" "unprivileged"
}
options_body() {
	setup
	atf_check "$QI" -N success,Delay -R hdrs -V 'batch 7+x=y' \
	    alice@example.test bob < m
	one_env
	atf_check -o inline:"F $ME\nT alice@example.test\nD SD\n\
T bob@example.test\nD SD\nY H\nJ batch+207+2Bx+3Dy\nZ \n" cat env
	printf 'To: carol@example.test\n\nbody\n' > m.t
	atf_check "$QI" -t -N never -R FULL alice@example.test < m.t
	one_env
	atf_check -o inline:"F $ME\nT alice@example.test\nD N\n\
T carol@example.test\nD N\nY F\nZ \n" cat env
	# -V alone, at the limit: 33 '=' are 99 bytes of xtext, and one
	x=$(printf '%33s' '' | tr ' ' =)
	atf_check "$QI" -V "${x}x" alice@example.test < m
	one_env
	atf_check -o inline:"F $ME\nT alice@example.test\n\
J $(printf '%33s' '' | sed 's/ /+3D/g')x\nZ \n" cat env
	# nothing asked: the fields of before
	atf_check "$QI" alice@example.test < m
	one_env
	atf_check -o inline:"F $ME\nT alice@example.test\nZ \n" cat env

	refused 31 "-N takes NEVER, or SUCCESS, FAILURE and DELAY" \
	    -N never,success alice@example.test
	refused 31 "usage: qinject .*-N notify" -N success,success alice
	refused 31 "-N takes NEVER" -N success, alice
	refused 31 "-N takes NEVER" -N '' alice
	refused 31 "-R takes FULL or HDRS" -R headers alice
	refused 31 "-V: the envelope id is longer than 100 bytes" \
	    -V "${x}xy" alice
	refused 31 "-V: the envelope id has a control character" \
	    -V "$(printf 'a\tb')" alice
	refused 31 "-V takes an envelope id" -V '' alice
	refused 31 "-Q takes the DSN requests in the envelope's trailer" \
	    -Q -N never
	atf_check -o match:"^usage: qinject .*\[-N notify\] \[-R ret\] \
\[-V envid\]" "$QI" -h
}

atf_test_case queue_protocol
queue_protocol_head() {
	atf_set "descr" "qinject -Q takes the DSN trailer after the" \
	    "envelope's last NUL into the drop file, recipients after the" \
	    "last N record with nothing, HOLD into the H field; a wrong" \
	    "trailer is exit 91 with the reason, and nothing queued"
	atf_set "require.user" "unprivileged"
}
queue_protocol_body() {
	setup
	printf 'F%s\0Ta@example.test\0Tb@example.test\0Tc@example.test\0\0' \
	    "$ME" > head
	{ cat head; printf 'DRET=HDRS ENVID=QQ+2B1\0'
	  printf 'NNOTIFY=FAILURE ORCPT=rfc822;A+40example.test\0'
	  printf 'N\0'; } > env.in
	check_qq
	one_env
	atf_check -o inline:"F $ME\nT a@example.test\nD F\n\
X rfc822;A+40example.test\nT b@example.test\nT c@example.test\nY H\n\
J QQ+2B1\nZ \n" cat env
	# a D record alone, and no trailer at all: no DSN field
	for t in 'D\0' ''; do
		{ cat head; printf "$t"; } > env.in
		check_qq
		one_env
		atf_check -o inline:"F $ME\nT a@example.test\n\
T b@example.test\nT c@example.test\nZ \n" cat env
	done
	for t in 'x' 'NNOTIFY=NEVER\0' 'DRET=FULL' 'DRET=ALL\0' \
	    'DRET=FULL RET=FULL\0' 'DNOTIFY=NEVER\0' 'D\0NRET=FULL\0' \
	    'D\0NNOTIFY=NEVER,DELAY\0' 'D\0N\0N\0N\0N\0' 'D\0N\0X\0' \
	    'DRET=FULL \0'; do
		{ cat head; printf "$t"; } > env.in
		check_qq -s exit:91 -e match:"envelope format error: "
		atf_check -o inline:"" ls "$QPOST_QUEUE/drop"
	done
	{ cat head; printf 'D\0N\0N\0N\0N\0'; } > env.in
	check_qq -s exit:91 -e match:"more N records than there are"
	{ cat head; printf 'DENVID=a=b\0'; } > env.in
	check_qq -s exit:91 -e match:"ENVID takes 1 to 100 characters"
	# qpost's own HOLD (smtpd's HOLD action): the H field, after O
	{ cat head; printf 'DRET=FULL HOLD\0'; } > env.in
	atf_check sh -c 'QPOST_UTF8=1 exec "$0" -Q < m 1< env.in' "$QI"
	one_env
	atf_check -o inline:"F $ME\nT a@example.test\nT b@example.test\n\
T c@example.test\nO 1\nH 1\nY F\nZ \n" cat env
	{ cat head; printf 'DHOLD HOLD\0'; } > env.in
	check_qq -s exit:91 -e match:"envelope format error: HOLD twice"
	atf_check -o inline:"" ls "$QPOST_QUEUE/drop"
}

atf_test_case filter
filter_head() {
	atf_set "descr" "control/filter gets the envelope with its DSN" \
	    "trailer, exactly; a filter that passes it on to qinject -Q" \
	    "keeps the requests; without any, the envelope is qmail-queue's"
	atf_set "require.user" "unprivileged"
}
filter_body() {
	setup
	cat > "$PWD/keep" <<'EOF'
#! /bin/sh
# what qinject gave on fd 1, kept; then the message queued with it
cat <&1 > "$0.env"
exec "$QPOST_QINJECT" -Q 1< "$0.env"
EOF
	chmod 755 "$PWD/keep"
	echo "$PWD/keep" > "$QPOST_CONTROL/filter"
	atf_check "$QI" -N failure -V 'id 1' alice@example.test bob < m
	printf 'F%s\0Talice@example.test\0Tbob@example.test\0\0' "$ME" > want
	printf 'DENVID=id+201\0NNOTIFY=FAILURE\0NNOTIFY=FAILURE\0' >> want
	cmp -s want keep.env || atf_fail "the filter got another envelope:" \
	    "$(od -c keep.env | head -5)"
	one_env
	atf_check -o inline:"F $ME\nT alice@example.test\nD F\n\
T bob@example.test\nD F\nJ id+201\nZ \n" cat env
	atf_check "$QI" alice@example.test < m
	printf 'F%s\0Talice@example.test\0\0' "$ME" > want
	cmp -s want keep.env || atf_fail "a trailer with nothing asked:" \
	    "$(od -c keep.env | head -5)"
	one_env
}

atf_init_test_cases() {
	atf_add_test_case options
	atf_add_test_case queue_protocol
	atf_add_test_case filter
}
