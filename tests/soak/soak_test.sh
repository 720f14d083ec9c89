#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# The crash-loop soak (tests/soak/soak.py, RELIABILITY.md 1.3) for 60
# seconds: mail through smtpd and qinject to local users, a test peer
# and nonexistent users, while sched, lspawn, rspawn, local, remote,
# smtpd and qinject are SIGKILLed about once a second and the disk is
# filled to ENOSPC; then drain, a cleanup pass and the audit of I1-I5.
# `make soak MINUTES=N` runs the long version.
#
# It runs only against a sanitizer build (make SANITIZE=1), and is
# skipped with the reason otherwise.  Why: CI runs the whole suite
# twice, the sanitizer build then the plain one, and is near its time
# budget; the soak is worth most where every daemon is an ASan/UBSan
# build (RELIABILITY.md asks for that), so it runs once per CI job, in
# that half.  The test looks at the built sched itself (the ASan
# runtime's __asan_init symbol) rather than at a marker file or an
# environment variable: it cannot go stale after a rebuild, and kyua
# needs no configuration.  To run it against a plain build anyway:
# kyua test -v test_suites.qpost.soak_always=1 tests/soak/soak_test

. "$(atf_get_srcdir)/../lib.sh"

atf_test_case soak cleanup
soak_head() {
	atf_set "descr" "60 s of mail under SIGKILLs and ENOSPC: nothing" \
	    "accepted is lost, nothing partial, nothing refused delivered," \
	    "a clean queue, duplicates only where kills explain them"
	# root mounts the ext4 loop image; the instance runs as qptest
	atf_set "require.user" "root"
	atf_set "require.progs" "tcpserver mkfs.ext4 setpriv"
	atf_set "timeout" "400"
}
soak_body() {
	top=$(cd "$(atf_get_srcdir)/../.." && pwd -P)
	if ! qp_sanitized && [ "$(atf_config_get soak_always 0)" != 1 ]; then
		atf_skip "not a SANITIZE=1 build: the soak runs in CI's" \
		    "sanitizer half only (soak_always=1 forces it)"
	fi
	# qptest (tests/run.sh makes it) must reach the tree
	runuser -u qptest -- test -r "$top/build/libexec/sched" ||
	    atf_skip "user qptest cannot read $top"
	# a work directory under /tmp: kyua's may sit below a 0700 one
	d=$(mktemp -d /tmp/qpost-soak.XXXXXX) || atf_fail "mktemp"
	echo "$d" > soak.dir
	if /usr/bin/python3 "$top/tests/soak/soak.py" --seconds 60 \
	    --dir "$d" >soak.out 2>&1; then
		cat soak.out
		rm -rf "$d"
		return 0
	fi
	cat soak.out
	for f in log smtpd.log; do
		echo "--- last lines of $d/$f:"
		tail -n 30 "$d/$f"
	done
	atf_fail "soak: $(grep '^soak: seed=.*violations=' soak.out |
	    tail -n 1 | cut -c 1-200) (kept $d)"
}
soak_cleanup() {
	# soak.py unmounts its image itself; this is for a soak that
	# kyua's timeout killed (with its process group: the daemons are
	# in it too) before it could
	[ -s soak.dir ] || return 0
	d=$(cat soak.dir)
	if mountpoint -q "$d/fs"; then
		umount "$d/fs" 2>/dev/null || umount -l "$d/fs"
	fi
}

# mkcopy USER ID - deliver sent/ID into USER's Maildir as local would
# (Delivered-To on top), with mtime 1000 (the audit's duplicate window).
mkcopy() {
	mkdir -p "home/$1/Maildir/new" "home/$1/Maildir/tmp"
	_f=home/$1/Maildir/new/$2.$(ls "home/$1/Maildir/new" |
	    grep -c "^$2\.")
	{ echo "Delivered-To: <$1@example.test>"; cat "sent/$2"; } > "$_f"
	touch -d @1000 "$_f"
}

