#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# make install into a temporary root, qpost-setup on it, and the
# service tree it writes run under s6-svscan and under daemontools'
# svscan: mail by SMTP and by qinject is delivered, restarting each
# service loses none, stopping the tree leaves no process behind, and
# a second qpost-setup changes nothing.  As root (system mode, real
# accounts); the tree must already be built: the test never writes
# the source tree.  The temporary root is under /tmp, mode 0755,
# since qpqueue and the recipient must reach the queue and the home
# (a kyua work directory is private to root).

. "$(atf_get_srcdir)/../lib.sh"

# install_tree - make install into a fresh temporary root $R
install_tree() {
	top=$(qp_top)
	make -C "$top" -q progs >/dev/null 2>&1 ||
	    atf_skip "the tree is not built, or older than its sources:" \
	    "run make first (this test never builds in the source tree)"
	R=$(mktemp -d /tmp/qpost-install.XXXXXX)
	echo "$R" > root_dir
	chmod 755 "$R"
	make -C "$top" -s install DESTDIR="$R" PREFIX=/usr > make.out 2>&1 ||
	    qp_fail "make install failed" make.out
	L=$R/usr/libexec/qpost
}

# add_user NAME - a throwaway recipient with its home under $R
add_user() {
	U=$1
	echo "$U" > user_name
	userdel "$U" 2>/dev/null || true
	useradd --system --no-create-home --home-dir "$R/home/$U" \
	    --shell /usr/sbin/nologin "$U" || atf_fail "useradd $U failed"
	mkdir -p "$R/home/$U"
	chown "$U" "$R/home/$U"
	MD=$R/home/$U/Maildir/new
}

# setup_services KIND - qpost-setup for KIND, listeners on free
# loopback ports
setup_services() {
	atf_check "$R/usr/sbin/qpost-setup" -D "$R" -s "$R/service" -t "$1" \
	    -a "$U"
	ME=$(cat "$R/etc/qpost/me")
	for s in smtpd submission smtps; do
		echo 127.0.0.1 > "$R/service/$s/ip"
		qp_free_port > "$R/service/$s/port"
	done
	SENT=
}

