#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Injection end to end: qinject to the Maildir, many at once.

. "$(atf_get_srcdir)/../lib.sh"

atf_test_case concurrent cleanup
concurrent_head() {
	atf_set "descr" "200 messages injected at once are each delivered" \
	    "exactly once, byte-identical apart from added headers"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "300"
}
concurrent_body() {
	qp_instance "$PWD/inst"
	qp_start
	mkdir sent
	# fewer under ASan, where every process costs ~80 ms of LeakSanitizer
	# at exit: the race is the same, CI's budget is not
	n=200
	qp_sanitized && n=60
	i=0
	while [ $i -lt $n ]; do
		qp_msg "t$i" > "sent/t$i"
		i=$((i + 1))
	done
	i=0
	while [ $i -lt $n ]; do
		( "$QPOST_LIBEXEC/qinject" alice@example.test < "sent/t$i" &&
		    echo "t$i" >> accepted.$i ) &
		i=$((i + 1))
	done
	wait
	cat accepted.* > accepted
	atf_check -o inline:"$n\n" sh -c 'wc -l < accepted | tr -d " "'
	qp_wait_for $n "$QP_DIR/home/alice/Maildir/new" 120
	qp_wait_queue_empty 60
	atf_check -o match:"delivered=$n duplicates=0 missing=0 corrupt=0" \
	    "$(qp_top)/tests/audit.py" --sent sent --accepted accepted \
	    --maildir "$QP_DIR/home/alice/Maildir"
}
concurrent_cleanup() {
	qp_stop
}

atf_test_case queue_protocol cleanup
queue_protocol_head() {
	atf_set "descr" "qinject -Q speaks qmail-queue's protocol: message on" \
	    "fd 0, envelope on fd 1, its exit codes"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
queue_protocol_body() {
	qp_instance "$PWD/inst"
	qp_start
	mkdir sent
	qp_msg q1 > sent/q1
	echo q1 > accepted
	# fd 1 is the read end of a pipe carrying the envelope
	atf_check /usr/bin/python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.write(w, b"Fbob@example.test\0Talice@example.test\0Tbob@example.test\0\0")
os.close(w)
p = subprocess.run([sys.argv[1], "-Q"], stdin=open("sent/q1", "rb"),
    stdout=r)
sys.exit(p.returncode)' "$QPOST_LIBEXEC/qinject"
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	atf_check -o match:"missing=0 corrupt=0" "$(qp_top)/tests/audit.py" \
	    --sent sent --accepted accepted \
	    --maildir "$QP_DIR/home/alice/Maildir"
	# an envelope cut short queues nothing and fails temporarily (54)
	atf_check -s exit:54 -e match:"envelope ends early" \
	    /usr/bin/python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.write(w, b"Fbob@example.test\0Talice@example.test\0")
os.close(w)
p = subprocess.run([sys.argv[1], "-Q"], stdin=open("sent/q1", "rb"),
    stdout=r)
sys.exit(p.returncode)' "$QPOST_LIBEXEC/qinject"
	# an invalid address is a permanent failure (11)
	atf_check -s exit:11 -e match:"not a valid address" \
	    /usr/bin/python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.write(w, b"Fbob@example.test\0Talice@@example.test\0\0")
os.close(w)
p = subprocess.run([sys.argv[1], "-Q"], stdin=open("sent/q1", "rb"),
    stdout=r)
sys.exit(p.returncode)' "$QPOST_LIBEXEC/qinject"
	atf_check -o inline:"" ls "$QPOST_QUEUE/drop"
}
queue_protocol_cleanup() {
	qp_stop
}

atf_test_case headers cleanup
headers_head() {
	atf_set "descr" "qinject adds Date and Message-ID when absent, takes" \
	    "recipients with -t and removes Bcc"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
headers_body() {
	qp_instance "$PWD/inst"
	qp_start
	printf 'To: "Alice, A." <alice@example.test>\nBcc: bob (hidden)\nSubject: t\n\nbody\n.\nnot sent\n' > m
	atf_check "$QPOST_LIBEXEC/qinject" -t < m
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	f=$(ls "$QP_DIR"/home/bob/Maildir/new/*)
	atf_check -o match:"^Date: " -o match:"^Message-ID: <" \
	    -o not-match:"^Bcc:" -o not-match:"not sent" cat "$f"
	# a dot line does not end the message with -i
	printf 'Subject: dots\n\n.\nafter the dot\n' > d
	atf_check "$QPOST_LIBEXEC/qinject" -i alice < d
	qp_wait_for 2 "$QP_DIR/home/alice/Maildir/new" 30
	atf_check -o match:"after the dot" sh -c \
	    "cat '$QP_DIR'/home/alice/Maildir/new/*"
}
headers_cleanup() {
	qp_stop
}

atf_test_case minfree
minfree_head() {
	atf_set "descr" "below control/minfree qinject fails temporarily (53)" \
	    "and leaves nothing in drop/"
	atf_set "require.user" "unprivileged"
}
minfree_body() {
	qp_instance "$PWD/inst"
	echo 1125899906842624 > "$QPOST_CONTROL/minfree"	# 1 PiB
	qp_msg m1 > m
	atf_check -s exit:53 -e match:"control/minfree" \
	    "$QPOST_LIBEXEC/qinject" alice@example.test < m
	atf_check -o inline:"" ls "$QPOST_QUEUE/drop"
	echo "ten" > "$QPOST_CONTROL/minfree"
	atf_check -s exit:55 -e match:"control file minfree: line 1" \
	    "$QPOST_LIBEXEC/qinject" alice@example.test < m
	echo 0 > "$QPOST_CONTROL/minfree"
	atf_check "$QPOST_LIBEXEC/qinject" alice@example.test < m
}

atf_init_test_cases() {
	atf_add_test_case minfree
	atf_add_test_case concurrent
	atf_add_test_case queue_protocol
	atf_add_test_case headers
}
