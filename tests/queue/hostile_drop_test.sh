#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Hostile drop files: each is refused with one log line, and mail
# injected after them is still delivered.

. "$(atf_get_srcdir)/../lib.sh"

# drop_file NAME SENDER RCPT MESSAGE-FILE: a well-formed drop file.
drop_file() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
name, sender, rcpt, msg = sys.argv[1:5]
body = open(msg, "rb").read()
def f(tag, v):
    return b"%s%d:%s," % (tag, len(v), v)
env = f(b"F", sender.encode()) + f(b"T", rcpt.encode()) + f(b"Z", b"")
open(name, "wb").write(b"QPDROP1 %020d\n" % len(body) + body + env)
PY
}

# plant FILE NAME: rename FILE into drop/ as NAME, whole.
plant() {
	mv "$1" "$QPOST_QUEUE/drop/$2"
	qp_trigger
}

# expect_refused NAME REASON: sched logged the file as bad and removed it.
expect_refused() {
	qp_wait_log "bad drop file removed: name=$1 .*reason=\"$2" 30
	[ ! -e "$QPOST_QUEUE/drop/$1" ] && [ ! -L "$QPOST_QUEUE/drop/$1" ] ||
	    atf_fail "drop/$1 is still there"
}

atf_test_case hostile cleanup
hostile_head() {
	atf_set "descr" "garbage, truncated, symlinked, hard-linked, FIFO," \
	    "oversized and forged drop files are refused with a log line;" \
	    "later mail is delivered"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
hostile_body() {
	qp_instance "$PWD/inst"
	qp_start
	qp_msg h0 > m
	# each file is made beside the queue, then renamed in whole

	head -c 5000 /dev/urandom > x
	plant x aaaaaaaaaaaaaaa1
	expect_refused aaaaaaaaaaaaaaa1 "bad header"

	drop_file full alice@example.test alice@example.test m
	head -c 60 full > x
	plant x aaaaaaaaaaaaaaa2
	expect_refused aaaaaaaaaaaaaaa2 "size does not match"

	size=$(wc -c < full)
	head -c $((size - 3)) full > x
	plant x aaaaaaaaaaaaaaa3
	expect_refused aaaaaaaaaaaaaaa3 "malformed envelope"

	cp full target
	ln -s "$PWD/target" x
	plant x aaaaaaaaaaaaaaa4
	expect_refused aaaaaaaaaaaaaaa4 "a symbolic link"

	cp full x
	ln x linked
	plant x aaaaaaaaaaaaaaa5
	expect_refused aaaaaaaaaaaaaaa5 "has more than one link"

	cp full x
	plant x not-a-queue-id
	expect_refused not-a-queue-id "name is not a queue id"

	mkfifo x
	plant x aaaaaaaaaaaaaaa6
	expect_refused aaaaaaaaaaaaaaa6 "not a regular file"

	# a header claiming 2 GiB, in a sparse file of that size
	printf 'QPDROP1 %020d\n' 2147483648 > x
	truncate -s 2147483700 x
	plant x aaaaaaaaaaaaaaa7
	expect_refused aaaaaaaaaaaaaaa7 "too large"

	# a sender this uid may not claim, with control/trusted not naming it
	echo root > "$QPOST_CONTROL/trusted"
	qp_reload
	drop_file x someone.else@elsewhere.test alice@example.test m
	plant x aaaaaaaaaaaaaaa8
	expect_refused aaaaaaaaaaaaaaa8 "forged sender"
	# qinject itself refuses it up front, with a clear message
	atf_check -s exit:31 -e match:"may not use the envelope sender" \
	    "$QPOST_LIBEXEC/qinject" -f someone.else@elsewhere.test \
	    alice@example.test < m
	rm "$QPOST_CONTROL/trusted"
	qp_reload

	# none of it stopped the queue
	mkdir sent
	qp_msg after > sent/after
	echo after > accepted
	atf_check "$QPOST_LIBEXEC/qinject" alice@example.test < sent/after
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	atf_check -o match:"delivered=1 duplicates=0 missing=0 corrupt=0 phantom=0" \
	    "$(qp_top)/tests/audit.py" --sent sent --accepted accepted \
	    --maildir "$QP_DIR/home/alice/Maildir"
}
hostile_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case hostile
}
