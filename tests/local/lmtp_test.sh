#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# lmtp: local's `lmtp:' instructions (RFC 2033) against a real Dovecot
# from Debian (dovecot-core, dovecot-lmtpd) that each test case starts
# on its own: its own config file under the work directory (base_dir,
# an LMTP UNIX socket and a loopback TCP port, a passwd-file userdb of
# users mailing into Maildirs here, ssl=no, a log file), `dovecot -c
# conf -F' stopped by its PID; the system's /etc/dovecot and any
# system instance are never touched.  And against tests/local/
# lmtp_peer.py, an LMTP server that breaks the replies after DATA.

. "$(atf_get_srcdir)/../lib.sh"

DOVECOT=/usr/sbin/dovecot

# lm_local DEST RCPT [SENDER] - run local with `lmtp:DEST' for RCPT on
# the file msg; its text in out, its log in err, its exit code in rc.
lm_local() {
	"$(qp_top)/build/libexec/local" -s "${3:-sender@client.test}" \
	    -r "$2" -d "$PWD" -t "lmtp:$1" < msg > out 2> err
	rc=$?
}

# lm_expect RC REGEX - the last lm_local exited RC with text matching
# the (grep extended) REGEX.
lm_expect() {
	[ "$rc" -eq "$1" ] && grep -Eq -e "$2" out && return 0
	echo "--- exit $rc, text:" >&2
	cat out err >&2
	atf_fail "want exit $1 and text /$2/"
}

# lm_setup - a control folder for local (me, a short timeoutremote)
# and a message with what a careless client would break: dots at line
# starts, a lone ".", 8-bit bytes, a long line, trailing blanks.
lm_setup() {
	mkdir -p control
	echo lmtp-client.test > control/me
	echo 5 > control/timeoutremote
	QPOST_CONTROL=$PWD/control
	export QPOST_CONTROL
	{
		echo "From: Sender <sender@client.test>"
		echo "To: everyone"
		echo "Subject: lmtp test"
		echo "Date: Sat, 28 Nov 2026 12:00:00 +0000"
		echo "Message-ID: <lmtp.qptest@client.test>"
		echo
		echo ".a line starting with a dot"
		echo "."
		echo ".."
		echo "caf$(printf '\303\251') and na$(printf '\303\257')ve"
		printf '%01500d\n' 0
		echo "trailing blanks   "
		echo "From the start of a line"
		echo "the end."
	} > msg
}

# dv_start - write dv/dovecot.conf and start Dovecot on dv/run/lmtp and
# 127.0.0.1:$DV_PORT, users dalice and dbob (this uid) with Maildirs in
# dv/home/<user>/Maildir; wait until both listeners answer.
dv_start() {
	[ -x "$DOVECOT" ] || atf_skip "no $DOVECOT: install dovecot-core" \
	    "and dovecot-lmtpd (sh .ci/need check)"
	[ -f /usr/lib/dovecot/lmtp ] || atf_skip "no dovecot-lmtpd"
	W=$PWD/dv
	mkdir -p "$W/run" "$W/state" "$W/home/dalice" "$W/home/dbob" \
	    "$W/home/dcarol"
	DV_PORT=$(qp_free_port)
	# IPv6 loopback too, where the machine has it
	DV_ADDRS=127.0.0.1 DV_V6=
	if qp_free_port ::1 > /dev/null 2>&1; then
		DV_ADDRS="127.0.0.1, ::1" DV_V6=1
	fi
	_u=$(id -un) _g=$(id -gn) _uid=$(id -u) _gid=$(id -g)
	{
		echo "dalice::$_uid:$_gid::$W/home/dalice::"
		echo "dbob::$_uid:$_gid::$W/home/dbob::"
		echo "dcarol::$_uid:$_gid::$W/home/dcarol::"
	} > "$W/users"
	cat > "$W/dovecot.conf" <<EOF2
# a private Dovecot for qpost's tests; nothing from /etc/dovecot
base_dir = $W/run
state_dir = $W/state
instance_name = qpost-lmtp-test-$$
protocols = lmtp
ssl = no
log_path = $W/dovecot.log
default_login_user = $_u
default_internal_user = $_u
default_internal_group = $_g
first_valid_uid = $_uid
last_valid_uid = $_uid
first_valid_gid = $_gid
last_valid_gid = $_gid
mail_location = maildir:~/Maildir
# users are local parts: RCPT TO:<dalice@anywhere> is dalice
auth_username_format = %Ln
# store exactly what came, after the Return-Path line
lmtp_add_received_header = no
lmtp_hdr_delivery_address = none
passdb {
  driver = passwd-file
  args = $W/users
}
userdb {
  driver = passwd-file
  args = $W/users
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
  }
  inet_listener lmtp {
    address = $DV_ADDRS
    port = $DV_PORT
  }
}
service auth {
  user = $_u
}
service auth-worker {
  user = $_u
}
service anvil {
  chroot =
}
EOF2
	"$DOVECOT" -c "$W/dovecot.conf" -F > "$W/stdout" 2>&1 &
	echo $! > "$W/pid"
	DV_SOCK=$W/run/lmtp
	_dv_up() {
		[ -S "$DV_SOCK" ] && qp_port_open 127.0.0.1 "$DV_PORT"
	}
	qp_deadline_loop 30 _dv_up ||
	    qp_fail "dovecot did not start" "$W/dovecot.log"
}

