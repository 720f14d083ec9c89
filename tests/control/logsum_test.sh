#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# qpost-logsum: a golden log and its golden summary, and the log of a
# real instance that this test runs.

. "$(atf_get_srcdir)/../lib.sh"

atf_test_case golden
golden_head() {
	atf_set "descr" "a log with every kind of line, timestamps of" \
	    "multilog and s6-log, and foreign lines sums to the golden output"
}
golden_body() {
	top=$(qp_top)
	g=$(atf_get_srcdir)/golden
	atf_check -o file:"$g/logsum.out" sh "$top/control/qpost-logsum" \
	    < "$g/logsum.log"
	# files named on the command line, the same as standard input
	atf_check -o file:"$g/logsum.out" sh "$top/control/qpost-logsum" \
	    "$g/logsum.log"
	# -n cuts the top lists
	atf_check -o match:"^top senders$" -o not-match:"alice@example.org" \
	    sh "$top/control/qpost-logsum" -n 1 "$g/logsum.log"
	atf_check -s exit:100 -e match:"^usage: qpost-logsum" \
	    sh "$top/control/qpost-logsum" -n x
	atf_check -o match:"^usage: qpost-logsum" \
	    sh "$top/control/qpost-logsum" -h
	# an empty log: every count zero
	atf_check -o match:"^received +0$" -o match:"^delivered +0$" \
	    sh "$top/control/qpost-logsum" < /dev/null
}

atf_test_case real_instance cleanup
real_instance_head() {
	atf_set "descr" "the log of a running instance: a delivery, a" \
	    "bounce with its notice and a deferral are counted"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
real_instance_body() {
	qp_instance "$PWD/inst"
	qp_start
	qp_msg s1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    postmaster@example.test < m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    nosuchuser@example.test < m
	atf_check "$QPOST_LIBEXEC/qinject" -f alice@example.test \
	    someone@remote.test < m
	# the postmaster copy and the bounce notice for nosuchuser
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_log "to=<someone@remote.test> result=defer" 30
	# m1, m2 and the notice leave the queue; m3 waits for its retry
	three_removed() {
		[ "$(grep -c ' removed$' "$QP_DIR/log")" -ge 3 ]
	}
	qp_deadline_loop 30 three_removed || atf_fail "not 3 removed"
	qp_stop
	sh "$(qp_top)/control/qpost-logsum" < "$QP_DIR/log" > sum ||
	    atf_fail "qpost-logsum failed"
	atf_check -o match:"^received +3$" -o match:"^  by qinject +3$" \
	    -o match:"^delivered +2$" -o match:"^  local +2$" \
	    -o match:"^  remote +0$" -o match:"^bounced +1$" \
	    -o match:"5\.1\.1 no mailbox here" \
	    -o match:"^bounce notices +1$" -o match:"^removed +3$" \
	    -o match:"4\.4\.1 connect: Connection refused" \
	    -o match:"^ +2  bob@example.test$" \
	    -o match:"^ +1  alice@example.test$" \
	    -o match:"^ +3  example.test$" -o match:"^ +1  remote.test$" \
	    cat sum
}
real_instance_cleanup() {
	qp_stop
}

atf_test_case installed
installed_head() {
	atf_set "descr" "make install puts qpost-logsum in sbin/ with its" \
	    "page, and qpost(7) and qpost-log(7) in man7/"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "make"
	atf_set "timeout" "120"
}
installed_body() {
	top=$(qp_top)
	make -q -C "$top" progs >/dev/null 2>&1 ||
	    atf_skip "the tree is not built (run make first)"
	atf_check -o ignore -e ignore make -C "$top" install \
	    DESTDIR="$PWD/stage" PREFIX=/usr
	for f in usr/share/man/man8/qpost-logsum.8 \
	    usr/share/man/man7/qpost.7 usr/share/man/man7/qpost-log.7; do
		[ -f "stage/$f" ] || atf_fail "make install did not install $f"
	done
	[ -x stage/usr/sbin/qpost-logsum ] ||
	    atf_fail "qpost-logsum is not installed executable"
	g=$(atf_get_srcdir)/golden
	atf_check -o file:"$g/logsum.out" stage/usr/sbin/qpost-logsum \
	    < "$g/logsum.log"
}

atf_init_test_cases() {
	atf_add_test_case golden
	atf_add_test_case installed
	atf_add_test_case real_instance
}
