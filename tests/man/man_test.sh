#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Every program has a man page that lints clean and answers -h.

. "$(atf_get_srcdir)/../lib.sh"

atf_test_case lint
lint_head() {
	atf_set "descr" "every man page passes mandoc -Tlint -W warning"
	atf_set "require.progs" "mandoc"
}
lint_body() {
	atf_check -o empty -e empty sh -c \
	    "mandoc -Tlint -W warning '$(qp_top)'/man/*.[1-8]"
}

atf_test_case every_program
every_program_head() {
	atf_set "descr" "every program has a man page and answers -h with" \
	    "a usage line naming it"
}
every_program_body() {
	top=$(qp_top)
	for p in "$top"/build/libexec/*; do
		name=${p##*/}
		ls "$top"/man/"$name".[1-8] >/dev/null 2>&1 ||
		    ls "$top"/man/qpost-"$name".[1-8] >/dev/null 2>&1 ||
		    atf_fail "no man page for $name"
		atf_check -o match:"usage: .*$name" "$p" -h
	done
	test -f "$top/man/qpost-setup.8" || atf_fail "no man page for qpost-setup"
	atf_check -e match:"usage: qpost-setup" "$top/control/qpost-setup" -h
}

atf_init_test_cases() {
	atf_add_test_case lint
	atf_add_test_case every_program
}
