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
	# every target kind, quoted forms stored unquoted (qpost-aliases(5))
	printf '"Help Desk": "|cmd a, b", /m/Maildir/, \\bob,\n %s\n' \
	    ':include:/l, lmtp:unix:/s' > control/aliases
	atf_check "$(qp_top)/build/libexec/qcdb" aliases
	atf_check -o inline:"|cmd a, b\0000/m/Maildir/\0000\\\\bob\0000:include:/l\0000lmtp:unix:/s\0000" \
	    cdb -q control/aliases.cdb "help desk"
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
	# the error names the line and the alias
	printf 'ok: demo\nstaff: a,\n  b,,c\n' > control/aliases
	atf_check -s exit:100 \
	    -e match:"control/aliases: line 3: alias staff: an empty target" \
	    -e match:"control/aliases.cdb left as it was" \
	    "$(qp_top)/build/libexec/qcdb" aliases
	atf_check cmp control/aliases.cdb good-aliases.cdb
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

atf_test_case policy
policy_head() {
	atf_set "descr" "qcdb compiles rcpthosts and relay: lowercased" \
	    "domains, masked canonical networks, duplicates allowed"
	atf_set "require.progs" "cdb"
}
policy_body() {
	setup_control
	printf 'Example.ORG\n.Example.NET\n# c\n\nexample.org\n' \
	    > control/rcpthosts
	printf '127.0.0.1\n10.1.2.3/8\n[2001:DB8::1]/32\n[::1]\n' \
	    > control/relay
	printf '10.0.0.0/8\n192.168.1.200/25\n0.0.0.0/0\n[::]/0\n' \
	    >> control/relay
	# no names: every one of the four whose text exists
	atf_check -e match:"line 2: 10.1.2.3/8 has host bits set; stored as 10.0.0.0/8" \
	    "$(qp_top)/build/libexec/qcdb"
	for f in users aliases rcpthosts relay; do
		test -f control/$f.cdb || atf_fail "no control/$f.cdb"
	done
	for k in example.org .example.net; do
		atf_check -o empty cdb -q control/rcpthosts.cdb "$k"
	done
	atf_check -s exit:100 cdb -q control/rcpthosts.cdb Example.ORG
	atf_check -s exit:100 cdb -q control/rcpthosts.cdb example.net
	for k in 127.0.0.1/32 10.0.0.0/8 2001:db8::/32 ::1/128 \
	    192.168.1.128/25 0.0.0.0/0 ::/0; do
		atf_check -o empty cdb -q control/relay.cdb "$k"
	done
	for k in 10.1.2.3/8 127.0.0.1 '[::1]' 192.168.1.200/25; do
		atf_check -s exit:100 cdb -q control/relay.cdb "$k"
	done
	# one record per entry: the duplicates were skipped
	atf_check -o inline:"2\n" sh -c 'cdb -l control/rcpthosts.cdb | grep -c "^+"'
	atf_check -o inline:"7\n" sh -c 'cdb -l control/relay.cdb | grep -c "^+"'
}

atf_test_case policy_broken
policy_broken_head() {
	atf_set "descr" "bad rcpthosts and relay lines are refused with" \
	    "their file and line; the old cdb stays as it was"
	atf_set "require.progs" "cdb"
}
policy_broken_body() {
	setup_control
	printf 'example.org\n' > control/rcpthosts
	printf '127.0.0.1\n' > control/relay
	atf_check "$(qp_top)/build/libexec/qcdb" rcpthosts relay
	cp control/rcpthosts.cdb good-rcpthosts.cdb
	cp control/relay.cdb good-relay.cdb
	for bad in 'a..b' '.' '..example.org' 'example.org.' '[127.0.0.1]' \
	    '.[127.0.0.1]' 'a b' 'x@example.org' '-a.example' \
	    'example.org/8' "$(printf 'a%.0s' $(seq 64)).org"; do
		printf 'ok.example\n%s\n' "$bad" > control/rcpthosts
		atf_check -s exit:100 -e match:"control/rcpthosts: line 2" \
		    "$(qp_top)/build/libexec/qcdb" rcpthosts
		atf_check cmp control/rcpthosts.cdb good-rcpthosts.cdb
	done
	for bad in '1.2.3' '1.2.3.4.5' '256.1.1.1' '01.2.3.4' '1.2.3.4/33' \
	    '1.2.3.4/' '1.2.3.4/08' '1.2.3.4/-1' '1.2.3.4/+8' '1.2.3.4/8/8' \
	    '::1' '2001:db8::/32' '[::1]/129' '[::1' '[1.2.3.4]' \
	    '[::ffff:10.0.0.1]' '[::ffff:10.0.0.0]/104' '[fe80::1%eth0]' \
	    '1.2.3.4 /8' 'example.org' '[]' '/8'; do
		printf '10.0.0.0/8\n%s\n' "$bad" > control/relay
		atf_check -s exit:100 -e match:"control/relay: line 2" \
		    "$(qp_top)/build/libexec/qcdb" relay
		atf_check cmp control/relay.cdb good-relay.cdb
	done
	atf_check -s exit:100 -e match:"unknown control file" \
	    "$(qp_top)/build/libexec/qcdb" rcpthost
	atf_check -o inline:"" find control -name '*.tmp'
}

