#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# qcdb: text control files to cdb, atomically, refusing bad input.

. "$(atf_get_srcdir)/../lib.sh"

setup_control() {
	mkdir control
	export QPOST_CONTROL=$PWD/control
	printf 'Demo:1000:1000:/home/demo\n# a comment\n\nbob:1001:1001:/home/bob\n' \
	    > control/users
	printf 'postmaster: demo\nList: demo,\n  bob@example.test\n' \
	    > control/aliases
}

atf_test_case builds
builds_head() {
	atf_set "descr" "qcdb compiles users and aliases into cdb files" \
	    "that give the right values"
	atf_set "require.progs" "cdb"
}
builds_body() {
	setup_control
	atf_check "$(qp_top)/build/libexec/qcdb"
	atf_check -o inline:"1000:1000:/home/demo" cdb -q control/users.cdb demo
	atf_check -o inline:"demo\0000bob@example.test\0000" \
	    cdb -q control/aliases.cdb list
	atf_check -s exit:100 cdb -q control/users.cdb nobody
	atf_check -o inline:"644\n" stat -c %a control/users.cdb
}

atf_test_case broken
broken_head() {
	atf_set "descr" "a broken file is refused with its name and line;" \
	    "the old cdb stays as it was"
	atf_set "require.progs" "cdb"
}
broken_body() {
	setup_control
	atf_check "$(qp_top)/build/libexec/qcdb"
	cp control/users.cdb good.cdb
	cp control/aliases.cdb good-aliases.cdb
	for bad in 'demo:x:1000:/home/demo' 'demo:1000:1000:relative' \
	    'demo:1000' 'demo' ':1000:1000:/h'; do
		printf 'ok:1:1:/h\n%s\n' "$bad" > control/users
		atf_check -s exit:100 -e match:"control/users: line 2" \
		    "$(qp_top)/build/libexec/qcdb" users
		atf_check cmp control/users.cdb good.cdb
	done
	for bad in 'a@@b: demo' 'x: a b c' 'x: <>' 'nocolon'; do
		printf 'ok: demo\n%s\n' "$bad" > control/aliases
		atf_check -s exit:100 -e match:"control/aliases: line 2" \
		    "$(qp_top)/build/libexec/qcdb" aliases
		atf_check cmp control/aliases.cdb good-aliases.cdb
	done
	printf 'ok: demo\nok: bob\n' > control/aliases
	atf_check -s exit:100 -e match:"line 2" \
	    "$(qp_top)/build/libexec/qcdb" aliases
	printf 'a: b\0c\n' > control/aliases
	atf_check -s not-exit:0 -e not-empty "$(qp_top)/build/libexec/qcdb" aliases
	atf_check cmp control/aliases.cdb good-aliases.cdb
	atf_check -o inline:"" find control -name '*.tmp'
}

atf_test_case durable
durable_head() {
	atf_set "descr" "qcdb writes a temporary file, fsyncs it, renames it" \
	    "and fsyncs the directory"
	atf_set "require.progs" "strace"
}
durable_body() {
	setup_control
	# LeakSanitizer cannot run under ptrace: a sanitizer build skips it
	export ASAN_OPTIONS=detect_leaks=0
	atf_check -e ignore strace -o trace.txt \
	    -e trace=openat,fsync,rename,renameat,renameat2 \
	    "$(qp_top)/build/libexec/qcdb" users
	grep -E 'users.cdb.tmp", O_|^fsync|^rename' trace.txt |
	    sed -E 's/^(openat|fsync|rename)[a-z0-9]*\(.*/\1/' > calls
	atf_check -o inline:"openat\nfsync\nrename\nfsync\n" cat calls
}

atf_init_test_cases() {
	atf_add_test_case builds
	atf_add_test_case broken
	atf_add_test_case durable
}
