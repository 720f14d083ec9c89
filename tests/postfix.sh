# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# postfix.sh - private Postfix instances for the atf-sh tests, as a
# client of qpost's smtpd (tests/smtpd/postfix_test.sh) or as the real
# receiving MTA the remote sender delivers into.  Sourced after lib.sh:
#
#	. "$(atf_get_srcdir)/../lib.sh"
#	. "$(atf_get_srcdir)/../postfix.sh"
#
# Each instance has its own config_directory, queue_directory and
# data_directory in a folder under $PF_BASE (a world-searchable mktemp
# folder noted in ./pf_base), listens on one loopback address, and is
# driven with "postfix -c DIR/etc" only: the system instance
# (/etc/postfix) is never touched.  Postfix must be started as root, so
# test cases that use it set require.user "root"; the mail_owner is the
# account qppostfix (made if missing).  A qpost instance next to it runs
# single-user as the unprivileged account qptest (qp_as_user).
#
# A receiver in a test case (all of it is stopped by pf_cleanup):
#
#	atf_test_case deliver cleanup
#	deliver_head() {
#		atf_set "require.user" "root"
#		atf_set "require.progs" "postfix"
#	}
#	deliver_body() {
#		pf_base
#		port=$(pf_free_port 127.0.0.2)
#		pf_receiver_start 127.0.0.2 "$port" "a.test b.test" tls
#		... deliver to x@a.test through 127.0.0.2:$port ...
#		pf_wait_delivered "$PF_DIR/mail" 1
#		pf_body "$PF_DIR"/mail/a.test/x/new/* | cmp - sent
#		pf_receiver_stop "$PF_DIR"
#	}
#	deliver_cleanup() {
#		pf_cleanup
#	}
#
# Postfix's master daemon puts itself in a session of its own, so
# kyua's kill of a failed body's process group never reaches it: the
# cleanup part must stop every instance (pf_cleanup does).

PF_OWNER=${PF_OWNER:-qppostfix}
QP_USER=${QP_USER:-qptest}

# pf_base - a world-searchable folder for this case's Postfix instances
# (and a qpost instance run by qp_as_user: kyua's work directory may
# not be reachable by qptest), noted in ./pf_base for the cleanup;
# exports PF_BASE.  Does nothing if this case already has one.
pf_base() {
	if [ -n "${PF_BASE:-}" ] && [ -d "$PF_BASE" ]; then
		return 0
	fi
	PF_BASE=$(mktemp -d /tmp/qp-postfix.XXXXXX) ||
	    atf_fail "mktemp failed"
	chmod 0755 "$PF_BASE"
	echo "$PF_BASE" > pf_base
	export PF_BASE
}

# pf_accounts - the account $PF_OWNER (Postfix's mail_owner) exists,
# made if missing, and so does Postfix's group postdrop.
pf_accounts() {
	id "$PF_OWNER" >/dev/null 2>&1 || useradd --system --no-create-home \
	    --shell /usr/sbin/nologin "$PF_OWNER" ||
	    atf_fail "cannot make the account $PF_OWNER"
	getent group postdrop >/dev/null ||
	    atf_fail "no group postdrop: is the postfix package installed?"
}

