#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# The sendmail interface as cron, mail(1) and scripts use it: -t -i
# with To/Cc/Bcc, -bs (SMTP on standard input), mailq, newaliases, -f
# and -F, the lone dot, the flags programs pass blindly, the sysexits
# codes, and make install into a staging folder.  Every message is
# checked byte for byte: what arrives is what was sent, apart from the
# header lines qpost adds (and Bcc:, which sendmail removes).

. "$(atf_get_srcdir)/../lib.sh"

# sm_setup - an instance with a third user, carol, and its sendmail.
sm_setup() {
	qp_instance "$PWD/inst"
	mkdir -p "$QP_DIR/home/carol"
	echo "carol:$(id -u):$(id -g):$QP_DIR/home/carol" \
	    >> "$QPOST_CONTROL/users"
	"$QPOST_LIBEXEC/qcdb" users > qcdb.out 2>&1 ||
	    qp_fail "qcdb users failed" qcdb.out
	SM=$QPOST_LIBEXEC/sendmail
	ME=$(id -un)
}

# one_file DIR - the one file in DIR (fails if there are more).
one_file() {
	[ "$(qp_nfiles "$1")" -eq 1 ] ||
	    atf_fail "$1 holds $(qp_nfiles "$1") files, not 1"
	echo "$1"/*
}

atf_test_case cron_t cleanup
cron_t_head() {
	atf_set "descr" "sendmail -t -i as cron runs it: To, Cc and Bcc" \
	    "recipients each get the message, Bcc: removed, the rest" \
	    "byte-identical"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
cron_t_body() {
	sm_setup
	qp_start
	cat > m <<'EOF2'
From: Cron Daemon <root@example.test>
To: Alice <alice@example.test>
Cc: "Bob, the builder" <bob@example.test>,
	alice@example.test (twice: one copy)
Bcc: carol
Subject: Cron <root@host> run-parts /etc/cron.daily
Date: Sat, 28 Nov 2026 06:25:01 +0000
Message-ID: <cron.1@example.test>

/etc/cron.daily/logrotate:
.
..two dots stay two dots
From the body, untouched
EOF2
	grep -v '^Bcc:' m > want
	atf_check "$SM" -t -i < m
	for u in alice bob carol; do
		qp_wait_for 1 "$QP_DIR/home/$u/Maildir/new" 30
	done
	qp_wait_queue_empty 30
	for u in alice bob carol; do
		f=$(one_file "$QP_DIR/home/$u/Maildir/new")
		qp_mail_body_equal "$f" want ||
		    atf_fail "$u's copy differs from what was sent"
		! grep -qi '^Bcc:' "$f" || atf_fail "Bcc: reached $u"
	done
	atf_check -o match:"^Delivered-To: <carol@example.test>" \
	    cat "$QP_DIR"/home/carol/Maildir/new/*
}
cron_t_cleanup() {
	qp_stop
}

atf_test_case lone_dot cleanup
lone_dot_head() {
	atf_set "descr" "a lone '.' ends the message without -i, and is" \
	    "kept with -i and -oi"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
lone_dot_body() {
	sm_setup
	qp_start
	printf 'Subject: dot\n\nbefore\n.\nafter\n' > m
	atf_check "$SM" alice@example.test < m
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	f=$(one_file "$QP_DIR/home/alice/Maildir/new")
	atf_check -o inline:"before\n" sh -c "sed '1,/^\$/d' '$f'"
	atf_check "$SM" -i bob@example.test < m
	atf_check "$SM" -oi carol@example.test < m
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_for 1 "$QP_DIR/home/carol/Maildir/new" 30
	for u in bob carol; do
		f=$(one_file "$QP_DIR/home/$u/Maildir/new")
		atf_check -o inline:"before\n.\nafter\n" \
		    sh -c "sed '1,/^\$/d' '$f'"
	done
	# CRLF input: stored with LF, and ".\r\n" is a lone dot too
	printf 'Subject: crlf\r\n\r\nline\r\n.\r\nnot this\r\n' |
	    atf_check "$SM" alice@example.test
	qp_wait_for 2 "$QP_DIR/home/alice/Maildir/new" 30
	atf_check -o inline:"line\n" sh -c \
	    "sed '1,/^\$/d' \$(grep -l 'Subject: crlf' '$QP_DIR'/home/alice/Maildir/new/*)"
}
lone_dot_cleanup() {
	qp_stop
}

atf_test_case big_and_headerless cleanup
big_and_headerless_head() {
	atf_set "descr" "a 3 MB message with a 300 kB line and no final" \
	    "newline arrives byte-identical; a message with no header gets" \
	    "the added fields, then a blank line, then its text"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
big_and_headerless_body() {
	sm_setup
	qp_start
	/usr/bin/python3 -c '
import sys
out = sys.stdout.buffer
out.write(b"From: a@example.test\nDate: x\nMessage-ID: <big@x>\n"
    b"Subject: big\n\n")
for i in range(30000):
    out.write(b"line %d with some text to make it longer ....\n" % i)
out.write(b"x" * 300000 + b"\n")
out.write(b"no final newline")' > m
	atf_check "$SM" -i alice@example.test < m
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 60
	qp_mail_body_equal "$(one_file "$QP_DIR/home/alice/Maildir/new")" m ||
	    atf_fail "the big message was changed"
	printf 'just text, no header\nsecond line\n' > t
	atf_check "$SM" bob@example.test < t
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	f=$(one_file "$QP_DIR/home/bob/Maildir/new")
	atf_check -o file:t sh -c "sed '1,/^\$/d' '$f'"
	atf_check -o match:"^From: .*<$ME@example.test>" cat "$f"
}
big_and_headerless_cleanup() {
	qp_stop
}

atf_test_case sender_name cleanup
sender_name_head() {
	atf_set "descr" "-f sets the envelope sender, -F the full name of" \
	    "the From: added when there is none; Date: and Message-ID:" \
	    "are added once; without -f the sender is login@me"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
sender_name_body() {
	sm_setup
	qp_start
	printf 'Subject: no From\n\nbody\n' > m
	atf_check "$SM" -f bob@example.test -F 'Joe Q. Public' \
	    alice@example.test < m
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	f=$(one_file "$QP_DIR/home/alice/Maildir/new")
	atf_check -o match:"^Return-Path: <bob@example.test>" \
	    -o match:'^From: "Joe Q. Public" <bob@example.test>$' \
	    -o match:"^Message-ID: <[0-9]+\.[0-9a-f]{16}@example.test>" \
	    -o match:"^Date: " cat "$f"
	atf_check -o inline:"1\n1\n1\n" sh -c "grep -c '^Date:' '$f';
	    grep -c '^Message-ID:' '$f'; grep -c '^From:' '$f'"
	# a message with its own From, Date and Message-ID keeps them,
	# and the default sender is login@me
	qp_msg s1 > m2
	atf_check "$SM" bob@example.test < m2
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	f=$(one_file "$QP_DIR/home/bob/Maildir/new")
	qp_mail_body_equal "$f" m2 || atf_fail "the message was changed"
	atf_check -o match:"^Return-Path: <$ME@example.test>" cat "$f"
	# -r is -f; a full name with a newline (a header injection) is
	# refused
	atf_check -s exit:64 -e match:"control byte" "$SM" -F 'x
Bcc: carol@example.test' alice@example.test < m
}
sender_name_cleanup() {
	qp_stop
}

atf_test_case origin cleanup
origin_head() {
	atf_set "descr" "control/origin, not me, completes addresses with" \
	    "no domain: the default sender, the From: added, recipients" \
	    "(by sendmail and by qinject); Message-ID keeps me; a broken" \
	    "origin is a temporary failure"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
origin_body() {
	sm_setup
	# this host is mail.example.test; its mail is example.test's
	echo mail.example.test > "$QPOST_CONTROL/me"
	echo example.test > "$QPOST_CONTROL/origin"
	qp_start
	printf 'Subject: from cron\n\nbody\n' > m
	atf_check "$SM" carol < m
	qp_wait_for 1 "$QP_DIR/home/carol/Maildir/new" 30
	f=$(one_file "$QP_DIR/home/carol/Maildir/new")
	atf_check -o match:"^Return-Path: <$ME@example.test>\$" \
	    -o match:"^From: .*<$ME@example.test>\$" \
	    -o match:"^Delivered-To: <carol@example.test>" \
	    -o match:"^Message-ID: <[0-9]+\.[0-9a-f]{16}@mail.example.test>" \
	    cat "$f"
	qp_msg o2 > m2
	atf_check "$QPOST_LIBEXEC/qinject" bob < m2
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	atf_check -o match:"^Delivered-To: <bob@example.test>" \
	    -o match:"^Return-Path: <$ME@example.test>" \
	    cat "$QP_DIR"/home/bob/Maildir/new/*
	echo 'not a domain!' > "$QPOST_CONTROL/origin"
	atf_check -s exit:75 -e match:"control/origin is broken" "$SM" carol < m
	atf_check -s exit:55 -e match:'control file origin: "not a domain!" is not a domain' \
	    "$QPOST_LIBEXEC/qinject" carol < m
}
origin_cleanup() {
	qp_stop
}

atf_test_case smtp_bs cleanup
smtp_bs_head() {
	atf_set "descr" "sendmail -bs speaks SMTP on standard input: the" \
	    "message is queued as the invoking user's, relaying allowed"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
smtp_bs_body() {
	sm_setup
	qp_start
	qp_msg b1 > m
	/usr/bin/python3 - "$SM" m > dialog.out 2> dialog.err <<'EOF2' ||
import subprocess, sys
p = subprocess.Popen([sys.argv[1], "-bs"], stdin=subprocess.PIPE,
    stdout=subprocess.PIPE)
body = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n"
    for l in open(sys.argv[2], "rb").read().split(b"\n")[:-1])
def reply():
    lines = []
    while True:
        l = p.stdout.readline()
        if not l:
            sys.exit("EOF from sendmail -bs")
        lines.append(l.decode().rstrip())
        if l[3:4] != b"-":
            print(lines[-1])
            return lines[-1][:3]
def say(cmd, want):
    p.stdin.write(cmd + b"\r\n")
    p.stdin.flush()
    got = reply()
    if got != want:
        sys.exit("%r: got %s, want %s" % (cmd, got, want))
assert reply() == "220"
say(b"EHLO localhost", "250")
say(b"MAIL FROM:<alice@example.test>", "250")
say(b"RCPT TO:<bob@example.test>", "250")
say(b"RCPT TO:<someone@remote.test>", "250")
say(b"DATA", "354")
p.stdin.write(body)
say(b".", "250")
say(b"QUIT", "221")
p.stdin.close()
sys.exit(p.wait())
EOF2
	    qp_fail "the SMTP dialogue failed: $(cat dialog.err)" dialog.out
	atf_check -o match:"queued as [0-9a-f]{16}" cat dialog.out
	qp_sanitizer_check dialog.err	# smtpd's and qinject's stderr
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	f=$(one_file "$QP_DIR/home/bob/Maildir/new")
	qp_mail_body_equal "$f" m || atf_fail "the message was changed"
	atf_check -o match:"^Return-Path: <alice@example.test>" \
	    -o match:"^Received: from localhost \(uid-$(id -u) \[local\]\)" \
	    cat "$f"
	# the remote copy waits in the queue: mailq shows it
	qp_wait_log "to=<someone@remote.test> result=defer" 30
	# and once sched has committed it (a moment after that line)
	qp_wait_for 1 "$QPOST_QUEUE/env" 30
	ln -s "$SM" mailq
	atf_check -o match:"someone@remote.test" -o match:"alice@example.test" \
	    ./mailq
	atf_check -o match:"someone@remote.test" "$SM" -bp
	atf_check -o match:"sent to sched" "$SM" -q
	atf_check -o match:"sent to sched" "$SM" -q30m
}
smtp_bs_cleanup() {
	qp_stop
}

atf_test_case smtpd_local_refuses_network cleanup
smtpd_local_refuses_network_head() {
	atf_set "descr" "smtpd -l (sendmail -bs's mode) refuses a network" \
	    "connection: a tcpserver line with -l opens no relay"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "tcpserver"
	atf_set "timeout" "60"
}
smtpd_local_refuses_network_body() {
	sm_setup
	cat > lsmtpd <<EOF2
#!/bin/sh
exec "$QPOST_LIBEXEC/smtpd" -l
EOF2
	chmod 755 lsmtpd
	QP_SMTPD=$PWD/lsmtpd qp_smtpd_start
	/usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
print(s.recv(1000).decode() or "closed")' "$QP_SMTP_PORT" > got
	atf_check -o match:"^closed" cat got
	qp_wait_file_match "$QP_DIR/smtpd.log" "refusing a network connection" 10
}
smtpd_local_refuses_network_cleanup() {
	qp_stop
}

atf_test_case newaliases cleanup
newaliases_head() {
	atf_set "descr" "newaliases (and sendmail -bi) compile" \
	    "control/aliases; the new alias delivers"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
newaliases_body() {
	sm_setup
	qp_start
	echo "team: bob" >> "$QPOST_CONTROL/aliases"
	ln -s "$SM" newaliases
	atf_check ./newaliases
	qp_msg n1 > m
	atf_check "$SM" team@example.test < m
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_mail_body_equal "$(one_file "$QP_DIR/home/bob/Maildir/new")" m ||
	    atf_fail "the message was changed"
	echo "crew: carol" >> "$QPOST_CONTROL/aliases"
	atf_check "$SM" -bi
	atf_check "$SM" crew@example.test < m
	qp_wait_for 1 "$QP_DIR/home/carol/Maildir/new" 30
	echo "broken line without colon" >> "$QPOST_CONTROL/aliases"
	atf_check -s exit:69 -e match:"aliases" "$SM" -bi
}
newaliases_cleanup() {
	qp_stop
}

atf_test_case flags cleanup
flags_head() {
	atf_set "descr" "the flags programs pass blindly are accepted;" \
	    "unknown flags exit 64, -bv 69, bad headers 65, no recipients 64"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
flags_body() {
	sm_setup
	qp_start
	qp_msg f1 > m
	atf_check "$SM" -oem -oep -odi -odb -odq -om -o7 -v -N never \
	    -B 8BITMIME -U -V envid -R hdrs -L label -X /dev/null \
	    -C /dev/null -Am -G -n -bm -- alice@example.test < m
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	qp_mail_body_equal "$(one_file "$QP_DIR/home/alice/Maildir/new")" m ||
	    atf_fail "the message was changed"
	atf_check -s exit:64 -e match:"usage: sendmail" "$SM" -Z alice < m
	atf_check -s exit:64 -e match:"-oZ: unknown option" "$SM" -oZ \
	    alice < m
	atf_check -s exit:64 -e match:"-bz: unknown mode" "$SM" -bz
	atf_check -s exit:69 -e match:"-bv" "$SM" -bv alice
	printf 'Subject: x\n\nbody\n' > m.none
	atf_check -s exit:64 -e match:"no recipients" "$SM" -t < m.none
	printf 'To: John Doe\n\nbody\n' > m.bad
	atf_check -s exit:65 -e match:"To: field: words without an" \
	    "$SM" -t < m.bad
	printf 'To: "unclosed <a@b>\n\nbody\n' > m.bad
	atf_check -s exit:65 -e match:"To: field" "$SM" -t < m.bad
	atf_check -s exit:67 -e match:"nothing sent" "$SM" 'a b c' < m
	# options after the first recipient are not options, and a
	# recipient that looks like one is refused
	atf_check -s exit:64 -e match:"may not start with '-'" "$SM" \
	    alice@example.test -oi < m
	atf_check -s exit:64 -e match:"may not start with '-'" "$SM" \
	    -- -X/tmp/log < m
	atf_check -o match:"usage: sendmail" "$SM" -h
	# nothing of the refused ones was queued
	atf_check -o inline:"0\n" sh -c "ls '$QPOST_QUEUE/drop' | wc -l"
}
flags_cleanup() {
	qp_stop
}

atf_test_case dsn
dsn_head() {
	atf_set "descr" "-N, -R and -V reach the drop file as each" \
	    "recipient's NOTIFY (D), RET (Y) and ENVID as xtext (J), -t's" \
	    "recipients too; none given, none there; wrong ones exit 64 with" \
	    "the reason and queue nothing"
	atf_set "require.user" "unprivileged"
}
dsn_body() {
	# no sched: the drop files stay in drop/ to be read
	sm_setup
	printf 'Subject: dsn\nTo: bob@example.test\n\nbody\n' > m
	# one_env - the one drop file's envelope, into env; drop/ emptied
	one_env() {
		set -- "$QPOST_QUEUE"/drop/*
		[ $# -eq 1 ] && [ -f "$1" ] || atf_fail "not one drop file"
		qp_drop_env "$1" > env
		rm -f "$1"
	}
	atf_check "$SM" -N Success,failure -R hdrs -V 'env 1+' \
	    alice@example.test carol < m
	one_env
	atf_check -o inline:"F $ME@example.test\nT alice@example.test\n\
D SF\nT carol@example.test\nD SF\nY H\nJ env+201+2B\nZ \n" cat env
	atf_check "$SM" -t -N never -R full -i < m
	one_env
	atf_check -o inline:"F $ME@example.test\nT bob@example.test\nD N\n\
Y F\nZ \n" cat env
	atf_check "$SM" -V x alice@example.test < m
	one_env
	atf_check -o inline:"F $ME@example.test\nT alice@example.test\n\
J x\nZ \n" cat env
	atf_check "$SM" alice@example.test < m
	one_env
	atf_check -o inline:"F $ME@example.test\nT alice@example.test\n\
Z \n" cat env
	atf_check -s exit:64 -e match:"-N takes NEVER, or SUCCESS" \
	    -e match:"usage: sendmail" "$SM" -N never,delay alice < m
	atf_check -s exit:64 -e match:"-R takes FULL or HDRS" "$SM" -R all \
	    alice < m
	atf_check -s exit:64 -e match:"-V: the envelope id is longer" \
	    "$SM" -V "$(printf '%101s' '' | tr ' ' x)" alice < m
	atf_check -o inline:"" ls "$QPOST_QUEUE/drop"
}

atf_test_case mailx cleanup
mailx_head() {
	atf_set "descr" "mail(1) (bsd-mailx) sends through our sendmail," \
	    "which it runs as sendmail -i -t"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "bsd-mailx"
	atf_set "timeout" "60"
}
mailx_body() {
	sm_setup
	qp_start
	# a log of mailx's arguments, then our sendmail
	cat > sm <<EOF2
#!/bin/sh
printf '%s\n' "\$*" >> "$PWD/argv"
exec "$SM" "\$@"
EOF2
	chmod 755 sm
	echo "set sendmail=$PWD/sm" > mailrc
	printf 'hello from mail(1)\n.\nstill here\n' > body
	MAILRC=$PWD/mailrc HOME=$PWD atf_check bsd-mailx -s "mailx test" \
	    bob@example.test < body
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	f=$(one_file "$QP_DIR/home/bob/Maildir/new")
	atf_check -o match:"^Subject: mailx test" \
	    -o match:"^To: bob@example.test" \
	    -o match:"^From: .*<$ME@example.test>" cat "$f"
	atf_check -o file:body sh -c "sed '1,/^\$/d' '$f'"
	atf_check -o match:"-i" cat argv
}
mailx_cleanup() {
	qp_stop
}

atf_test_case install
install_head() {
	atf_set "descr" "make install DESTDIR=... PREFIX=... installs" \
	    "sendmail with its mailq and newaliases links, unprivileged"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "make"
	atf_set "timeout" "120"
}
install_body() {
	top=$(qp_top)
	# the tree is the build's, not ours to write: it must be built
	make -q -C "$top" progs >/dev/null 2>&1 ||
	    atf_skip "the tree is not built (run make first)"
	atf_check -o ignore -e ignore make -C "$top" install \
	    DESTDIR="$PWD/stage" PREFIX=/usr
	for f in usr/sbin/sendmail usr/sbin/mailq usr/sbin/newaliases \
	    usr/bin/mailq usr/bin/qinject usr/libexec/qpost/sendmail \
	    usr/libexec/qpost/smtpd usr/share/man/man8/sendmail.8 \
	    usr/share/man/man8/mailq.8 usr/share/man/man8/newaliases.8; do
		[ -f "stage/$f" ] || atf_fail "make install did not install $f"
	done
	[ -x stage/usr/sbin/sendmail ] || atf_fail "sendmail is not executable"
	# the links are sendmail, which answers to its name
	atf_check -o match:"usage: sendmail" stage/usr/sbin/mailq -h
	atf_check -o match:"usage: sendmail" stage/usr/sbin/newaliases -h
}

atf_init_test_cases() {
	atf_add_test_case cron_t
	atf_add_test_case lone_dot
	atf_add_test_case big_and_headerless
	atf_add_test_case sender_name
	atf_add_test_case origin
	atf_add_test_case smtp_bs
	atf_add_test_case smtpd_local_refuses_network
	atf_add_test_case newaliases
	atf_add_test_case flags
	atf_add_test_case dsn
	atf_add_test_case mailx
	atf_add_test_case install
}
