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
		    grep -l -x "\.Nm $name" "$top"/man/*.[1-8] >/dev/null ||
		    atf_fail "no man page for $name"
		# exit 0, and the first line names the program
		atf_check -o save:usage "$p" -h
		head -n 1 usage | grep -q "^usage: $name\( \|\$\)" ||
		    atf_fail "$name -h does not start with 'usage: $name'"
	done
	# sendmail under the names it is linked as
	ln -s "$top/build/libexec/sendmail" mailq
	ln -s "$top/build/libexec/sendmail" newaliases
	for name in mailq newaliases; do
		atf_check -o match:"^ *$name( |\$)" "./$name" -h
	done
	# the shell scripts that are installed
	for name in qpost-setup qpost-logsum; do
		test -f "$top/man/$name.8" || atf_fail "no man page for $name"
		atf_check -o save:usage sh "$top/control/$name" -h
		head -n 1 usage | grep -q "^usage: $name\( \|\$\)" ||
		    atf_fail "$name -h does not start with 'usage: $name'"
	done
}

atf_test_case overview_links_all
overview_links_all_head() {
	atf_set "descr" "qpost(7) names every other page in man/ with .Xr," \
	    "and every page is on the Makefile's man list"
}
overview_links_all_body() {
	top=$(qp_top)
	for f in "$top"/man/*.[1-8]; do
		page=${f##*/}
		name=${page%.*}
		sect=${page##*.}
		[ "$page" = qpost.7 ] && continue
		grep -q "^\.Xr $name $sect\( \|\$\)" "$top/man/qpost.7" ||
		    atf_fail "qpost.7 has no .Xr $name $sect"
	done
	pages=$(make -s -C "$top" -f Makefile -f - print-mans <<'MK'
print-mans:
	@echo $(MANS)
MK
)
	for f in "$top"/man/*.[1-8]; do
		case " $pages " in
		*" man/${f##*/} "*)	;;
		*)	atf_fail "${f##*/} is not in the Makefile's MANS" ;;
		esac
	done
}

atf_init_test_cases() {
	atf_add_test_case lint
	atf_add_test_case every_program
	atf_add_test_case overview_links_all
}