# qp_as_user - make and start, as $QP_USER, a qpost instance in
# $PF_BASE/q/inst with smtpd under tcpserver (lib.sh's qp_smtpd_instance,
# qp_start, qp_smtpd_start, run under runuser with atf stand-ins); sets
# QP_DIR, QP_SMTP_PORT and QPOST_QUEUE here.  The test (root) may write
# more control files into $QP_DIR/control afterwards, readable by all.
qp_as_user() {
	id "$QP_USER" >/dev/null 2>&1 || useradd --system --no-create-home \
	    --shell /usr/sbin/nologin "$QP_USER" ||
	    atf_fail "cannot make the account $QP_USER"
	mkdir "$PF_BASE/q" && chown "$QP_USER" "$PF_BASE/q" ||
	    atf_fail "cannot make $PF_BASE/q"
	# shellcheck disable=SC2016 # expanded by the inner shell
	runuser -u "$QP_USER" -- env -i PATH=/usr/bin:/bin \
	    HOME="$PF_BASE/q" ${QP_SMTPD:+QP_SMTPD="$QP_SMTPD"} \
	    /bin/sh -c '
		srcdir=$1 base=$2
		cd "$base" || exit 1
		atf_fail() { echo "qp_as_user: $*" >&2; exit 1; }
		atf_get_srcdir() { echo "$srcdir"; }
		. "$srcdir/../lib.sh"
		qp_smtpd_instance "$base/inst" || exit 1
		qp_start || exit 1
		qp_smtpd_start || exit 1
		echo "$QP_SMTP_PORT" > "$base/inst/port"
	    ' qp_as_user "$(atf_get_srcdir)" "$PF_BASE/q" \
	    > "$PF_BASE/q.out" 2>&1 ||
	    qp_fail "cannot start qpost as $QP_USER" "$PF_BASE/q.out"
	QP_DIR=$PF_BASE/q/inst
	QP_SMTP_PORT=$(cat "$QP_DIR/port")
	QPOST_QUEUE=$QP_DIR/queue
	export QP_DIR QP_SMTP_PORT QPOST_QUEUE
}

# pf_main_common DIR HOSTNAME - the main.cf lines every private
# instance in DIR shares, on stdout: its own folders, no local
# delivery, no DNS at all (the client uses no MX or A lookups, smtpd
# no reverse lookup of its clients), a log file in DIR/maillog, and
# retry timers of a second instead of minutes.  inet_interfaces stays
# 127.0.0.1 whatever address the listener has: Postfix refuses (with a
# fatal error that goes only to syslog) an inet_interfaces address no
# interface carries, like 127.0.0.2, while master.cf's ADDR:PORT line
# binds any address.  The caller appends its role's lines.
pf_main_common() {
	cat <<EOM
# a private Postfix of qpost's tests: never the system instance
compatibility_level = 3.6
config_directory = $1/etc
queue_directory = $1/spool
data_directory = $1/data
mail_owner = $PF_OWNER
setgid_group = postdrop
myhostname = $2
mydomain = pf.test
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
local_transport = error:no local delivery here
alias_maps =
alias_database =
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
maillog_file = $1/maillog
maillog_file_prefixes = $1
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
biff = no
EOM
}

# pf_master_common - the master.cf services every instance runs (no
# chroot; no listener: the caller adds its own ADDR:PORT line).
pf_master_common() {
	cat <<EOM
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
tlsmgr    unix  - - n 1000? 1 tlsmgr
postlog   unix-dgram n - n - 1 postlogd
EOM
}

# pf_mkdirs DIR - the folders of an instance in DIR: etc/, spool/ (made
# by root; "postfix start" fills it) and data/ (the mail_owner's).
pf_mkdirs() {
	mkdir -p "$1/etc" "$1/spool" "$1/data" || atf_fail "cannot make $1"
	chown "$PF_OWNER" "$1/data"
}

