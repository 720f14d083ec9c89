#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# qpost-check: a good control directory prints exactly its canonical
# form (golden/good.ok); each broken file is reported with its name and
# line (golden/<case>.ok) and exit 100; warnings alone exit 0, or 1
# with -w.  QP_GOLDEN_UPDATE=dir writes what each case printed into
# dir, to review and copy over golden/.  Run unprivileged: the secrets' expected owner is then the
# user running the test, written USER in the golden files.

. "$(atf_get_srcdir)/../lib.sh"

golden() {
	echo "$(atf_get_srcdir)/golden/$1"
}

# good_control - a control directory with most kinds of file, and the
# cdb files built from its texts.
good_control() {
	mkdir control
	export QPOST_CONTROL=$PWD/control QPOST_LIBEXEC=$(qp_top)/build/libexec
	c=control
	echo mail.example.org > $c/me
	printf 'example.org\n# a comment\n\nExample.NET\n' > $c/locals
	printf 'bob:1001:1001:/home/bob\nalice:1000:1000:/home/alice\n' > $c/users
	printf 'postmaster: alice\nlist: alice,\n  bob@example.org\n' > $c/aliases
	printf 'example.com\n.example.com\n' > $c/rcpthosts
	printf '10.0.0.0/8\n[2001:db8::]/32\n' > $c/relay
	printf 'Alice@Example.COM\n@a.example.com\n' > $c/relayrecipients
	printf 'alice: alice@example.org, a@example.net\n' > $c/senders
	printf '192.0.2.0/24 reject Not here\n.dyn.example ok\n' > $c/clientaccess
	echo 5 > $c/concurrencylocal
	echo 86400 > $c/queuelifetime
	printf ':smtp.example.net:587\npartner.example:\n' > $c/smtproutes
	printf 'smtp.example.net:user:pass:word\n' > $c/smtpauth
	chmod 600 $c/smtpauth
	printf ':verify\nold.example:may\n' > $c/tlsdestinations
	printf '192.0.2.1\n[2001:db8::1]\n' > $c/outgoingip
	printf '[::1]:5353\n' > $c/resolvers
	printf './Maildir/\n|/usr/bin/true\n' > $c/defaultdelivery
	echo - > $c/extsep
	echo 2525 > $c/remoteport
	echo bounces@example.org > $c/doublebounceto
	printf 'zen.example\nbl.example 127.0.0.2 Refused: %%i\n' > $c/dnsbl
	echo connect > $c/dnsblrefuse
	atf_check "$QPOST_LIBEXEC/qcdb"
}

# check EXPECTED-STATUS GOLDEN [ARGS] - run qpost-check, compare its
# output, the user's name replaced by USER, with the golden file.
check() {
	_st=$1 _g=$2
	shift 2
	"$QPOST_LIBEXEC/qpost-check" "$@" > out.raw 2> err
	_rc=$?
	sed "s/ $(id -un)>/ USER>/" out.raw > out
	# QP_GOLDEN_UPDATE=dir: write the new golden files there, to review
	if [ -n "${QP_GOLDEN_UPDATE:-}" ]; then
		cp out "$QP_GOLDEN_UPDATE/$_g"
		echo "$_rc" > "$QP_GOLDEN_UPDATE/$_g.rc"
		return 0
	fi
	diff -u "$(golden "$_g")" out >&2 || atf_fail "output differs from $_g"
	[ "$_rc" -eq "$_st" ] || atf_fail "exit $_rc, want $_st"
	[ ! -s err ] || { cat err >&2; atf_fail "stderr not empty"; }
}

atf_test_case good
good_head() {
	atf_set "descr" "a good configuration prints its canonical form"
	atf_set "require.user" "unprivileged"
}
good_body() {
	good_control
	check 0 good.ok
	# the same through qctl check and -c, and nothing with -q
	atf_check -o file:out.raw "$QPOST_LIBEXEC/qctl" check -c control
	atf_check -o empty "$QPOST_LIBEXEC/qpost-check" -q
	atf_check -o match:usage "$QPOST_LIBEXEC/qpost-check" -h
}

