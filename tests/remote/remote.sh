# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# remote.sh - helpers for the remote sender's tests, sourced after
# lib.sh.  They run `remote' directly, as rspawn does (the message on
# fd 0, the result record on fd 1), against test SMTP servers
# (hostile_peer.py) on loopback addresses, so each case states one
# server behaviour and the exact result it must produce.

# rm_control - a control folder in ./control for running remote: me is
# sender.test, every timeout 2 s; exports QPOST_CONTROL, QPOST_LIBEXEC.
rm_control() {
	QPOST_CONTROL=$PWD/control
	QPOST_LIBEXEC=$(qp_top)/build/libexec
	export QPOST_CONTROL QPOST_LIBEXEC
	[ -x "$QPOST_LIBEXEC/remote" ] ||
	    atf_fail "rm_control: $QPOST_LIBEXEC/remote is not built: run make"
	mkdir -p control || atf_fail "rm_control: cannot make control"
	echo sender.test > control/me
	echo 2 > control/timeoutremote
	echo 2 > control/timeoutconnect
}

# rm_peer_start NAME ADDR PORT [ARGS...] - start hostile_peer.py (found
# from the top of the tree, so tests in other folders can use it) on
# ADDR:PORT (an IPv6 ADDR in brackets) with its folder ./NAME, and wait
# for its ready file.  Its mode is ./NAME/mode (default good).
rm_peer_start() {
	_rm_name=$1 _rm_addr=$2 _rm_port=$3
	shift 3
	mkdir -p "$_rm_name" && echo "$PWD/$_rm_name" >> "$PWD/.rm_peers"
	/usr/bin/python3 "$(qp_top)/tests/remote/hostile_peer.py" \
	    --listen "$_rm_addr:$_rm_port" --dir "$PWD/$_rm_name" "$@" \
	    >> "$_rm_name/stderr" 2>&1 &
	_rm_ready() { [ -e "$PWD/$_rm_name/ready" ]; }
	qp_deadline_loop 20 _rm_ready ||
	    qp_fail "hostile peer $_rm_name did not start" "$_rm_name/stderr"
}

# rm_peers_stop - stop every peer this case started (for cleanups).
rm_peers_stop() {
	[ -f .rm_peers ] || return 0
	while read -r _rm_d; do
		[ -f "$_rm_d/pid" ] && kill "$(cat "$_rm_d/pid")" 2>/dev/null
	done < .rm_peers
	return 0
}

# rm_mode NAME MODE - what peer NAME does on its next connection.
rm_mode() {
	echo "$2" > "$1/mode.tmp" && mv "$1/mode.tmp" "$1/mode"
}

# rm_remote DOMAIN SENDER RCPT... - run remote with ./msg on fd 0; the
# decoded result goes to ./result (see result.py), the log to
# ./remote.log.  Fails the case if remote exits non-zero or writes a
# malformed result.
rm_remote() {
	"$QPOST_LIBEXEC/remote" -i 0123456789abcdef "$@" < msg > result.raw \
	    2> remote.log || qp_fail "remote exited $?" remote.log
	/usr/bin/python3 "$(atf_get_srcdir)/result.py" < result.raw > result ||
	    qp_fail "remote wrote a malformed result" remote.log
}

# rm_rspawn FIELD... - run rspawn as sched does (rspawn_run.py) with one
# request of these TAG=VALUE fields, for ./msg as the message with id
# 0123456789abcdef (copied into the queue ./queue); the decoded result
# goes to ./result, "J<TAB>job" first, the log of rspawn and its
# remote to ./rspawn.log.  Fails the case without a valid result.
rm_rspawn() {
	mkdir -p queue/mess && cp msg queue/mess/0123456789abcdef ||
	    atf_fail "rm_rspawn: cannot put ./msg in the queue"
	QPOST_QUEUE=$PWD/queue /usr/bin/python3 \
	    "$(qp_top)/tests/remote/rspawn_run.py" "$@" > result \
	    2> rspawn.log || qp_fail "rspawn gave no valid result" rspawn.log
}

# rm_expect LINE... - ./result must be exactly these lines, where each
# LINE is "STATUS PATTERN": the status letter and a grep -E pattern
# for the text (or "X ADDRESS").
rm_expect() {
	_rm_n=0
	for _rm_want in "$@"; do
		_rm_n=$((_rm_n + 1))
		_rm_line=$(sed -n "${_rm_n}p" result)
		_rm_st=${_rm_want%% *}
		_rm_pat=${_rm_want#* }
		case $_rm_line in
		"$_rm_st	"*) ;;
		*)	cat result remote.log >&2
			atf_fail "result line $_rm_n: want status $_rm_st," \
			    "got: $_rm_line" ;;
		esac
		printf '%s\n' "${_rm_line#*	}" | grep -Eq -- "$_rm_pat" || {
			cat result remote.log >&2
			atf_fail "result line $_rm_n: \"$_rm_line\" does not" \
			    "match $_rm_pat"
		}
	done
	[ "$(wc -l < result)" -eq "$_rm_n" ] || {
		cat result >&2
		atf_fail "result has $(wc -l < result) lines, want $_rm_n"
	}
}

# rm_mails NAME - how many messages peer NAME has stored.
rm_mails() {
	find "$1/mail" -name '*.eml' 2>/dev/null | wc -l
}