atf_test_case clientaccess
clientaccess_head() {
	atf_set "descr" "qcdb compiles clientaccess: networks masked and" \
	    "canonical, names lowercased, the action's letter and its text;" \
	    "the key that asks for name lookups only with a rule by name;" \
	    "bad lines and duplicates refused with their line, the old" \
	    "cdb kept"
	atf_set "require.progs" "cdb"
}
clientaccess_body() {
	setup_control
	printf '# clients\n10.1.2.3/8 reject\n[2001:DB8::]/32 ok\n' \
	    > control/clientaccess
	printf 'Mail.Example.ORG\tDEFER  Not  now \n.dyn.example reject\n' \
	    >> control/clientaccess
	atf_check -e match:"line 2: 10.1.2.3/8 has host bits set; stored as 10.0.0.0/8" \
	    "$(qp_top)/build/libexec/qcdb" clientaccess
	while IFS='|' read -r k v; do
		atf_check -o inline:"$v" cdb -q control/clientaccess.cdb "$k"
	done <<'EOF2'
10.0.0.0/8|r
2001:db8::/32|o
mail.example.org|dNot  now
.dyn.example|r
=names|
EOF2
	atf_check -o inline:"5\n" \
	    sh -c 'cdb -l control/clientaccess.cdb | grep -c "^+"'
	cp control/clientaccess.cdb good.cdb
	for bad in '10.0.0.1' '10.0.0.1 deny' '10.0.0.1 ok why' \
	    '1.2.3 reject' '::1 reject' 'a..b reject' 'a.b. reject' \
	    "a.b reject $(printf 'x%.0s' $(seq 201))" \
	    "$(printf 'a\001') reject" '10.0.0.0/8 defer' '192.0.2.1/32 reject'; do
		printf '192.0.2.1 ok\n%s\n10.0.0.0/8 reject\n' "$bad" \
		    > control/clientaccess
		atf_check -s exit:100 -e match:"control/clientaccess: line [23]" \
		    "$(qp_top)/build/libexec/qcdb" clientaccess
		atf_check cmp control/clientaccess.cdb good.cdb
	done
	# addresses only: no key for name lookups
	printf '10.0.0.0/8 reject\n' > control/clientaccess
	atf_check "$(qp_top)/build/libexec/qcdb" clientaccess
	atf_check -s exit:100 cdb -q control/clientaccess.cdb =names
}

atf_test_case relayrecipients
relayrecipients_head() {
	atf_set "descr" "qcdb compiles relayrecipients: addresses and" \
	    "@domains lowercased, quoted local parts unquoted; bad lines" \
	    "refused with their line, the old cdb kept"
	atf_set "require.progs" "cdb"
}
relayrecipients_body() {
	setup_control
	printf 'Alice@Example.ORG\n@Example.NET\n"b c"@example.org\n' \
	    > control/relayrecipients
	printf 'alice@example.org\n' >> control/relayrecipients
	atf_check "$(qp_top)/build/libexec/qcdb" relayrecipients
	for k in alice@example.org @example.net "b c@example.org"; do
		atf_check -o empty cdb -q control/relayrecipients.cdb "$k"
	done
	atf_check -s exit:100 cdb -q control/relayrecipients.cdb \
	    Alice@Example.ORG
	atf_check -o inline:"3\n" \
	    sh -c 'cdb -l control/relayrecipients.cdb | grep -c "^+"'
	cp control/relayrecipients.cdb good.cdb
	for bad in 'alice' '@' '@[192.0.2.1]' 'alice@[192.0.2.1]' 'a@@b' \
	    '@a..b' 'a b@example.org' '<alice@example.org>' '@-a.example'; do
		printf 'ok@example.org\n%s\n' "$bad" > control/relayrecipients
		atf_check -s exit:100 \
		    -e match:"control/relayrecipients: line 2" \
		    "$(qp_top)/build/libexec/qcdb" relayrecipients
		atf_check cmp control/relayrecipients.cdb good.cdb
	done
}

atf_test_case check_only
check_only_head() {
	atf_set "descr" "qcdb -n parses as a rebuild does and writes nothing"
}
check_only_body() {
	setup_control
	atf_check "$(qp_top)/build/libexec/qcdb" -n
	atf_check -s exit:1 test -e control/users.cdb
	printf 'ok: demo\nnocolon\n' > control/aliases
	atf_check -s exit:100 -e match:"control/aliases: line 2" \
	    -e not-match:"left as it was" "$(qp_top)/build/libexec/qcdb" -n aliases
	atf_check -s exit:1 test -e control/aliases.cdb
	atf_check -s exit:1 test -e control/aliases.cdb.tmp
}

atf_init_test_cases() {
	atf_add_test_case check_only
	atf_add_test_case builds
	atf_add_test_case broken
	atf_add_test_case durable
	atf_add_test_case policy
	atf_add_test_case policy_broken
	atf_add_test_case clientaccess
	atf_add_test_case relayrecipients
}