atf_test_case empty
empty_head() {
	atf_set "descr" "an empty control directory prints every default"
	atf_set "require.user" "unprivileged"
}
empty_body() {
	mkdir control
	echo mail.example.org > control/me
	export QPOST_CONTROL=$PWD/control QPOST_LIBEXEC=$(qp_top)/build/libexec
	check 0 empty.ok
	# a cdb without its text is in force, and said to be
	echo example.com > control/rcpthosts
	atf_check "$QPOST_LIBEXEC/qcdb" rcpthosts
	rm control/rcpthosts
	atf_check -o match:"^rcpthosts: <rcpthosts.cdb alone, without its text>$" \
	    "$QPOST_LIBEXEC/qpost-check"
}

# broken CASE GOLDEN - break the good directory with CASE's commands,
# then expect exit 100 and exactly the golden problem lines.
broken() {
	good_control
	eval "$1"
	check 100 "$2"
}

atf_test_case broken_files
broken_files_head() {
	atf_set "descr" "each broken control file is reported with its name" \
	    "and line, and exit 100"
	atf_set "require.user" "unprivileged"
}
broken_files_body() {
	for t in \
	    'number:echo ten > $c/concurrencylocal' \
	    'range:echo 0 > $c/remoteport' \
	    'me:printf "\n" > $c/me' \
	    'smtproutes:printf ":ok.example\nx.example:[::1\n" > $c/smtproutes' \
	    'aliases:printf "a: b\nnocolon\n" > $c/aliases; touch -d "-1 min" $c/aliases' \
	    'relay:printf "10.0.0.1\n10.0.0.0/33\n" > $c/relay; touch -d "-1 min" $c/relay' \
	    'clientaccess:printf "10.0.0.1 ok\nhost.example refuse\n" > $c/clientaccess; touch -d "-1 min" $c/clientaccess' \
	    'stale:touch -d "+1 min" $c/rcpthosts' \
	    'nocdb:rm $c/users.cdb' \
	    'smtpauth_mode:chmod 644 $c/smtpauth' \
	    'smtpauth_line:printf "# relays\nh:u:p\nhost-without-password\n" > $c/smtpauth' \
	    'tlsdestinations:printf "# policies\n:verify\n\nx.example:always\n" > $c/tlsdestinations' \
	    'outgoingip:echo 2001:db8::1 > $c/outgoingip' \
	    'resolvers:printf "1.1.1.1\nnot-an-address\n" > $c/resolvers' \
	    'defaultdelivery:printf "./Maildir/\n:include:/etc/list\n" > $c/defaultdelivery' \
	    'extsep:echo ab > $c/extsep' \
	    'filter:echo "qpmilter unix:/run/milter.sock" > $c/filter' \
	    'dnsbl:printf "bl.example\nbl2.example 10.0.0.2\n" > $c/dnsbl' \
	    'dnsblrefuse:echo later > $c/dnsblrefuse' \
	    'policy:printf "# postgrey\ninet:127.0.0.1:10023\n\ninet:localhost:10023\n" > $c/policy' \
	    'headerchecks:printf "# spam\n/^Subject: x/ REJECT\n/^To:/ FILTER smtp:[127.0.0.1]:10025\n" > $c/headerchecks' \
	    'bodychecks:printf "/^a(b/ REJECT\n" > $c/bodychecks' \
	    'doublebounceto:printf "# where\nbad address@x\n" > $c/doublebounceto' \
	    'users:printf "ok:1:1:/h\nbob:x:1:/h\n" > $c/users; touch -d "-1 min" $c/users' \
	    'tlskey:echo key > $c/tls.key; chmod 644 $c/tls.key' \
	    'passwd:echo "u:\$y\$x" > $c/passwd; chmod 640 $c/passwd; touch -d "-1 min" $c/passwd; cp -p $c/passwd $c/passwd.cdb; chmod 600 $c/passwd.cdb' \
	    'passwd_nocdb:echo "u:\$y\$x" > $c/passwd; chmod 600 $c/passwd' \
	    'passwd_old:echo "u:\$y\$x" > $c/passwd; chmod 600 $c/passwd; cp -p $c/passwd $c/passwd.cdb; touch -d "-1 min" $c/passwd.cdb'; do
		rm -rf control
		broken "${t#*:}" "${t%%:*}.ok"
	done
}