# dv_stop - stop our Dovecot by its PID and wait until it is gone.
dv_stop() {
	[ -f dv/pid ] || return 0
	_p=$(cat dv/pid)
	kill -TERM "$_p" 2>/dev/null
	_dv_gone() {
		! kill -0 "$_p" 2>/dev/null
	}
	qp_deadline_loop 20 _dv_gone || kill -KILL "$_p" 2>/dev/null
	rm -f dv/pid
}

# dv_mail USER - the one file in USER's Dovecot Maildir new/.
dv_mail() {
	_f=$(find "dv/home/$1/Maildir/new" -type f 2>/dev/null)
	[ "$(echo "$_f" | grep -c .)" -eq 1 ] ||
	    qp_fail "want one message for $1, have: $_f" dv/dovecot.log
	echo "$_f"
}

# lm_peer_start MODE - tests/local/lmtp_peer.py in folder peer.
lm_peer_start() {
	mkdir -p peer
	echo "$1" > peer/mode
	/usr/bin/python3 "$(atf_get_srcdir)/lmtp_peer.py" --dir peer \
	    > peer/stdout 2>&1 &
	qp_deadline_loop 20 test -f peer/ready ||
	    qp_fail "lmtp_peer did not start" peer/stdout
	PEER_PORT=$(cat peer/port)
}

lm_peer_stop() {
	[ -f peer/pid ] && kill -TERM "$(cat peer/pid)" 2>/dev/null
	rm -f peer/pid
}

lm_cleanup() {
	dv_stop
	lm_peer_stop
	return 0
}

