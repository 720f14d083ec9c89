#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Aliases end to end (issue 7): nested aliases and :include: files
# expand and deliver byte-identical copies; a loop bounces once with a
# reason naming the alias; postmaster, mailer-daemon and root reach the
# user of control/admin; extensions reach their user with EXT; program,
# mbox and forward targets; as root, mailboxes are delivered under
# their owner's uid and alias targets under control/aliasuser's.

. "$(atf_get_srcdir)/../lib.sh"

# aliases TEXT - control/aliases is TEXT, compiled by qcdb.
aliases() {
	printf '%s\n' "$1" > "$QPOST_CONTROL/aliases"
	"$QPOST_LIBEXEC/qcdb" aliases >>"$QP_DIR/qcdb.log" 2>&1 ||
	    qp_fail "qcdb aliases failed" "$QP_DIR/qcdb.log"
}

# only_file DIR - the one file in DIR (fails if there are more).
only_file() {
	[ "$(qp_nfiles "$1")" -eq 1 ] ||
	    atf_fail "$1 holds $(qp_nfiles "$1") files, not 1"
	echo "$1"/*
}

atf_test_case nested_include cleanup
nested_include_head() {
	atf_set "descr" "nested aliases and an :include: file expand; each" \
	    "mailbox and a Maildir target get one byte-identical copy"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
nested_include_body() {
	qp_instance "$PWD/inst"
	mkdir "$QP_DIR/archive"
	printf '# the list\nbob\n%s/archive/Maildir/, alice\n' "$QP_DIR" \
	    > "$QP_DIR/list"
	chmod 644 "$QP_DIR/list"
	aliases "staff: team,
  :include:$QP_DIR/list
team: lead
lead: alice, \\bob"
	qp_start
	qp_msg n1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    Staff@example.test < m
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_for 1 "$QP_DIR/archive/Maildir/new" 30
	qp_wait_queue_empty 30
	for d in home/alice home/bob archive; do
		f=$(only_file "$QP_DIR/$d/Maildir/new")
		qp_mail_body_equal "$f" m || atf_fail "$d: the copy differs"
	done
	atf_check -o match:"^Delivered-To: <alice@example.test>" \
	    cat "$(only_file "$QP_DIR/home/alice/Maildir/new")"
	atf_check -o match:"^Delivered-To: <Staff@example.test>" \
	    cat "$(only_file "$QP_DIR/archive/Maildir/new")"
	qp_wait_log "to=<Staff@example.test> target=\"$QP_DIR/archive/Maildir/\" user=$(id -u) result=ok" 30
	qp_stop "$QP_DIR"
}
nested_include_cleanup() {
	qp_stop
}

atf_test_case loop cleanup
loop_head() {
	atf_set "descr" "an alias loop bounces once, the notice naming the" \
	    "alias where the loop closed; nothing is delivered"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
loop_body() {
	qp_instance "$PWD/inst"
	aliases "loopa: alice, loopb
loopb: loopc
loopc: loopa"
	qp_start
	qp_msg l1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    loopa@example.test < m
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	f=$(only_file "$QP_DIR/home/bob/Maildir/new")
	/usr/bin/python3 "$(atf_get_srcdir)/../queue/dsn_check.py" "$f" \
	    --action failed --rcpt loopa@example.test=5.4.6 \
	    --reason "loopa@example.test=5.4.6 <loopa@example.test>: alias loop at loopa" \
	    --test-id l1 > check.out 2>&1 || {
		cat check.out "$f" >&2
		atf_fail "$(head -n 1 check.out)"
	}
	[ "$(qp_nfiles "$QP_DIR/home/alice/Maildir/new")" -eq 0 ] ||
	    atf_fail "alice got a copy from a looping alias"
	atf_check -o inline:"1\n" sh -c "grep -c 'lspawn: .*alias loop at loopa' \
	    '$QP_DIR/log' | tr -d ' '"
	qp_stop "$QP_DIR"
}
loop_cleanup() {
	qp_stop
}

atf_test_case admin cleanup
admin_head() {
	atf_set "descr" "with no alias, postmaster, mailer-daemon and root" \
	    "reach the user of control/admin; without control/admin, mail" \
	    "to root waits (4.3.0) until it is set"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
admin_body() {
	qp_instance "$PWD/inst"
	echo 1 > "$QPOST_CONTROL/retrymin"
	echo 2 > "$QPOST_CONTROL/retrymax"
	aliases "# no postmaster here: the defaults apply"
	qp_start
	qp_msg a1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    root@example.test < m
	qp_wait_log "to=<root@example.test> user=- result=defer text=\"4.3.0 <root@example.test>: mail to root goes to the administrator: set control/admin\"" 30
	echo alice > "$QPOST_CONTROL/admin"
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	for r in postmaster MAILER-DAEMON; do
		qp_msg "a-$r" > m
		atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
		    "$r@example.test" < m
	done
	qp_wait_for 3 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_queue_empty 30
	atf_check -o inline:"3\n" sh -c "grep -l '^Delivered-To: <alice@example.test>' \
	    '$QP_DIR'/home/alice/Maildir/new/* | wc -l | tr -d ' '"
	[ "$(qp_nfiles "$QP_DIR/home/bob/Maildir/new")" -eq 0 ] ||
	    atf_fail "a bounce went back to bob"
	qp_stop "$QP_DIR"
}
admin_cleanup() {
	qp_stop
}

atf_test_case extension cleanup
extension_head() {
	atf_set "descr" "user+ext reaches user with EXT ext (the longest" \
	    "known base wins), also through an alias; an unknown base bounces"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
extension_body() {
	qp_instance "$PWD/inst"
	aliases "lists: alice+lists"
	qp_start
	qp_msg e1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    alice+Foo+bar@example.test lists+x@example.test < m
	qp_wait_for 2 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_log "to=<alice+Foo+bar@example.test> mailbox=alice ext=foo+bar user=$(id -u) result=ok" 30
	qp_wait_log "to=<lists+x@example.test> mailbox=alice ext=lists user=$(id -u) result=ok" 30
	atf_check -o match:"^Delivered-To: <alice\+Foo\+bar@example.test>" \
	    sh -c "cat '$QP_DIR'/home/alice/Maildir/new/*"
	atf_check -o match:"^Delivered-To: <alice\+lists@example.test>" \
	    sh -c "cat '$QP_DIR'/home/alice/Maildir/new/*"
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    carol+alice@example.test < m
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	atf_check -o match:"carol\+alice@example.test" \
	    -o match:"no mailbox here by that name" \
	    sh -c "cat '$QP_DIR'/home/bob/Maildir/new/*"
	qp_wait_queue_empty 30
	qp_stop "$QP_DIR"
}
extension_cleanup() {
	qp_stop
}

# Program, mbox and forward targets: local -t carries them out
# (send/local_program.c, local_mbox.c, local_forward.c).

atf_test_case program_target cleanup
program_target_head() {
	atf_set "descr" "a |command target of an alias runs with the" \
	    "message on its input"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
program_target_body() {
	qp_instance "$PWD/inst"
	aliases "prog: \"|cat > $QP_DIR/prog.out\""
	qp_start
	qp_msg p1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    prog@example.test < m
	qp_wait_log "to=<prog@example.test> target=\"|cat > $QP_DIR/prog.out\" user=$(id -u) result=ok" 30
	qp_mail_body_equal "$QP_DIR/prog.out" m || atf_fail "the program" \
	    "read something else"
	qp_stop "$QP_DIR"
}
program_target_cleanup() {
	qp_stop
}

atf_test_case mbox_target cleanup
mbox_target_head() {
	atf_set "descr" "a /path target of an alias appends to that mbox"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
mbox_target_body() {
	qp_instance "$PWD/inst"
	aliases "box: $QP_DIR/mbox"
	qp_start
	qp_msg b1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    box@example.test < m
	qp_wait_log "to=<box@example.test> target=\"$QP_DIR/mbox\" user=$(id -u) result=ok" 30
	atf_check -o match:"^From bob@example.test " \
	    -o match:"^X-Test-Id: b1" cat "$QP_DIR/mbox"
	qp_stop "$QP_DIR"
}
mbox_target_cleanup() {
	qp_stop
}

atf_test_case forward_target cleanup
forward_target_head() {
	atf_set "descr" "an address target of another domain forwards the" \
	    "message with the original sender"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
forward_target_body() {
	qp_instance "$PWD/inst"
	aliases "fwd: carol@remote.test"
	qp_start
	qp_msg f1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    fwd@example.test < m
	qp_wait_log "to=<fwd@example.test> target=\"&carol@remote.test\" user=$(id -u) result=ok" 30
	# queued again by sched with the original sender; the remote
	# sender then tries it (and defers: port 1)
	qp_wait_log "forward queued for id=[0-9a-f]* delivered-to=<fwd@example.test> to=<carol@remote.test>" 30
	qp_wait_log "start to=<carol@remote.test> via=remote" 30
	qp_stop "$QP_DIR"
}
forward_target_cleanup() {
	qp_stop
}

# ---- as root, in system mode -------------------------------------

# system_setup - a system-mode instance under a fresh /tmp folder, the
# accounts qpt7rcpt (a mailbox) and qpt7alias (control/aliasuser), the
# admin qpt7rcpt; started.
system_setup() {
	R=$(mktemp -d /tmp/qpt7.XXXXXX)
	echo "$R" > root_dir
	chmod 755 "$R"
	export QPOST_QUEUE=$R/queue QPOST_CONTROL=$R/control
	export QPOST_LIBEXEC=$R/libexec
	atf_check "$(qp_top)/control/qpost-setup" -a qpt7rcpt
	atf_check -o inline:"qpt7rcpt\n" cat "$QPOST_CONTROL/admin"
	mkdir "$R/libexec" "$R/home"
	cp "$(qp_top)"/build/libexec/* "$R/libexec/"
	chmod -R a+rX "$R/libexec"
	for u in qpt7rcpt qpt7alias; do
		useradd --no-create-home --home-dir "$R/home/$u" \
		    --shell /usr/sbin/nologin $u || atf_fail "useradd $u"
		echo $u >> users_made
		mkdir -p "$R/home/$u"
		chown $u: "$R/home/$u"
	done
	mkdir "$R/arch"
	chown qpt7alias: "$R/arch"
	echo example.test > "$QPOST_CONTROL/me"
	echo example.test > "$QPOST_CONTROL/locals"
	echo ":127.0.0.1:1" > "$QPOST_CONTROL/smtproutes"
	echo qpt7alias > "$QPOST_CONTROL/aliasuser"
	printf 'arch: %s/arch/Maildir/\nprog: "|id -u > %s/arch/prog.uid"\n' \
	    "$R" "$R" > "$QPOST_CONTROL/aliases"
	atf_check "$QPOST_LIBEXEC/qcdb" aliases
	"$QPOST_LIBEXEC/qpost-start" 2> "$R/log" &
	echo $! > "$R/pid"
	qp_wait_file_match "$R/log" "sched: ready" 30
	qp_msg r1 > "$R/m"
	chmod 644 "$R/m"
}

system_stop() {
	[ -f root_dir ] || return 0
	R=$(cat root_dir)
	if [ -f "$R/pid" ] && qp_ours "$(cat "$R/pid")"; then
		kill "$(cat "$R/pid")" 2>/dev/null
		qp_wait_gone "$R" 10
	fi
	rm -rf "$R"
	[ -f users_made ] && for u in $(cat users_made); do
		userdel "$u" 2>/dev/null
	done
	return 0
}

atf_test_case as_root cleanup
as_root_head() {
	atf_set "descr" "system mode: a mailbox is written by its owner's uid," \
	    "an alias's Maildir target by control/aliasuser's, mail to" \
	    "root reaches control/admin's user, a |command target runs" \
	    "as control/aliasuser, and nothing runs as root"
	atf_set "require.user" "root"
	atf_set "timeout" "90"
}
as_root_body() {
	system_setup
	atf_check "$QPOST_LIBEXEC/qinject" qpt7rcpt@example.test \
	    arch@example.test root@example.test < "$R/m"
	qp_wait_for 2 "$R/home/qpt7rcpt/Maildir/new" 30
	qp_wait_for 1 "$R/arch/Maildir/new" 30
	atf_check -o inline:"qpt7rcpt\nqpt7rcpt\n" sh -c \
	    "stat -c %U '$R'/home/qpt7rcpt/Maildir/new/*"
	atf_check -o inline:"qpt7alias\n" sh -c \
	    "stat -c %U '$R'/arch/Maildir/new/*"
	# a |command target (one case with the above: the two would make
	# the same accounts at once under KYUA_PARALLELISM)
	atf_check "$QPOST_LIBEXEC/qinject" prog@example.test < "$R/m"
	qp_wait_file_match "$R/log" "to=<prog@example.test> target=.* result=" 30
	atf_check -o inline:"$(id -u qpt7alias)\n" cat "$R/arch/prog.uid"
	atf_check -o match:"to=<arch@example.test> target=\"$R/arch/Maildir/\" user=$(id -u qpt7alias) result=ok" \
	    -o not-match:"user=0 " cat "$R/log"
}
as_root_cleanup() {
	system_stop
}

atf_init_test_cases() {
	atf_add_test_case nested_include
	atf_add_test_case loop
	atf_add_test_case admin
	atf_add_test_case extension
	atf_add_test_case program_target
	atf_add_test_case mbox_target
	atf_add_test_case forward_target
	atf_add_test_case as_root
}
