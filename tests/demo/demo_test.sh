#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# The README's first command, from a fresh clone, as an ordinary user.

. "$(atf_get_srcdir)/../lib.sh"

# readme_commands README - the commands of the README's Quick start
# section, one a line: its lines indented by four spaces, a line
# ending in a backslash joined with the next.  The test runs these, so
# the README and the test cannot drift apart.
readme_commands() {
	awk '
	/^-+$/ {
		if (prev == "Quick start") { on = 1; next }
		if (on) exit
	}
	{ prev = $0 }
	on && /^    [^ ]/ {
		c = substr($0, 5)
		while (c ~ /\\$/ && (getline nx) > 0) {
			sub(/\\$/, "", c)
			sub(/^ +/, "", nx)
			c = c nx
		}
		print c
	}' "$1"
}

atf_test_case fresh_clone cleanup
fresh_clone_head() {
	atf_set "descr" "make demo from a fresh clone runs an instance; a" \
	    "message injected with its bin/qinject reaches the demo" \
	    "Maildir; SIGTERM to make stops everything"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "git swaks"
	atf_set "timeout" "300"
}
fresh_clone_body() {
	qp_plain_only "the demo builds its own tree from a fresh clone"
	# the tree may belong to another user (root in CI): trust it
	printf '[safe]\n\tdirectory = *\n' > gitconfig
	atf_check -o ignore -e ignore env GIT_CONFIG_GLOBAL="$PWD/gitconfig" \
	    git clone -q "$(qp_top)" clone
	demo=$PWD/clone/demo
	# three distinct free ports, held open together while chosen
	set -- $(/usr/bin/python3 -c 'import socket
s = [socket.socket() for i in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
	[ $# -eq 3 ] || atf_fail "no free ports"
	port=$1 sport=$2 subport=$3
	# the README's first command is the one this test starts
	first=$(readme_commands clone/README | head -n 1)
	[ "$first" = "make demo" ] ||
	    atf_fail "the README's Quick start starts with '$first'"
	(cd clone && DEMO_PORT=$port DEMO_SMTPS_PORT=$sport \
	    DEMO_SUBMISSION_PORT=$subport exec $first > ../demo.out 2>&1) &
	echo $! > make.pid
	qp_wait_file_match demo.out "sched: ready" 240
	atf_check -o match:"$demo/bin/qinject demo@demo.test" cat demo.out
	atf_check -o match:"$demo/bin/qstat" -o match:"$demo/bin/qctl flush" \
	    cat demo.out
	# the queue tools reach the demo's queue and its sched
	atf_check -o inline:"flush: sent to sched\n" "$demo/bin/qctl" flush
	qp_wait_file_match demo.out 'ctl command="flush"' 30
	atf_check -o inline:"Mail queue is empty\n" "$demo/bin/qstat" -m
	printf 'Subject: demo\n\nhello from the test\n' > m
	atf_check "$demo/bin/qinject" demo@demo.test < m
	qp_wait_for 1 "$demo/home/demo/Maildir/new" 30
	atf_check -o match:"hello from the test" sh -c \
	    "cat '$demo'/home/demo/Maildir/new/*"

	# relayed mail goes to a closed port: no test reaches for the
	# network (remote reads its control files at each delivery)
	echo ":127.0.0.1:1" > "$demo/control/smtproutes"

	# and by SMTP on DEMO_PORT; 127.0.0.1 may not relay
	port_open() {
		/usr/bin/python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" \
		    2>/dev/null
	}
	qp_deadline_loop 30 port_open || atf_fail "no listener on $port"
	atf_check -o match:"250 2.0.0 Ok: queued as" swaks --server \
	    "127.0.0.1:$port" --from a@demo.test --to postmaster@demo.test \
	    --body "hello by smtp"
	qp_wait_for 2 "$demo/home/demo/Maildir/new" 30
	atf_check -s not-exit:0 -o match:"550 5.7.1" swaks --server \
	    "127.0.0.1:$port" --from a@demo.test --to someone@remote.test

	# TLS: STARTTLS on DEMO_PORT, implicit TLS on DEMO_SMTPS_PORT,
	# with the self-signed certificate made on the first run
	[ -s "$demo/control/tls.crt" ] || atf_fail "no demo certificate"
	atf_check -o match:"250 2.0.0 Ok: queued as" -o match:"TLS started" \
	    -e ignore swaks --server "127.0.0.1:$port" --tls \
	    --from a@demo.test --to demo@demo.test --body "by starttls"
	sport_open() {
		/usr/bin/python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$sport" \
		    2>/dev/null
	}
	qp_deadline_loop 30 sport_open || atf_fail "no listener on $sport"
	# 2465 and the submission port want AUTH: the account demo/demo
	atf_check -s not-exit:0 -o match:"530 5.7.0" -e ignore swaks \
	    --server "127.0.0.1:$sport" --tlsc --from demo@demo.test \
	    --to demo@demo.test
	atf_check -o match:"250 2.0.0 Ok: queued as" -e ignore swaks \
	    --server "127.0.0.1:$sport" --tlsc -au demo -ap demo \
	    --from demo@demo.test --to demo@demo.test --body "by implicit tls"
	subport_open() {
		/usr/bin/python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$subport" \
		    2>/dev/null
	}
	qp_deadline_loop 30 subport_open || atf_fail "no listener on $subport"
	atf_check -o match:"250 2.0.0 Ok: queued as" -e ignore swaks \
	    --server "127.0.0.1:$subport" --tls -au demo -ap demo \
	    --from demo@demo.test --to someone@remote.test --body "relayed"
	atf_check -s not-exit:0 -o match:"535 5.7.8" -e ignore swaks \
	    --server "127.0.0.1:$subport" --tls -au demo -ap wrong \
	    --from demo@demo.test --to demo@demo.test
	qp_wait_for 4 "$demo/home/demo/Maildir/new" 30
	# DKIM: mail from demo.test submitted with AUTH is signed with the
	# key made on the first run; its TXT record is beside the key
	txt=$demo/control/dkimkeys/demo.demo.test.txt
	atf_check -o match:'^demo\._domainkey\.demo\.test\. IN TXT "v=DKIM1; k=rsa; p=' \
	    cat "$txt"
	f=$(grep -l "^by implicit tls" "$demo"/home/demo/Maildir/new/*)
	atf_check -o match:"^DKIM-Signature: .*d=demo.test; *s=demo;" sh -c \
	    "sed -n '/^DKIM-Signature:/,/b=/p' '$f' | tr -d '\n\t'"
	atf_check -o inline:"pass\n" /usr/bin/python3 \
	    "$(qp_top)/tests/dkim/verify.py" -f "$txt" "$f"
	atf_check -o match:"with ESMTPS \(TLSv1\.[23]:" \
	    -o match:"with ESMTPSA \(TLSv1\.[23]:" sh -c \
	    "cat '$demo'/home/demo/Maildir/new/*"

	# the sendmail interface in bin/, bound to the demo instance
	atf_check -o match:"$demo/bin/sendmail -t -i" \
	    -o match:"$demo/bin/mailq" cat demo.out
	printf '%s\n' 'To: Demo <demo@demo.test>' 'Bcc: postmaster' \
	    'Subject: cron' '' 'by sendmail -t' > t
	atf_check "$demo/bin/sendmail" -t -i < t
	qp_wait_for 6 "$demo/home/demo/Maildir/new" 30
	atf_check -o match:"^by sendmail -t" sh -c \
	    "cat '$demo'/home/demo/Maildir/new/*"
	atf_check -o match:"someone@remote.test|Mail queue is empty" \
	    "$demo/bin/mailq"
	atf_check "$demo/bin/newaliases"

	# root (so postmaster and mailer-daemon too) reaches the demo
	# user: the demo's control/admin names it
	atf_check -o inline:"demo\n" cat "$demo/control/admin"
	printf 'Subject: to root\n\nfor the admin\n' > r
	before=$(qp_nfiles "$demo/home/demo/Maildir/new")
	atf_check "$demo/bin/qinject" root@demo.test < r
	qp_wait_for $((before + 1)) "$demo/home/demo/Maildir/new" 30
	atf_check -o match:"^Delivered-To: <demo@demo.test>" sh -c \
	    "cat \$(grep -l 'for the admin' '$demo'/home/demo/Maildir/new/*)"

	# the rest of the README's Quick start, word for word but for the
	# ports: every command after make demo but make check (the suite
	# this test is part of), in the clone, with the files it names
	printf 'Subject: readme\n\nby the README\n' > clone/message
	printf 'To: demo@demo.test\nSubject: readme\n\nby the README -t\n' \
	    > "clone/message-with-a-To:-line"
	before=$(qp_nfiles "$demo/home/demo/Maildir/new")
	readme_commands clone/README | sed 1d > readme.cmds
	mails=0 n=0
	while IFS= read -r c; do
		[ "$c" = "make check" ] && continue
		c=$(printf '%s\n' "$c" | sed -e "s/:2525 /:$port /" \
		    -e "s/:2587 /:$subport /" -e "s/:2465 /:$sport /")
		n=$((n + 1))
		(cd clone && sh -c "$c") < /dev/null > "readme.$n" 2>&1 ||
		    qp_fail "README command failed: $c" "readme.$n"
		case $c in
		swaks*)	grep -q "250 2.0.0 Ok: queued as" "readme.$n" ||
			    qp_fail "not queued: $c" "readme.$n"
			mails=$((mails + 1)) ;;
		*/qinject*|*/sendmail*)
			mails=$((mails + 1)) ;;
		esac
	done < readme.cmds
	# qinject, sendmail -t and four swaks, at the least
	[ "$mails" -ge 6 ] || atf_fail "only $mails mails in the README"
	qp_wait_for $((before + mails)) "$demo/home/demo/Maildir/new" 30
	atf_check -o match:"^by the README -t" -o match:"^by the README$" \
	    sh -c "cat '$demo'/home/demo/Maildir/new/*"

	# SIGTERM to make stops every process the demo started
	kill -TERM "$(cat make.pid)"
	qp_wait_gone "$demo" 30
}
fresh_clone_cleanup() {
	[ -f make.pid ] && kill -TERM "$(cat make.pid)" 2>/dev/null
	[ -d clone/demo ] && qp_kill_instance "$PWD/clone/demo"
	return 0
}

atf_init_test_cases() {
	atf_add_test_case fresh_clone
}