atf_test_case audit_detects
audit_detects_head() {
	atf_set "descr" "the soak's audit (tests/audit.py --ledger) passes a" \
	    "clean result and names each kind of violation planted in one"
}
audit_detects_body() {
	top=$(cd "$(atf_get_srcdir)/../.." && pwd -P)
	mkdir sent sink
	for i in 1 2 3 4 5; do
		{
			printf 'From: <snd@example.test>\nX-Test-Id: t%s\n' "$i"
			printf 'X-Test-Sum: %s\n\n' "$(printf 'body %s\n' "$i" |
			    sha256sum | cut -d' ' -f1)"
			printf 'body %s\n' "$i"
		} > "sent/t$i"
	done
	# t1 alice, t2 alice and a sink user, t3 refused, t4 ambiguous and
	# lost (allowed), t5 to a nonexistent user: bounced
	cat > ledger <<-EOF
	accepted t1 smtp alice@example.test 990 991
	accepted t2 qinject alice@example.test 990 991
	accepted t2 qinject r1@sink.test 990 991
	refused t3 smtp bob@example.test 990 991
	ambiguous t4 qinject bob@example.test 990 991
	accepted t5 qinject ghost1@example.test 990 991
	EOF
	mkcopy alice t1
	mkcopy alice t2
	cp sent/t2 sink/1.eml
	printf 'MAIL FROM:<snd@example.test>\nRCPT TO:<r1@sink.test>\n' \
	    > sink/1.env
	mkdir -p home/snd/Maildir/new
	cat > home/snd/Maildir/new/b1 <<-EOF
	From: MAILER-DAEMON
	MIME-Version: 1.0
	Content-Type: multipart/report; report-type=delivery-status;
	 boundary="BB"

	--BB
	Content-Type: text/plain

	failed
	--BB
	Content-Type: message/delivery-status

	Reporting-MTA: dns; example.test

	Final-Recipient: rfc822; ghost1@example.test
	Action: failed
	Status: 5.1.1

	--BB
	Content-Type: text/rfc822-headers

	X-Test-Id: t5

	--BB--
	EOF
	echo "1000.5 sched 42" > kills
	# atf_check runs programs, not functions: a script
	cat > audit <<-EOF
	#!/bin/sh
	exec /usr/bin/python3 "$top/tests/audit.py" --ledger ledger \\
	    --sent sent --home home --user alice --user bob \\
	    --bounces home/snd/Maildir --sink sink --kills kills "\$@"
	EOF
	chmod +x ./audit
	atf_check -o match:"violations=0" -o match:"bounced=1" ./audit
	# a duplicate within a kill's reach passes; without one, it fails
	mkcopy alice t1
	atf_check -o match:"duplicates=1 dups_unexplained=0" \
	    -o match:"dups_local=1 dups_remote=0 dup_files=1" ./audit
	: > kills
	atf_check -s exit:1 -o match:"^duplicate: t1 to alice" ./audit
	rm home/alice/Maildir/new/t1.1
	# a loss
	mv sink/1.eml lost
	atf_check -s exit:1 -o match:"^missing: t2 to r1@sink.test" ./audit
	mv lost sink/1.eml
	# a partial copy, and a body that no longer matches X-Test-Sum
	cp home/alice/Maildir/new/t1.0 keep
	head -c -3 keep > home/alice/Maildir/new/t1.0
	atf_check -s exit:1 -o match:"^corrupt: .*t1.0" ./audit
	cp keep home/alice/Maildir/new/t1.0
	# something refused, delivered
	mkcopy bob t3
	atf_check -s exit:1 -o match:"^phantom: .*t3 for bob@example.test was refused" ./audit
	rm -r home/bob
	# an existing user bounced
	sed -i 's/ghost1@/alice@/' home/snd/Maildir/new/b1
	atf_check -s exit:1 -o match:"^phantom: .*bounce of t5 for alice" ./audit
	sed -i 's/rfc822; alice@/rfc822; ghost1@/' home/snd/Maildir/new/b1
	# a file left in Maildir tmp/ beyond the locals killed
	touch home/alice/Maildir/tmp/x
	atf_check -s exit:1 -o match:"^maildir_tmp: 1 files" ./audit
	atf_check -o match:"violations=0" ./audit --max-tmp 1
}

atf_init_test_cases() {
	atf_add_test_case audit_detects
	atf_add_test_case soak
}
