#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# A full queue (RELIABILITY.md 1.2 queue_enospc): the queue on a small
# tmpfs, out of bytes or out of inodes.  smtpd must answer 452 4.3.1,
# leave nothing partial in drop/, and take mail again once space is
# freed, delivering what it had accepted.  Root mounts the tmpfs; the
# instance runs as the unprivileged user (tests/smtpd/fulldisk.sh).

. "$(atf_get_srcdir)/../lib.sh"

# fd_user - the unprivileged account: kyua's unprivileged_user, else
# qptest (tests/run.sh makes it).
fd_user() {
	if atf_config_has unprivileged_user; then
		atf_config_get unprivileged_user
	else
		echo qptest
	fi
}

# fd_run OPTIONS BALLAST - mount a tmpfs with OPTIONS as the queue of an
# instance owned by the unprivileged user, fill it with BALLAST (a
# shell command run in its ballast/ folder), run fulldisk.sh as that
# user, and check what it printed.
fd_run() {
	u=$(fd_user)
	id "$u" >/dev/null 2>&1 || atf_skip "no account $u"
	base=$(mktemp -d /tmp/qpfull.XXXXXX) || atf_fail "mktemp"
	echo "$base" > base.path
	chmod 0755 "$base"
	mkdir -p "$base/inst/queue"
	mount -t tmpfs -o "$1,mode=0755" qpfull "$base/inst/queue" ||
	    atf_fail "mount -t tmpfs -o $1 failed"
	mkdir "$base/inst/queue/ballast"
	(cd "$base/inst/queue/ballast" && eval "$2") ||
	    atf_fail "the ballast ($2) failed"
	chown -R "$u:$(id -g "$u")" "$base"
	df -k "$base/inst/queue"
	df -i "$base/inst/queue"
	atf_check -o save:out -e save:err runuser -u "$u" -- /bin/sh \
	    "$(atf_get_srcdir)/fulldisk.sh" "$(atf_get_srcdir)" "$base/inst"
	cat out
	atf_check -o match:'^refused: 452 4\.3\.1 ' \
	    -o match:'duplicates=0 missing=0 corrupt=0 phantom=0' \
	    -o match:'^fulldisk: ok$' cat out
}

# fd_cleanup - stop what fulldisk.sh left running, unmount, remove.
fd_cleanup() {
	[ -s base.path ] || return 0
	base=$(cat base.path)
	[ -d "$base/inst" ] || return 0
	qp_stop_dir "$base/inst" 2>/dev/null
	qp_kill_instance "$base/inst"
	umount "$base/inst/queue" 2>/dev/null
	rm -rf "$base"
}

atf_test_case bytes cleanup
bytes_head() {
	atf_set "descr" "the queue's filesystem out of space: 452 4.3.1," \
	    "nothing partial in drop/, the accepted messages delivered and" \
	    "new mail taken once space is freed"
	atf_set "require.user" "root"
	atf_set "require.progs" "tcpserver runuser /usr/bin/python3 fallocate"
	atf_set "timeout" "120"
}
bytes_body() {
	# 4 MB, all but about 300 kB taken by the ballast
	fd_run size=4m,nr_inodes=1000 \
	    'fallocate -l $(( ($(stat -f -c "%a*%S" .) ) - 300 * 1024 )) ballast'
}
bytes_cleanup() {
	fd_cleanup
}

atf_test_case inodes cleanup
inodes_head() {
	atf_set "descr" "the queue's filesystem out of inodes: 452 4.3.1" \
	    "(not a broken drop file), nothing partial in drop/, and mail" \
	    "flows again once inodes are freed"
	atf_set "require.user" "root"
	atf_set "require.progs" "tcpserver runuser /usr/bin/python3"
	atf_set "timeout" "120"
}
inodes_body() {
	# plenty of bytes, few inodes: empty files take all but a few
	fd_run size=16m,nr_inodes=64 \
	    'i=0; while [ $i -lt 48 ] && : > f$i; do i=$((i + 1)); done; true'
}
inodes_cleanup() {
	fd_cleanup
}

atf_init_test_cases() {
	atf_add_test_case bytes
	atf_add_test_case inodes
}
