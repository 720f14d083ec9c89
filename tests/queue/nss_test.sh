#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# qinject built with musl (Makefile, QINJECT_LIBC) finds accounts only
# in /etc/passwd; a caller it cannot find is served by qinject-nss, its
# glibc build, which asks the name services of /etc/nsswitch.conf.  The
# account only glibc finds here comes from libnss-extrausers, set up in
# a private mount namespace: nsswitch.conf and /var/lib/extrausers are
# bound over the system's for that namespace alone.

. "$(atf_get_srcdir)/../lib.sh"

# no account has it (checked), and extrausers gives it the name nssuser
NSS_UID=54321

# nss_setup - skip unless qinject is the musl build; a queue every uid
# may drop into, in a folder every uid may reach, and the extrausers
# files: R is that folder.
nss_setup() {
	# the musl build names the program it hands such a caller to
	grep -q qinject-nss "$(qp_top)/build/libexec/qinject" ||
	    atf_skip "qinject is built with glibc here (no musl-gcc, or" \
	    "SANITIZE=1), and asks the name services itself"
	! getent passwd "$NSS_UID" >/dev/null ||
	    atf_skip "uid $NSS_UID has an account on this machine"
	R=$(mktemp -d /tmp/qpost-nss.XXXXXX)
	echo "$R" > root_dir
	mkdir -p "$R/control" "$R/queue/drop" "$R/eu" "$R/libexec"
	chmod 1777 "$R/queue/drop"
	mkfifo -m 0622 "$R/queue/trigger"
	echo example.test > "$R/control/me"
	echo example.test > "$R/control/locals"
	printf 'passwd: files extrausers\ngroup: files extrausers\n' \
	    > "$R/nsswitch.conf"
	echo "nssuser:x:$NSS_UID:$NSS_UID:NSS only:/nonexistent:/bin/false" \
	    > "$R/eu/passwd"
	echo "nssuser:x:$NSS_UID:" > "$R/eu/group"
	chmod -R a+rX "$R"
	qp_msg n1 > "$R/msg"
	chmod 644 "$R/msg"
}

# as_uid UID LIBEXEC COMMAND... - COMMAND as UID (and gid UID) in a
# mount namespace of its own where nssuser exists, with the queue of
# nss_setup and the internal programs of LIBEXEC; stdin is R/msg,
# stdout and stderr go to the files out and err, the exit status to rc
# (atf_check runs no shell functions).
as_uid() {
	_u=$1 _lx=$2
	shift 2
	unshare --mount --propagation private sh -c '
		mount --bind "$0/nsswitch.conf" /etc/nsswitch.conf &&
		mount -t tmpfs tmpfs /var/lib && mkdir /var/lib/extrausers &&
		mount --bind "$0/eu" /var/lib/extrausers || exit 99
		exec "$@"' "$R" setpriv --reuid="$_u" --regid="$_u" \
	    --clear-groups env QPOST_QUEUE="$R/queue" \
	    QPOST_CONTROL="$R/control" QPOST_LIBEXEC="$_lx" "$@" \
	    < "$R/msg" > out 2> err
	echo $? > rc
}

# rc_is N - as_uid's command exited N.
rc_is() {
	[ "$(cat rc)" = "$1" ] ||
	    qp_fail "exit status $(cat rc), not $1; stderr:" err
}

nss_cleanup() {
	if [ -s root_dir ]; then
		rm -rf "$(cat root_dir)"
	fi
}

atf_test_case nss_account cleanup
nss_account_head() {
	atf_set "descr" "an account only the name services know (not" \
	    "/etc/passwd) injects with qinject: qinject-nss takes over and" \
	    "queues the message from that account's name"
	atf_set "require.user" "root"
	atf_set "require.progs" "unshare setpriv getent"
	atf_set "require.files" "/usr/lib/libnss_extrausers.so.2"
}
nss_account_body() {
	nss_setup
	as_uid 0 "$R/libexec" getent passwd "$NSS_UID"
	rc_is 0
	grep -q "^nssuser:x:$NSS_UID:" out ||
	    qp_fail "extrausers did not give uid $NSS_UID a name:" out
	as_uid "$NSS_UID" "$(qp_top)/build/libexec" \
	    "$(qp_top)/build/libexec/qinject" alice@example.test
	rc_is 0
	# one drop file, nssuser's, from nssuser@ (the default sender)
	atf_check -o inline:"$NSS_UID\n" sh -c "stat -c %u '$R'/queue/drop/*"
	atf_check -o match:"F[0-9]+:nssuser@example\.test," \
	    sh -c "cat '$R'/queue/drop/*"
}
nss_account_cleanup() {
	nss_cleanup
}