atf_test_case warnings
warnings_head() {
	atf_set "descr" "an unknown file is a warning: exit 0, or 1 with -w;" \
	    "the configuration is still printed"
	atf_set "require.user" "unprivileged"
}
warnings_body() {
	good_control
	echo 3 > control/concurencylocal
	printf 'root\n0\nno-such-account-here\n' > control/trusted
	check 1 unknown.ok -q -w
	"$QPOST_LIBEXEC/qpost-check" > out || atf_fail "warnings made it fail"
	grep -q '^concurencylocal: warning: unknown file' out ||
	    atf_fail "no warning"
	grep -q '^concurrencylocal: 5$' out || atf_fail "no configuration"
	rm control/concurencylocal control/trusted
	# qpmilter's milter that is not (yet) running
	echo "$QPOST_LIBEXEC/qpmilter -t 5 unix:$PWD/none.sock" > control/filter
	atf_check -s exit:1 -o inline:"filter:1: warning: qpmilter: no socket at $PWD/none.sock: is the milter running? Until it is, mail is refused for now (qpmilter -d)\n" \
	    "$QPOST_LIBEXEC/qpost-check" -q -w
	rm control/filter
	# the policy dane with a resolver off this host
	printf 'example.org:dane\n' > control/tlsdestinations
	"$QPOST_LIBEXEC/qpost-check" -q > out || atf_fail "dane made it fail"
	[ -s out ] && qp_fail "a resolver on ::1 is warned of" out
	printf '127.0.0.1\n192.0.2.53\n' > control/resolvers
	printf 'example.org:may\nexample.net:dane-only\n' > \
	    control/tlsdestinations
	atf_check -s exit:1 -o inline:"tlsdestinations: warning: the policy dane (or dane-only) trusts the AD bit of resolvers off this host, which anyone on the way can set: name a validating resolver on 127.0.0.1 or ::1 in resolvers\n" \
	    "$QPOST_LIBEXEC/qpost-check" -q -w
	rm control/tlsdestinations control/resolvers
	# softbounce left on
	echo 1 > control/softbounce
	atf_check -s exit:1 -o inline:"softbounce: warning: on: no mail is refused or bounced for good until it is 0 again\n" \
	    "$QPOST_LIBEXEC/qpost-check" -q -w
	echo 0 > control/softbounce
	atf_check -o empty "$QPOST_LIBEXEC/qpost-check" -q -w
	rm control/softbounce
	# relayrecipients that forgets a domain of rcpthosts
	printf 'example.com\nexample.net\n.sub.example\n' > control/rcpthosts
	printf 'alice@Example.COM\n' > control/relayrecipients
	atf_check -o ignore -e ignore "$QPOST_LIBEXEC/qcdb" rcpthosts \
	    relayrecipients
	atf_check -s exit:1 -o inline:"relayrecipients: warning: no line for example.net of rcpthosts: smtpd refuses every address there (@example.net takes them all)\n" \
	    "$QPOST_LIBEXEC/qpost-check" -q -w
	echo @example.net >> control/relayrecipients
	atf_check -o ignore -e ignore "$QPOST_LIBEXEC/qcdb" relayrecipients
	atf_check -o empty "$QPOST_LIBEXEC/qpost-check" -q -w
	# certificates by host name: a certificate without its key, a key
	# others may read
	mkdir control/tlshosts
	: > control/tlshosts/mail.example.net.crt
	atf_check -s exit:1 -o inline:"tlshosts/mail.example.net.crt: warning: no key beside it: smtpd leaves it out\n" \
	    "$QPOST_LIBEXEC/qpost-check" -q -w
	: > control/tlshosts/mail.example.net.key
	chmod 644 control/tlshosts/mail.example.net.key
	atf_check -s exit:100 -o inline:"tlshosts/mail.example.net.key: mode is too loose: it holds a secret (want 0440 or 0400; qpost-setup sets it)\n" \
	    "$QPOST_LIBEXEC/qpost-check" -q -w
	chmod 400 control/tlshosts/mail.example.net.key
	atf_check -o empty "$QPOST_LIBEXEC/qpost-check" -q -w
}

