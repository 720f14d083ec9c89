#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Concurrency and fairness in sched: a remote domain never gets more
# than control/concurrencyperdomain deliveries at once (counted at the
# test server); a domain that cannot be reached is backed off as a
# whole, one probe per retry round instead of an attempt per message,
# and its backlog delays no other mail; once it answers again the rest
# is released; and its waiting mail still expires at the queue
# lifetime.  Big backlogs are written straight into the queue with
# mkqueue.py (qpost-queue(5)'s format), as a restart would find them.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../remote/remote.sh"

# mkqueue ARGS... - write messages into the stopped instance's queue.
mkqueue() {
	/usr/bin/python3 "$(atf_get_srcdir)/mkqueue.py" \
	    --queue "$QPOST_QUEUE" "$@" >/dev/null 2>mkqueue.err ||
	    qp_fail "mkqueue.py failed" mkqueue.err
}

# control NAME VALUE - one control file of the instance.
control() {
	echo "$2" > "$QPOST_CONTROL/$1"
}

# wait_mails NAME COUNT TIMEOUT - until peer NAME has stored COUNT.
wait_mails() {
	_fw_peer=$1 _fw_want=$2
	_fw_enough() { [ "$(rm_mails "$_fw_peer")" -ge "$_fw_want" ]; }
	qp_deadline_loop "$3" _fw_enough || qp_fail "peer $1 has" \
	    "$(rm_mails "$1") messages, not $2, after $3 s"
}

# log_count REGEX - how many lines of the instance's log match.
log_count() {
	grep -c -e "$1" "$QP_DIR/log" 2>/dev/null || true
}

# most_at_once DOMAIN - the most deliveries to DOMAIN at once, as sched
# started them and heard their results: the limits are on deliveries.
# A server may see one more connection for a moment, since remote
# reports its results before its QUIT (qpost-remote(8)).
most_at_once() {
	awk -v d="@$1>" '/sched: .* start to=<[^>]*> via=remote/ &&
	    index($0, d) { if (++n > most) most = n }
	    /sched: .* to=<[^>]*> result=/ && index($0, d) { n-- }
	    END { print most + 0 }' "$QP_DIR/log"
}