# pf_launch DIR ADDR PORT - start the instance whose main.cf and
# master.cf are in DIR/etc, and wait (30 s) until ADDR:PORT accepts
# connections.  "postfix start" runs the checks of "postfix check"
# itself (and fails on the fatal ones), so there is no separate check.
# Every Postfix program waits, in 300 ms steps, until a main.cf
# younger than a second or two has aged (it might be half written):
# files just written are dated a minute back, which saves ~2 s a start.
pf_launch() {
	touch -d '1 minute ago' "$1"/etc/* ||
	    atf_fail "cannot date back the files in $1/etc"
	postfix -c "$1/etc" start > "$1/start.out" 2>&1 ||
	    qp_fail "postfix start failed for $1" "$1/maillog"
	qp_deadline_loop 30 qp_port_open "$2" "$3" ||
	    qp_fail "private postfix $1 not listening on $2:$3" "$1/maillog"
}

# pf_master_pid DIR - the pid the instance in DIR recorded for its
# master (spool/pid/master.pid), if that process still runs and is that
# instance's (pf_is_ours); nothing otherwise.
pf_master_pid() {
	_pf_m=$(tr -d ' \n' < "$1/spool/pid/master.pid" 2>/dev/null)
	case $_pf_m in
	''|*[!0-9]*)	return 0 ;;
	esac
	if qp_alive "$_pf_m" && pf_is_ours "$_pf_m" "$1"; then
		echo "$_pf_m"
	fi
	return 0
}

# pf_is_ours PID DIR - whether PID is a process of the instance in DIR:
# "postfix -c" puts MAIL_CONFIG=DIR/etc into the environment of master,
# and master passes it to every daemon it starts (import_environment);
# so a recycled pid, or another instance's process, never matches.
pf_is_ours() {
	tr '\0' '\n' < "/proc/$1/environ" 2>/dev/null |
	    grep -qxF "MAIL_CONFIG=$2/etc"
}

# pf_instance_pids DIR - the pids of the instance in DIR: its master
# (from master.pid), the members of master's session (its daemons:
# master calls setsid), and any process left
# with the instance's MAIL_CONFIG (a daemon whose master was killed);
# each checked with pf_is_ours.
pf_instance_pids() {
	{
		_pf_m=$(pf_master_pid "$1")
		if [ -n "$_pf_m" ]; then
			echo "$_pf_m"
			ps -o pid= --sid "$_pf_m" 2>/dev/null
		fi
		grep -lszxF "MAIL_CONFIG=$1/etc" /proc/[0-9]*/environ \
		    2>/dev/null | sed 's|/proc/\([0-9]*\)/environ|\1|'
	} | tr -d ' ' | sort -un | while read -r _pf_p; do
		[ "$_pf_p" != "$$" ] || continue
		qp_alive "$_pf_p" && pf_is_ours "$_pf_p" "$1" && echo "$_pf_p"
	done
}

# pf_stop_dir DIR - stop the instance in DIR ("postfix -c DIR/etc
# stop", then abort), and make sure every process of it is gone: stop
# returns before master and its daemons have exited, so wait for them
# (10 s), then KILL what is left (found by pf_instance_pids, never by
# name).
pf_stop_dir() {
	[ -f "$1/etc/main.cf" ] || return 0
	_pf_dir=$1
	_pf_none_left() {
		[ -z "$(pf_instance_pids "$_pf_dir")" ]
	}
	_pf_none_left && return 0
	postfix -c "$1/etc" stop >> "$1/stop.out" 2>&1
	qp_deadline_loop 10 _pf_none_left && return 0
	echo "pf_stop: $1: still running 10 s after postfix stop" >&2
	postfix -c "$1/etc" abort >> "$1/stop.out" 2>&1
	qp_deadline_loop 5 _pf_none_left && return 0
	for _pf_p in $(pf_instance_pids "$1"); do
		kill -KILL "$_pf_p" 2>/dev/null
	done
	qp_deadline_loop 5 _pf_none_left ||
	    echo "pf_stop: $1: could not stop: $(pf_instance_pids "$1")" >&2
}