atf_test_case dovecot_delivers cleanup
dovecot_delivers_head() {
	atf_set "descr" "lmtp:unix:SOCKET, lmtp:127.0.0.1:PORT and" \
	    "lmtp:[::1]:PORT deliver into Dovecot byte for byte"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
dovecot_delivers_body() {
	lm_setup
	dv_start
	lm_local "unix:$DV_SOCK" dalice@example.test
	lm_expect 0 "^2\.0\.0 lmtp unix:$DV_SOCK said: 250 2\.0\.0 <dalice@example\.test> .*Saved \(in reply to end of data\)$"
	lm_local "127.0.0.1:$DV_PORT" dbob@example.test
	lm_expect 0 "^2\.0\.0 lmtp 127\.0\.0\.1:$DV_PORT said: 250 "
	grep -q "delivered to=<dbob@example.test> lmtp=127.0.0.1:$DV_PORT" \
	    err || qp_fail "no log line for the delivery" err
	users="dalice dbob"
	if [ -n "$DV_V6" ]; then
		lm_local "[::1]:$DV_PORT" dcarol@example.test
		lm_expect 0 "^2\.0\.0 lmtp \[::1\]:$DV_PORT said: 250 "
		users="$users dcarol"
	fi
	# Dovecot adds Return-Path (from MAIL FROM); the rest is ours:
	# the Delivered-To line and the message, byte for byte
	for u in $users; do
		{
			echo "Return-Path: <sender@client.test>"
			echo "Delivered-To: <$u@example.test>"
			cat msg
		} > want.$u
		cmp "$(dv_mail $u)" want.$u ||
		    atf_fail "the message Dovecot stored for $u differs"
	done
}
dovecot_delivers_cleanup() {
	lm_cleanup
}

atf_test_case dovecot_refuses cleanup
dovecot_refuses_head() {
	atf_set "descr" "a user Dovecot does not know is a permanent" \
	    "failure with Dovecot's reason"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
dovecot_refuses_body() {
	lm_setup
	dv_start
	lm_local "unix:$DV_SOCK" nobody@example.test
	lm_expect 100 "^5\.1\.1 lmtp unix:$DV_SOCK said: 550 5\.1\.1 <nobody@example\.test> User doesn't exist: nobody@example\.test \(in reply to RCPT TO\)$"
	[ -z "$(find dv/home -type f)" ] || atf_fail "something was stored"
}
dovecot_refuses_cleanup() {
	lm_cleanup
}

atf_test_case dovecot_three_recipients cleanup
dovecot_three_recipients_head() {
	atf_set "descr" "one session, three recipients, one refused by" \
	    "Dovecot: a result per recipient"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
dovecot_three_recipients_body() {
	lm_setup
	dv_start
	atf_check -o save:res "$(atf_get_srcdir)/lmtpq" "unix:$DV_SOCK" \
	    sender@client.test dalice@example.test nobody@example.test \
	    dbob@example.test < msg
	atf_check -o inline:"ok\nperm\nok\n" cut -d' ' -f1 res
	grep -q "^perm <nobody@example.test> 5\.1\.1 .*User doesn't exist" \
	    res || qp_fail "no reason for nobody" res
	for u in dalice dbob; do
		{
			echo "Return-Path: <sender@client.test>"
			cat msg
		} > want
		cmp "$(dv_mail $u)" want || atf_fail "$u's copy differs"
	done
}
dovecot_three_recipients_cleanup() {
	lm_cleanup
}

atf_test_case dovecot_stopped cleanup
dovecot_stopped_head() {
	atf_set "descr" "Dovecot not running: a temporary failure"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
dovecot_stopped_body() {
	lm_setup
	dv_start
	dv_stop
	lm_local "unix:$DV_SOCK" dalice@example.test
	lm_expect 111 "^4\.4\.1 lmtp unix:$DV_SOCK: connect: "
	lm_local "127.0.0.1:$DV_PORT" dalice@example.test
	lm_expect 111 "^4\.4\.1 lmtp 127\.0\.0\.1:$DV_PORT: connect: Connection refused$"
	[ -z "$(find dv/home -type f)" ] || atf_fail "something was stored"
}
dovecot_stopped_cleanup() {
	lm_cleanup
}

atf_test_case hostile_peer cleanup
hostile_peer_head() {
	atf_set "descr" "a server that sends fewer replies after DATA than" \
	    "accepted recipients, a malformed one, or closes in DATA:" \
	    "temporary, never delivered"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
hostile_peer_body() {
	lm_setup
	echo 2 > control/timeoutremote
	lm_peer_start good
	lm_local "127.0.0.1:$PEER_PORT" a@example.test
	lm_expect 0 "^2\.0\.0 "
	for mode in fewer fewer_stall malformed close_in_data; do
		echo $mode > peer/mode
		lm_local "127.0.0.1:$PEER_PORT" a@example.test
		lm_expect 111 "^4\.[0-9.]+ lmtp 127\.0\.0\.1:$PEER_PORT"
		! grep -q delivered err || atf_fail "$mode: logged delivered"
	done
	# three recipients: the results are each recipient's own
	echo good > peer/mode
	atf_check -o save:res "$(atf_get_srcdir)/lmtpq" -t 2 \
	    "127.0.0.1:$PEER_PORT" s@client.test ok@x.test perm@x.test \
	    late@x.test
	atf_check -o inline:"ok\nperm\ntemp\n" cut -d' ' -f1 res
	grep -q "^temp <late@x.test> 4\.2\.2 .*452 4\.2\.2 .*(in reply to end of data)$" res ||
	    qp_fail "no 4.2.2 after DATA for late" res
	grep -q "^perm <perm@x.test> 5\.1\.1 .*(in reply to RCPT TO)$" res ||
	    qp_fail "no 5.1.1 at RCPT for perm" res
	# fewer replies than accepted recipients: the last is temporary
	echo fewer > peer/mode
	atf_check -o save:res "$(atf_get_srcdir)/lmtpq" -t 2 \
	    "127.0.0.1:$PEER_PORT" s@client.test a@x.test b@x.test
	atf_check -o inline:"ok\ntemp\n" cut -d' ' -f1 res
	grep -q "^temp <b@x.test> 4\.4\.2 .*may arrive twice" res ||
	    qp_fail "no text for the missing reply" res
}
hostile_peer_cleanup() {
	lm_cleanup
}

atf_test_case queue_three_recipients cleanup
queue_three_recipients_head() {
	atf_set "descr" "through the queue: aliases name LMTP targets for" \
	    "three recipients, Dovecot refuses one; each gets its own result"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
queue_three_recipients_body() {
	# lspawn sends alias targets `lmtp:...' to local from issue 7's
	# resolver (send/lresolve.c); without it there is nothing to test
	[ -f "$(qp_top)/send/lresolve.c" ] || atf_skip "lspawn has no" \
	    "alias targets yet (send/lresolve.c): enable after the merge"
	lm_setup
	dv_start
	qp_instance "$PWD/inst"
	{
		echo "dalice: lmtp:unix:$DV_SOCK"
		echo "dbob: lmtp:127.0.0.1:$DV_PORT"
		echo "dnobody: lmtp:unix:$DV_SOCK"
	} >> "$QPOST_CONTROL/aliases"
	"$QPOST_LIBEXEC/qcdb" aliases > qcdb.log 2>&1 ||
	    qp_fail "qcdb aliases failed" qcdb.log
	qp_start
	# -i: a lone "." in the message is a line, not its end
	atf_check "$QPOST_LIBEXEC/qinject" -i -f alice@example.test \
	    dalice@example.test dnobody@example.test dbob@example.test < msg
	qp_wait_for 1 dv/home/dalice/Maildir/new 30
	qp_wait_for 1 dv/home/dbob/Maildir/new 30
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	# Dovecot's Return-Path, our Delivered-To, sched's Received: then
	# the message as it was sent
	for u in dalice dbob; do
		qp_mail_body_equal "$(dv_mail $u)" msg ||
		    atf_fail "$u's copy differs"
		grep -q "^Delivered-To: <$u@example.test>$" "$(dv_mail $u)" ||
		    atf_fail "no Delivered-To for $u"
	done
	qp_wait_log "to=<dnobody@example.test> result=bounce .*5\.1\.1 lmtp unix:.*User doesn't exist" 30
	qp_wait_log "to=<dalice@example.test> result=ok" 30
	qp_wait_log "to=<dbob@example.test> result=ok" 30
	grep -l "dnobody@example.test" "$QP_DIR"/home/alice/Maildir/new/* \
	    > /dev/null || atf_fail "the bounce does not name dnobody"
	qp_stop
}
queue_three_recipients_cleanup() {
	qp_stop
	lm_cleanup
}

atf_test_case bad_destination
bad_destination_head() {
	atf_set "descr" "a destination that is none of the forms is a" \
	    "permanent failure naming it"
	atf_set "require.user" "unprivileged"
}
bad_destination_body() {
	lm_setup
	for d in "unix:relative" "127.0.0.1" "127.0.0.1:0" "::1:24" \
	    "[::1]" "host:99999" "tcp:host:24" ""; do
		lm_local "$d" a@example.test
		lm_expect 100 "^5\.3\.5 <a@example\.test>: bad LMTP destination"
		grep -qF "\"lmtp:$d\"" out || atf_fail "text does not name $d"
	done
}

atf_init_test_cases() {
	atf_add_test_case dovecot_delivers
	atf_add_test_case dovecot_refuses
	atf_add_test_case dovecot_three_recipients
	atf_add_test_case dovecot_stopped
	atf_add_test_case hostile_peer
	atf_add_test_case queue_three_recipients
	atf_add_test_case bad_destination
}