atf_test_case per_domain cleanup
per_domain_head() {
	atf_set "descr" "a domain never has more than concurrencyperdomain" \
	    "deliveries at once, and mail to another domain does not wait" \
	    "for its backlog"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
per_domain_body() {
	qp_instance "$PWD/inst"
	pa=$(qp_free_port 127.0.0.2)
	rm_peer_start pa 127.0.0.2 "$pa"
	rm_mode pa slow_data
	echo 2 > pa/delay
	pb=$(qp_free_port 127.0.0.2)
	rm_peer_start pb 127.0.0.2 "$pb"
	printf 'a.test:127.0.0.2:%s\nb.test:127.0.0.2:%s\n' "$pa" "$pb" \
	    > "$QPOST_CONTROL/smtproutes"
	control timeoutremote 10
	control concurrencyremote 3
	control concurrencyperdomain 2
	qp_start
	qp_msg 1 > m
	for i in 1 2 3 4 5 6; do
		"$QPOST_LIBEXEC/qinject" -f alice@example.test "x$i@a.test" \
		    < m || atf_fail "qinject failed"
	done
	atf_check "$QPOST_LIBEXEC/qinject" -f alice@example.test y@b.test < m
	wait_mails pb 1 30
	# a.test's six take three rounds of two seconds: b.test's one
	# came in a free slot, not after them
	[ "$(rm_mails pa)" -lt 6 ] ||
	    qp_fail "b.test was delivered only after a.test's backlog"
	wait_mails pa 6 60
	qp_wait_queue_empty 30
	[ "$(most_at_once a.test)" -eq 2 ] ||
	    qp_fail "$(most_at_once a.test) deliveries to a.test at once, not 2"
	[ "$(cat pa/maxactive)" -le 3 ] ||
	    qp_fail "$(cat pa/maxactive) sessions at once at a.test's server"
	[ "$(log_count 'start to=<x[0-9]@a.test> via=remote')" -eq 6 ] ||
	    qp_fail "a.test was tried more than once per message"
	qp_stop
}
per_domain_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case dead_domain cleanup
dead_domain_head() {
	atf_set "descr" "a dead domain with 1,000 queued messages is probed" \
	    "once per retry round, and mail to a live domain and to a" \
	    "local mailbox is delivered while its backlog waits"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "180"
}
dead_domain_body() {
	qp_instance "$PWD/inst"
	pl=$(qp_free_port 127.0.0.2)
	rm_peer_start pl 127.0.0.2 "$pl"
	# live.test has a server; every other domain goes to a closed port
	printf 'live.test:127.0.0.2:%s\n:127.0.0.1:1\n' "$pl" \
	    > "$QPOST_CONTROL/smtproutes"
	control retrymin 2
	control retrymax 4
	control concurrencyremote 4
	control concurrencyperdomain 2
	# the backlog: tried once, due again now
	mkqueue --count 1000 --rcpt 'd{n}@dead.test' --tries 1 --next -1
	qp_start
	qp_wait_log "domain=dead.test state=backoff failures=1 " 60
	qp_msg live > m
	atf_check "$QPOST_LIBEXEC/qinject" -f alice@example.test \
	    l@live.test alice@example.test late@dead.test < m
	# within a retry tick or so; the deadline only allows for slow
	# machines and sanitizer builds
	wait_mails pl 1 15
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 15
	[ "$(qp_nfiles "$QPOST_QUEUE/env")" -eq 1001 ] ||
	    qp_fail "the dead backlog should still be queued: env holds" \
	    "$(qp_nfiles "$QPOST_QUEUE/env") files"
	# three retry rounds: a probe each, not a thousand attempts
	_three_probes() {
		[ "$(log_count 'domain=dead.test probe id=')" -ge 3 ]
	}
	qp_deadline_loop 60 _three_probes ||
	    qp_fail "dead.test was not probed three times"
	starts=$(log_count 'start to=<[^>]*@dead.test> via=remote')
	probes=$(log_count 'domain=dead.test probe id=')
	echo "dead.test: $starts deliveries started, $probes probes"
	[ "$starts" -le $((probes + 2)) ] ||
	    qp_fail "dead.test got $starts attempts for $probes probes"
	[ "$(log_count 'domain=dead.test state=backoff failures=3 ')" -ge 1 ] ||
	    qp_fail "the backoff of dead.test did not grow"
	qp_stop
}
dead_domain_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case release cleanup
release_head() {
	atf_set "descr" "when a backed-off domain answers its probe, the" \
	    "rest of its mail is released and delivered once each"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
release_body() {
	qp_instance "$PWD/inst"
	pr=$(qp_free_port 127.0.0.2)
	# nothing listens there yet: connection refused
	echo "rel.test:127.0.0.2:$pr" > "$QPOST_CONTROL/smtproutes"
	control retrymin 1
	control retrymax 2
	mkqueue --count 20 --rcpt 'r{n}@rel.test'
	qp_start
	qp_wait_log "domain=rel.test state=backoff" 30
	rm_peer_start pr 127.0.0.2 "$pr"
	qp_wait_log "domain=rel.test state=ok was=probe .*released" 30
	wait_mails pr 20 60
	qp_wait_queue_empty 30
	[ "$(rm_mails pr)" -eq 20 ] ||
	    qp_fail "the server got $(rm_mails pr) messages, want 20"
	most=$(most_at_once rel.test)
	[ "$most" -ge 2 ] && [ "$most" -le 10 ] ||
	    qp_fail "$most deliveries at once, the default limit is 10"
	qp_stop
}
release_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case flush_backoff cleanup
flush_backoff_head() {
	atf_set "descr" "qctl flush of a backed-off domain forgets its backoff:" \
	    "its mail goes at once, not at the next retry round"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
flush_backoff_body() {
	qp_instance "$PWD/inst"
	pr=$(qp_free_port 127.0.0.2)
	echo "fl.test:127.0.0.2:$pr" > "$QPOST_CONTROL/smtproutes"
	# without the flush, nothing would be tried for ten minutes
	control retrymin 600
	control retrymax 600
	mkqueue --count 5 --rcpt 'f{n}@fl.test'
	qp_start
	qp_wait_log "domain=fl.test state=backoff" 30
	rm_peer_start pr 127.0.0.2 "$pr"
	atf_check -o ignore "$QPOST_LIBEXEC/qctl" flush -d fl.test
	qp_wait_log "domain=fl.test state=ok was=backoff .*flushed" 30
	wait_mails pr 5 30
	qp_wait_queue_empty 30
	qp_stop
}
flush_backoff_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case dead_expire cleanup
dead_expire_head() {
	atf_set "descr" "mail waiting for a backed-off domain is bounced when" \
	    "the queue lifetime has passed, though it was never tried"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
dead_expire_body() {
	qp_instance "$PWD/inst"
	control retrymin 1
	control retrymax 2
	control queuelifetime 6
	mkqueue --count 20 --rcpt 'd{n}@dead.test'
	qp_start
	qp_wait_for 20 "$QP_DIR/home/alice/Maildir/new" 60
	qp_wait_queue_empty 30
	[ "$(grep -l 'message expired in the queue' \
	    "$QP_DIR"/home/alice/Maildir/new/* | wc -l)" -eq 20 ] ||
	    qp_fail "not every bounce says the message expired"
	starts=$(log_count 'start to=<[^>]*@dead.test> via=remote')
	[ "$starts" -lt 20 ] ||
	    qp_fail "each waiting message was tried: $starts attempts"
	qp_stop
}
dead_expire_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case expire_on_hup cleanup
expire_on_hup_head() {
	atf_set "descr" "a queue lifetime shortened by SIGHUP moves every" \
	    "timer: mail waiting for a backed-off domain expires at once"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
expire_on_hup_body() {
	qp_instance "$PWD/inst"
	control retrymin 600
	control retrymax 600
	mkqueue --count 20 --rcpt 'd{n}@dead.test' --age 60
	qp_start
	qp_wait_log "domain=dead.test state=backoff" 30
	control queuelifetime 30
	qp_reload
	qp_wait_for 20 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_queue_empty 30
	qp_stop
}
expire_on_hup_cleanup() {
	qp_stop
}

atf_test_case retry_backlog cleanup
retry_backlog_head() {
	atf_set "descr" "new mail is not starved by a backlog of due retries:" \
	    "with 2,000 retries for a broken local mailbox due at once, a" \
	    "new message to another mailbox takes a slot in turn with them"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
retry_backlog_body() {
	qp_instance "$PWD/inst"
	control concurrencylocal 2
	control retrymin 600
	rm -rf "$QP_DIR/home/bob"
	touch "$QP_DIR/home/bob"	# a file where the home should be
	mkqueue --count 2000 --rcpt bob@example.test --tries 1 --next -1 \
	    --error "4.2.0 mailbox unavailable"
	qp_start
	qp_msg new > m
	atf_check "$QPOST_LIBEXEC/qinject" alice@example.test < m
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	# every retry before it would be 2,000 attempts; taking turns, it
	# goes after a handful
	bob=$(log_count 'start to=<bob@example.test>')
	echo "retries started before the new message was delivered: $bob"
	[ "$bob" -lt 1000 ] ||
	    qp_fail "the new message waited for $bob retries"
	qp_stop
}
retry_backlog_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case per_domain
	atf_add_test_case dead_domain
	atf_add_test_case release
	atf_add_test_case flush_backoff
	atf_add_test_case dead_expire
	atf_add_test_case expire_on_hup
	atf_add_test_case retry_backlog
}