# pf_receiver_stop [DIR] - stop the instance in DIR (pf_receiver_start
# sets PF_DIR to it), or with no argument every instance of this case
# (pf_stop_all).
pf_receiver_stop() {
	if [ $# -gt 0 ]; then
		pf_stop_dir "$1"
	else
		pf_stop_all
	fi
}

# pf_stop_all - stop every instance under this case's PF_BASE (from
# ./pf_base, so it works in cleanup parts).
pf_stop_all() {
	[ -s pf_base ] || return 0
	for _pf_d in "$(cat pf_base)"/pf*; do
		[ -d "$_pf_d" ] && pf_stop_dir "$_pf_d"
	done
	return 0
}

# pf_cleanup - for cleanup parts: stop every Postfix instance of this
# case and the qpost instance of qp_as_user, remove PF_BASE.
pf_cleanup() {
	pf_stop_all
	if [ -s pf_base ]; then
		qp_stop "$(cat pf_base)/q/inst"
		rm -rf "$(cat pf_base)"
	fi
}

# pf_free_port ADDR... - a TCP port free on every ADDR (qpost's
# control/remoteport is one port for all MX hosts, so receivers on
# 127.0.0.2 and 127.0.0.3 behind MX records must share it).  Run in
# $(...), so it cannot fail the case itself: use
#	port=$(pf_free_port 127.0.0.2 127.0.0.3) || atf_fail "no port"
pf_free_port() {
	/usr/bin/python3 -c '
import socket, sys
for _ in range(50):
    socks = []
    try:
        for h in sys.argv[1:]:
            s = socket.socket()
            socks.append(s)
            s.bind((h, socks[0].getsockname()[1] if len(socks) > 1 else 0))
        print(socks[0].getsockname()[1])
        sys.exit(0)
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
sys.exit(1)' "$@"
}

# pf_receiver_main DIR DOMAINS - main.cf lines of a receiver (after
# pf_main_common) on stdout.  DOMAINS are its virtual mailbox domains,
# every local part valid (static: map), delivered by the transport
# "maildir" (pf_receiver_start's master.cf: pipe(8) running
# DIR/etc/maildir, one recipient a delivery); any other domain is
# refused at RCPT (554 relay access denied) and nothing is ever sent
# out.  Headers are neither added nor dropped (message_drop_headers,
# local_header_rewrite_clients are empty), so a delivered file is the
# message as sent plus the lines pf_body takes off.  Limits: 1000
# recipients a transaction, no error sleeps, no rate limits, no
# in-flow delay.
pf_receiver_main() {
	cat <<EOM
smtpd_banner = \$myhostname ESMTP Postfix (qpost test receiver)
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access regexp:$1/etc/rcpt_access
virtual_mailbox_domains = $2
virtual_mailbox_maps = static:any
virtual_transport = maildir
maildir_destination_recipient_limit = 1
default_transport = error:5.7.1 a qpost test receiver sends no mail
relay_transport = error:5.7.1 a qpost test receiver sends no mail
local_header_rewrite_clients =
message_drop_headers =
in_flow_delay = 0
smtpd_recipient_limit = 1000
smtpd_recipient_overshoot_limit = 1000
smtpd_client_recipient_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_client_connection_count_limit = 0
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
EOM
}

# pf_maildir_script - on stdout, the program pipe(8) runs for each
# recipient, as PF_VUSER: "maildir BASE DOMAIN LOCALPART QUEUEID"
# writes the message on stdin into the Maildir BASE/DOMAIN/LOCALPART/
# (made if need be): into tmp/ under a name unique to the message and
# the process, created exclusively (set -C), then renamed into new/, so
# a file in new/ is always whole.  Exit 67 (EX_NOUSER: Postfix
# bounces) for a name that would leave BASE, 75 (EX_TEMPFAIL: Postfix
# retries) on any other failure.  Two execs a delivery (cat, mv): 50
# recipients run it 50 times.
pf_maildir_script() {
	cat <<'EOS'
#!/bin/sh
# maildir BASE DOMAIN LOCALPART QUEUEID - a qpost test receiver's
# delivery (tests/postfix.sh): stdin into BASE/DOMAIN/LOCALPART/new/
PATH=/usr/bin:/bin
umask 022
set -C
for n in "$2" "$3" "$4"; do
	case $n in
	''|.*|*/*)	echo "maildir: refused name $n"; exit 67 ;;
	esac
done
d=$1/$2/$3
f=$4.P$$.pf
[ -d "$d/new" ] || mkdir -p "$d/tmp" "$d/new" "$d/cur" || exit 75
if ! cat > "$d/tmp/$f" || ! mv "$d/tmp/$f" "$d/new/$f"; then
	rm -f "$d/tmp/$f"
	exit 75
fi
exit 0
EOS
}

# pf_receiver_tls DIR HOSTNAME - main.cf lines for STARTTLS (level may)
# with PF_CERT/PF_KEY, or with a certificate for HOSTNAME signed by the
# test CA in $PF_BASE/ca (made once per case; PF_CA_CERT names its
# certificate, for a client's trust: qpost's control/tlscafile).
pf_receiver_tls() {
	if [ -z "${PF_CERT:-}" ] || [ -z "${PF_KEY:-}" ]; then
		[ -s "$PF_BASE/ca/ca.crt" ] || qp_mkca "$PF_BASE/ca"
		chmod 0755 "$PF_BASE/ca"
		qp_mkcert_signed "$PF_BASE/ca" "$2"
		_pf_cert=$PF_BASE/ca/$2.crt _pf_key=$PF_BASE/ca/$2.key
		PF_CA_CERT=$PF_BASE/ca/ca.crt
		export PF_CA_CERT
	else
		_pf_cert=$PF_CERT _pf_key=$PF_KEY
	fi
	# smtpd reads the key as root, before it drops privileges
	cat <<EOM
smtpd_tls_security_level = may
smtpd_tls_chain_files = $_pf_key, $_pf_cert
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
EOM
}

# pf_receiver_start ADDR PORT DOMAINS [tls] - start a receiving
# instance in $PF_BASE/pf-ADDR-PORT (pf_base is called if need be)
# listening on ADDR:PORT (ADDR one of 127.0.0.0/8), taking mail for the
# space-separated DOMAINS and delivering each recipient
# <localpart>@<domain> into the Maildir
# $PF_DIR/mail/<domain>/<localpart>/ (new/ once delivered; both names
# folded to lower case); with "tls", STARTTLS is offered
# (pf_receiver_tls) and the Received: header says "with ESMTPS".
# Recipients whose local part starts with "nosuch" are refused with
# 550 5.1.1, "defer" with 450 4.2.0, and local parts with a / or a
# leading dot with 550 5.1.3, for tests of per-recipient failures; a
# message with a recipient whose local part starts with "hold" is taken
# and kept in the hold queue (spool/hold/, for postcat), undelivered.
# Environment: PF_HOSTNAME (default mx.pf.test) is its name in the
# banner, EHLO reply and Received: header, and the certificate's;
# PF_VUSER (default nobody; not root, not $PF_OWNER: pipe(8) refuses
# those) writes the mailboxes; PF_MAIN_EXTRA, lines added to main.cf.  Exports PF_DIR, the instance's folder;
# returns once the port answers.
#
# Why pipe(8) and not virtual(8): virtual(8) opens virtual_mailbox_maps
# "paranoid" (no $1 substitution from regexp: maps, no socketmap: or
# tcp:), so no map it accepts can name a mailbox per local part
# without listing every address in advance.
pf_receiver_start() {
	[ $# -eq 3 ] || [ $# -eq 4 ] ||
	    atf_fail "usage: pf_receiver_start ADDR PORT DOMAINS [tls]"
	case $1 in
	127.*[!0-9.]*|127.*.*.*.*)
		atf_fail "pf_receiver_start: not an IPv4 address: $1" ;;
	127.*.*.*)	;;
	*)	atf_fail "pf_receiver_start: not a loopback address: $1" ;;
	esac
	case ${4:-} in
	''|tls)	;;
	*)	atf_fail "pf_receiver_start: 4th argument is tls or nothing" ;;
	esac
	pf_base
	pf_accounts
	_pf_vuser=${PF_VUSER:-nobody}
	_pf_name=${PF_HOSTNAME:-mx.pf.test}
	PF_DIR=$PF_BASE/pf-$1-$2
	[ ! -e "$PF_DIR" ] || atf_fail "pf_receiver_start: $PF_DIR exists"
	export PF_DIR
	pf_mkdirs "$PF_DIR"
	if ! mkdir "$PF_DIR/mail" || ! chown "$_pf_vuser" "$PF_DIR/mail"; then
		atf_fail "cannot make $PF_DIR/mail for $_pf_vuser"
	fi
	pf_maildir_script > "$PF_DIR/etc/maildir"
	chmod 0755 "$PF_DIR/etc/maildir"
	# smtpd refuses what the maildir script would (a name leaving
	# mail/), with a 5xx at RCPT rather than a bounce later
	printf '%s\n' \
	    '/^nosuch[^@]*@/	550 5.1.1 no such user here (test receiver)' \
	    '/^defer[^@]*@/	450 4.2.0 try again later (test receiver)' \
	    '/^\..*@|^[^@]*\/[^@]*@/	550 5.1.3 bad mailbox name (test receiver)' \
	    '/^hold[^@]*@/	HOLD kept for postcat (test receiver)' \
	    > "$PF_DIR/etc/rcpt_access"
	{
		pf_main_common "$PF_DIR" "$_pf_name"
		pf_receiver_main "$PF_DIR" "$3"
		[ "${4:-}" != tls ] || pf_receiver_tls "$PF_DIR" "$_pf_name"
		[ -z "${PF_MAIN_EXTRA:-}" ] || echo "$PF_MAIN_EXTRA"
	} > "$PF_DIR/etc/main.cf"
	# pipe(8) flags: D, O, R prepend Delivered-To:, X-Original-To:,
	# Return-Path: (what virtual(8) and local(8) add); h and u fold
	# the domain and the local part to lower case
	{
		echo "$1:$2 inet n - n - - smtpd"
		pf_master_common
		echo "maildir   unix  - n n - - pipe"
		echo "  flags=DROhu user=$_pf_vuser argv=$PF_DIR/etc/maildir"
		echo "  $PF_DIR/mail \${domain} \${user} \${queue_id}"
	} > "$PF_DIR/etc/master.cf"
	pf_launch "$PF_DIR" "$1" "$2"
}

# pf_nfiles_new DIR - how many files the Maildirs under DIR hold in
# their new/ folders (DIR: an instance, its mail/, a domain or a
# mailbox).
pf_nfiles_new() {
	find "$1" -path '*/new/*' -type f 2>/dev/null | wc -l | tr -d ' '
}

# pf_wait_delivered DIR COUNT [TIMEOUT] - wait (TIMEOUT s, default 60)
# until the Maildirs under DIR hold at least COUNT delivered files;
# fail on the deadline with the end of the instance's maillog.
pf_wait_delivered() {
	_pf_wdir=$1 _pf_want=$2
	_pf_enough() {
		[ "$(pf_nfiles_new "$_pf_wdir")" -ge "$_pf_want" ]
	}
	qp_deadline_loop "${3:-60}" _pf_enough && return 0
	_pf_log=
	for _pf_l in "$1" "$1/.." "$1/../.." "$1/../../.."; do
		[ -f "$_pf_l/maillog" ] && { _pf_log=$_pf_l/maillog; break; }
	done
	qp_fail "pf_wait_delivered: $1 holds $(pf_nfiles_new "$1") files," \
	    "not $2, after ${3:-60} s" "${_pf_log:-/dev/null}"
}

# pf_body FILE - a message Postfix delivered, without the lines Postfix
# put on top of it: pipe(8)'s Return-Path:, X-Original-To: and
# Delivered-To: (in any order), then smtpd's one Received: header (with its
# continuation lines).  The rest is printed byte for byte: the message
# as the client sent it after DATA, but with LF line ends (Postfix
# stores LF; CRLF becomes LF) and dots unstuffed.
pf_body() {
	[ -f "$1" ] || atf_fail "pf_body: no file $1"
	_pf_off=$(LC_ALL=C awk '
	    s == 0 && /^(Return-Path|X-Original-To|Delivered-To):/ {
		n += length($0) + 1; next }
	    s == 0 && /^Received:/ { s = 1; n += length($0) + 1; next }
	    /^[ \t]/ && NR > 1 { n += length($0) + 1; next }
	    { exit }
	    END { print n + 0 }' "$1")
	tail -c +"$((_pf_off + 1))" "$1"
}