atf_test_case nss_missing cleanup
nss_missing_head() {
	atf_set "descr" "without qinject-nss, qinject says that it cannot" \
	    "find the caller and how to mend it, exits 71 (try again) and" \
	    "leaves no drop file"
	atf_set "require.user" "root"
	atf_set "require.progs" "unshare setpriv getent"
	atf_set "require.files" "/usr/lib/libnss_extrausers.so.2"
}
nss_missing_body() {
	nss_setup
	as_uid "$NSS_UID" "$R/libexec" "$(qp_top)/build/libexec/qinject" \
	    alice@example.test
	rc_is 71
	atf_check -o match:"^qinject: fatal: uid $NSS_UID is not in /etc/passwd, and $R/libexec/qinject-nss, which asks the system's name services, could not be run: reinstall qpost: No such file or directory$" \
	    cat err
	atf_check -o inline:"" ls -A "$R/queue/drop"
}
nss_missing_cleanup() {
	nss_cleanup
}

atf_test_case passwd_account cleanup
passwd_account_head() {
	atf_set "descr" "an account in /etc/passwd is served by the musl" \
	    "build itself: qinject-nss is not run"
	atf_set "require.user" "root"
	atf_set "require.progs" "unshare setpriv getent"
	atf_set "require.files" "/usr/lib/libnss_extrausers.so.2"
}
passwd_account_body() {
	nss_setup
	# a qinject-nss that only leaves a mark
	mkdir "$R/mark"
	chmod 1777 "$R/mark"
	printf '#!/bin/sh\ntouch %s/mark/ran\nexit 81\n' "$R" \
	    > "$R/libexec/qinject-nss"
	chmod 755 "$R/libexec/qinject-nss"
	as_uid "$(id -u nobody)" "$R/libexec" \
	    "$(qp_top)/build/libexec/qinject" -f nobody@example.test \
	    alice@example.test
	rc_is 0
	atf_check -o inline:"1\n" sh -c "ls '$R'/queue/drop | wc -l"
	[ ! -e "$R/mark/ran" ] || atf_fail "qinject ran qinject-nss for nobody"
}
passwd_account_cleanup() {
	nss_cleanup
}

atf_test_case static_pie
static_pie_head() {
	atf_set "descr" "where musl's static library is installed, the musl" \
	    "build of qinject is a static PIE: no dynamic loader, no shared" \
	    "library, still position-independent, with RELRO and BIND_NOW"
	atf_set "require.progs" "readelf"
}
static_pie_body() {
	q=$(qp_top)/build/libexec/qinject
	grep -q qinject-nss "$q" || atf_skip "qinject is built with glibc here"
	# where the Makefile finds musl: beside musl-gcc's specs file
	specs=$(sed -n 's/.*-specs "\([^"]*\)".*/\1/p' "$(command -v musl-gcc)")
	[ -f "$(dirname "$specs")/rcrt1.o" ] ||
	    atf_skip "musl has no static PIE start file here"
	atf_check -o not-match:"INTERP" readelf -lW "$q"
	atf_check -o match:"GNU_RELRO" readelf -lW "$q"
	atf_check -o match:"Type: +DYN" readelf -hW "$q"
	atf_check -o not-match:"NEEDED" -o match:"BIND_NOW" readelf -dW "$q"
	atf_check -o match:"^usage: qinject" -s exit:0 "$q" -h
}

atf_init_test_cases() {
	atf_add_test_case static_pie
	atf_add_test_case nss_account
	atf_add_test_case nss_missing
	atf_add_test_case passwd_account
}
