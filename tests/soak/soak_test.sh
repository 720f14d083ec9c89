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
	if ! grep -q __asan_init "$top/build/libexec/sched" 2>/dev/null &&
	    [ "$(atf_config_get soak_always 0)" != 1 ]; then
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

atf_init_test_cases() {
	atf_add_test_case soak
}