# session_pids SID - the processes in session SID
session_pids() {
	for st in /proc/[0-9]*/stat; do
		read -r line < "$st" 2>/dev/null || continue
		set -- ${line##*) }
		[ "$4" = "$SID" ] && { p=${st#/proc/}; echo "${p%/stat}"; }
	done
	return 0
}

no_session_left() {
	[ -z "$(session_pids)" ]
}

# start_scan PROG - PROG (s6-svscan, svscan) on $R/service in a new
# session, whose id is its pid: every process of the tree is in it
start_scan() {
	setsid "$1" "$R/service" < /dev/null > "$R/scan.log" 2>&1 &
	SID=$!
	echo "$SID" > scan_pid
	sleep 0.1
	read -r line < "/proc/$SID/stat"
	set -- ${line##*) }
	[ "$4" = "$SID" ] || atf_fail "the scanner is not a session leader"
}

port_of() {
	cat "$R/service/$1/port"
}

listening() {
	qp_deadline_loop 30 qp_port_open 127.0.0.1 "$(port_of "$1")" ||
	    qp_fail "$1 not listening on port $(port_of "$1")" \
	    "$R/service/$1/log/main/current"
}

# send_smtp TOKEN [LOCALPART] - one message through the smtpd service
send_smtp() {
	swaks --server 127.0.0.1 --port "$(port_of smtpd)" \
	    --from sender@example.org --to "${2:-$U}@$ME" \
	    --header "Subject: $1" --body "token=$1" > "swaks.$1" 2>&1 ||
	    qp_fail "swaks failed for $1" "swaks.$1"
	SENT="$SENT $1"
}

# send_inject TOKEN - one message through qinject, as the recipient
send_inject() {
	printf 'Subject: %s\n\ntoken=%s\n' "$1" "$1" > "msg.$1"
	chmod 644 "msg.$1"
	runuser -u "$U" -- env QPOST_QUEUE="$R/var/spool/qpost" \
	    QPOST_CONTROL="$R/etc/qpost" QPOST_LIBEXEC="$L" \
	    "$R/usr/bin/qinject" "$U@$ME" < "msg.$1" ||
	    atf_fail "qinject failed for $1"
	SENT="$SENT $1"
}

# each_once - every token sent is in exactly one delivered message
each_once() {
	for t in $SENT; do
		n=$(grep -l -x "token=$t" "$MD"/* 2>/dev/null | wc -l)
		[ "$n" -eq 1 ] || return 1
	done
	return 0
}

check_delivered() {
	qp_deadline_loop 60 each_once || {
		for t in $SENT; do
			echo "$t: $(grep -l -x "token=$t" "$MD"/* 2>/dev/null |
			    wc -l)" >&2
		done
		qp_fail "not every message delivered exactly once" \
		    "$R/service/qpost/log/main/current"
	}
}

# no_sanitizer_report - a SANITIZE=1 build reported nothing in any log
no_sanitizer_report() {
	if grep -l -e 'AddressSanitizer' -e 'runtime error' -e 'LeakSanitizer' \
	    "$R"/service/*/log/main/current >&2; then
		atf_fail "a sanitizer report in the logs above"
	fi
}

# tree_pids ROOT - the processes running a program from under ROOT or
# working in it: the services the supervisor started, which
# s6-supervise puts in sessions of their own, and so outlive the
# scanner's session when a failed case never stopped them
tree_pids() {
	for d in /proc/[0-9]*; do
		case "$(readlink "$d/exe" 2>/dev/null) $(readlink "$d/cwd" \
		    2>/dev/null)" in
		*"$1"/*) echo "${d#/proc/}" ;;
		esac
	done
}

# stop_all - kill what is left of the session and of the tree, remove
# user and root
stop_all() {
	[ -f scan_pid ] && SID=$(cat scan_pid) && {
		for p in $(session_pids); do kill -9 "$p" 2>/dev/null; done
	}
	[ -f root_dir ] && for p in $(tree_pids "$(cat root_dir)"); do
		kill -9 "$p" 2>/dev/null
	done
	[ -f user_name ] && userdel "$(cat user_name)" 2>/dev/null
	[ -f root_dir ] && rm -rf "$(cat root_dir)"
	return 0
}

atf_test_case s6 cleanup
s6_head() {
	atf_set "descr" "installed and set up, the tree runs under s6-svscan:" \
	    "SMTP and qinject deliver, s6-svc -r of each service loses no" \
	    "mail, s6-svscanctl -t leaves no process"
	atf_set "require.user" "root"
	atf_set "require.progs" "s6-svscan s6-svc tcpserver swaks"
	atf_set "timeout" "240"
}
s6_body() {
	qp_plain_only "it tests installation and supervision, not the programs"
	install_tree
	add_user qpt8s6
	setup_services s6
	start_scan s6-svscan
	# s6-svok says yes once the control FIFO is there, a moment
	# before s6-supervise writes its status file, which s6-svwait reads
	qp_deadline_loop 30 s6-svstat "$R/service/qpost" >/dev/null 2>&1 ||
	    qp_fail "no s6-supervise for qpost" "$R/scan.log"
	# readiness through notification-fd: sched says when it serves
	s6-svwait -U -t 30000 "$R/service/qpost" ||
	    qp_fail "qpost never ready" "$R/service/qpost/log/main/current"
	for s in smtpd submission smtps; do listening "$s"; done
	send_smtp first-smtp
	send_inject first-inject
	# qpost-setup -a: postmaster's mail reaches the administrator
	send_smtp to-postmaster postmaster
	check_delivered
	for s in qpost qpauth smtpd submission smtps; do
		send_smtp "before-$s"
		send_inject "inject-before-$s"
		if [ "$s" = qpost ]; then
			s6-svc -wR -T 30000 -r "$R/service/$s" ||
			    atf_fail "qpost not ready again"
		else
			s6-svc -wr -T 30000 -r "$R/service/$s" ||
			    atf_fail "$s not restarted"
		fi
		case $s in
		smtpd|submission|smtps) listening "$s" ;;
		esac
		send_smtp "after-$s"
		send_inject "inject-after-$s"
	done
	check_delivered
	atf_check -o match:'sched: ready' cat "$R/service/qpost/log/main/current"
	atf_check -o match:'@4000' cat "$R/service/smtpd/log/main/current"

	s6-svscanctl -t "$R/service"
	qp_deadline_loop 30 no_session_left || {
		ps -o pid,args -s "$SID" >&2
		atf_fail "processes left after s6-svscanctl -t"
	}
	no_sanitizer_report
}
s6_cleanup() {
	stop_all
}

atf_test_case daemontools cleanup
daemontools_head() {
	atf_set "descr" "the tree runs under daemontools' svscan: SMTP" \
	    "(smtpd -L, run.tcp's mode listen) and qinject deliver, svc -t" \
	    "of the queue group loses no mail, svc -dx leaves no process"
	atf_set "require.user" "root"
	atf_set "require.progs" "svscan svc tcpserver swaks"
	atf_set "timeout" "240"
}
daemontools_body() {
	qp_plain_only "it tests installation and supervision, not the programs"
	install_tree
	add_user qpt8dt
	setup_services daemontools
	# the smtpd service as its own listener (run.tcp's mode file),
	# at most 3 sessions and 600 connections a minute a client;
	# submission under tcpserver, which has no such limit, is told the
	# same and says it ignores it
	echo listen > "$R/service/smtpd/mode"
	echo 3 > "$R/service/smtpd/concurrencyperclient"
	echo 600 > "$R/service/smtpd/rateperclient"
	echo 3 > "$R/service/submission/concurrencyperclient"
	start_scan svscan
	log=$R/service/qpost/log/main/current
	qp_deadline_loop 30 grep -q 'sched: ready' "$log" 2>/dev/null ||
	    qp_fail "qpost never ready" "$log"
	listening smtpd
	qp_deadline_loop 30 grep -q "listen address=.* perclient=3 rate=600\$" \
	    "$R/service/smtpd/log/main/current" || qp_fail "run.tcp did not" \
	    "pass concurrencyperclient and rateperclient on" \
	    "$R/service/smtpd/log/main/current"
	listening submission
	qp_deadline_loop 30 grep -q "concurrencyperclient is for mode listen" \
	    "$R/service/submission/log/main/current" || qp_fail "run.tcp" \
	    "did not say it ignores concurrencyperclient under tcpserver" \
	    "$R/service/submission/log/main/current"
	send_smtp first-smtp
	# smtpd -L, bound and dropped to qpsmtpd, serves that port
	listener=$(session_pids | while read -r p; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = smtpd-listen ] &&
		    echo "$p"; done)
	[ -n "$listener" ] || atf_fail "no smtpd-listen in the tree"
	atf_check -o inline:"qpsmtpd\n" ps -o user= -p "$listener"
	send_inject first-inject
	send_smtp before-restart
	svc -t "$R/service/qpost"
	ready_twice() {
		[ "$(grep -c 'sched: ready' "$log")" -ge 2 ]
	}
	qp_deadline_loop 30 ready_twice || qp_fail "qpost not restarted" "$log"
	send_smtp after-restart
	send_inject inject-after-restart
	check_delivered
	# the scanner first, so it starts nothing again; then each
	# service and its logger
	kill "$SID"
	svc -dx "$R"/service/* "$R"/service/*/log
	qp_deadline_loop 30 no_session_left || {
		ps -o pid,args -s "$SID" >&2
		atf_fail "processes left after svc -dx"
	}
	no_sanitizer_report
}
daemontools_cleanup() {
	stop_all
}

# listing - owner, group, mode, type and checksum of every file under $R
listing() {
	find "$R" -path "$R/usr" -prune -o -printf '%p %u:%g %m %y\n' |
	    sort > "$1"
	find "$R" -path "$R/usr" -prune -o -type f -print | sort |
	    xargs md5sum >> "$1"
}

atf_test_case setup_twice cleanup
setup_twice_head() {
	atf_set "descr" "a second qpost-setup changes nothing; nothing" \
	    "installed is setuid or setgid; queue, control and secrets have" \
	    "DESIGN.md's modes; an upgrade keeps control files and edits"
	atf_set "require.user" "root"
	atf_set "timeout" "120"
}
setup_twice_body() {
	qp_plain_only "it tests installation and supervision, not the programs"
	install_tree
	atf_check "$R/usr/sbin/qpost-setup" -D "$R" -s "$R/service" -t s6 \
	    -a postmaster@example.org
	c=$R/etc/qpost q=$R/var/spool/qpost
	# the TLS pair and the password database, as an admin adds them
	echo key > "$c/tls.key"
	echo 0123456789abcdef-srs > "$c/srskey"
	mkdir "$c/tlshosts"
	echo key > "$c/tlshosts/mail.other.test.key"
	echo crt > "$c/tls.crt"
	atf_check "$R/usr/sbin/qpost-setup" -D "$R" -s "$R/service" -t s6
	listing before
	atf_check "$R/usr/sbin/qpost-setup" -D "$R" -s "$R/service" -t s6 \
	    -a postmaster@example.org
	listing after
	atf_check diff before after
	# -a names a new administrator: control/admin alone changes
	atf_check "$R/usr/sbin/qpost-setup" -D "$R" -s "$R/service" -t s6 \
	    -a other@example.org
	atf_check -o inline:"other@example.org\n" cat "$R/etc/qpost/admin"

	atf_check -o inline:"root:root 755\n" stat -c "%U:%G %a" "$c"
	atf_check -o inline:"record\n" cat "$c/verify"
	for f in me locals rcpthosts verify admin tls.crt; do
		atf_check -o inline:"root:root 644\n" stat -c "%U:%G %a" "$c/$f"
	done
	atf_check -o inline:"root:qpsmtpd 440\n" stat -c "%U:%G %a" "$c/tls.key"
	atf_check -o inline:"root:qpsmtpd 440\n" stat -c "%U:%G %a" "$c/srskey"
	atf_check -o inline:"root:qpsmtpd 440\n" stat -c "%U:%G %a" \
	    "$c/tlshosts/mail.other.test.key"
	atf_check -o inline:"qpqueue:qpost 751\n" stat -c "%U:%G %a" "$q"
	atf_check -o inline:"qpqueue:qpost 3777\n" stat -c "%U:%G %a" "$q/drop"
	atf_check -o inline:"qpqueue:qpost 3777\n" stat -c "%U:%G %a" "$q/spare"
	for d in mess env tmp; do
		atf_check -o inline:"qpqueue:qpost 750\n" stat -c "%U:%G %a" \
		    "$q/$d"
	done
	atf_check -o inline:"qpqueue:qpost 622\n" stat -c "%U:%G %a" \
	    "$q/trigger"
	atf_check -o inline:"qpqueue:qpost 600\n" stat -c "%U:%G %a" "$q/ctl"
	atf_check -o inline:"qpremote:qpost 700\n" stat -c "%U:%G %a" "$q/sts"
	atf_check -o inline:"qplog:qplog 750\n" stat -c "%U:%G %a" \
	    "$R/service/qpost/log/main"
	atf_check -o inline:"3\n" cat "$R/service/qpost/notification-fd"
	# nothing setuid or setgid but the queue's drop/ and spare/
	atf_check -o inline:"" find "$R" \( -perm -4000 -o -perm -2000 \) \
	    ! -path "$q/drop" ! -path "$q/spare"
	# the systemd units are examples, not enabled: they parse cleanly
	# (their programs pointed into the temporary root)
	u=$R/usr/share/doc/qpost/examples/systemd
	test -f "$u/qpost-smtpd.socket" || atf_fail "no systemd units installed"
	atf_check -o match:"^Accept=yes" cat "$u/qpost-smtpd.socket"
	if command -v systemd-analyze >/dev/null 2>&1; then
		mkdir units
		for f in "$u"/*; do
			sed "s|/usr/libexec/qpost|$R/usr/libexec/qpost|" "$f" \
			    > "units/${f##*/}"
		done
		atf_check systemd-analyze verify --man=no units/*
	fi
	# an upgrade: a new install and setup keep edits and the queue
	echo mail.example.org > "$c/me"
	echo 7 > "$R/service/smtpd/concurrency"
	touch "$q/mess/keep"
	make -C "$(qp_top)" -s install DESTDIR="$R" PREFIX=/usr > make.out 2>&1 ||
	    qp_fail "make install failed" make.out
	atf_check "$R/usr/sbin/qpost-setup" -D "$R" -s "$R/service" -t s6
	atf_check -o inline:"mail.example.org\n" cat "$c/me"
	atf_check -o inline:"7\n" cat "$R/service/smtpd/concurrency"
	test -f "$q/mess/keep" || atf_fail "the upgrade lost a queue file"
}
setup_twice_cleanup() {
	stop_all
}

atf_init_test_cases() {
	atf_add_test_case s6
	atf_add_test_case daemontools
	atf_add_test_case setup_twice
}