atf_test_case owners_as_root
owners_as_root_head() {
	atf_set "descr" "run by root, the owner a secret must have is that" \
	    "of the mode qpost-start would choose: singleuser's account," \
	    "else qpremote for smtpauth"
	atf_set "require.user" "root"
}
owners_as_root_body() {
	good_control
	id qptest > /dev/null 2>&1 || atf_skip "no account qptest"
	echo qptest > control/singleuser
	atf_check -s exit:100 -o inline:"smtpauth: wrong owner: want qptest\n" \
	    "$QPOST_LIBEXEC/qpost-check" -q
	chown qptest control/smtpauth
	atf_check -o match:"^smtpauth: <set, 0600 qptest>$" \
	    "$QPOST_LIBEXEC/qpost-check"
	echo root > control/singleuser
	atf_check -s exit:100 -o match:"^singleuser:1: names no account" \
	    "$QPOST_LIBEXEC/qpost-check" -q
	rm control/singleuser
	if id qpremote > /dev/null 2>&1; then
		atf_check -s exit:100 \
		    -o inline:"smtpauth: wrong owner: want qpremote\n" \
		    "$QPOST_LIBEXEC/qpost-check" -q
	fi
}

atf_test_case cannot_check
cannot_check_head() {
	atf_set "descr" "a control directory that does not exist: exit 111"
}
cannot_check_body() {
	atf_check -s exit:111 -e match:"control directory" \
	    "$(qp_top)/build/libexec/qpost-check" -c "$PWD/nowhere"
	atf_check -s exit:100 -e match:usage \
	    "$(qp_top)/build/libexec/qpost-check" extra
}

atf_test_case message
message_head() {
	atf_set "descr" "-m tries headerchecks and bodychecks on a message:" \
	    "each match in order, a MIME part's header included, and the" \
	    "verdict; a broken table exits 100"
	atf_set "require.user" "unprivileged"
}
message_body() {
	good_control
	cat > $c/headerchecks <<'EOF'
/^Subject:.*cheap pills/	REJECT No spam here
/^Content-(Type|Disposition):.*name="?[^"]*\.(exe|scr)"?/	REJECT Attachment $2 refused
/^X-Track:/	IGNORE
/^Subject: (copy|send) (\w+)/	BCC $2@example.org
/^Subject: .* review/	HOLD for a look
EOF
	printf '/^unsubscribe/ WARN list mail\n/^--b--$/ INFO the end\n' \
	    > $c/bodychecks
	cat > m1 <<'EOF'
Subject: copy archive
X-Track: 1
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

unsubscribe here
--b
Content-Type: application/octet-stream; name="invoice.exe"

TVo=
--b--
EOF
	atf_check -s exit:0 -o inline:"header: BCC archive@example.org: Subject: copy archive
header: IGNORE: X-Track: 1
body: WARN list mail: unsubscribe here
header: REJECT Attachment exe refused: Content-Type: application/octet-stream; name=\"invoice.exe\"
verdict: refused with 550 5.7.1 Attachment exe refused
" "$QPOST_LIBEXEC/qpost-check" -m < m1
	printf 'Subject: send sales\n\nhi\n' > m2
	atf_check -s exit:0 -o inline:"header: BCC sales@example.org: Subject: send sales
verdict: queued, a copy for sales@example.org
" "$QPOST_LIBEXEC/qpost-check" -m < m2
	printf 'Subject: please review\n\nhi\n' > m3
	atf_check -s exit:0 -o inline:"header: HOLD for a look: Subject: please review
verdict: queued held (qctl release delivers it)
" "$QPOST_LIBEXEC/qpost-check" -m < m3
	echo '/^Subject:/ FROB' > $c/headerchecks
	atf_check -s exit:100 \
	    -e match:'control file headerchecks: line 1: unknown action "FROB"' \
	    "$QPOST_LIBEXEC/qpost-check" -m < m2
	rm $c/headerchecks $c/bodychecks
	atf_check -s exit:0 -o inline:"no rules: control/headerchecks and bodychecks are absent or empty
verdict: queued
" "$QPOST_LIBEXEC/qpost-check" -m < m2
}

atf_init_test_cases() {
	atf_add_test_case good
	atf_add_test_case empty
	atf_add_test_case broken_files
	atf_add_test_case warnings
	atf_add_test_case owners_as_root
	atf_add_test_case cannot_check
	atf_add_test_case message
}
