# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# faults.sh - helpers of faults_test and crashpoints_test, sourced after
# tests/lib.sh: strace attached to the running sched with a fault, and
# the injection that names its queue id.

# the calls every trace here records: injection only acts on traced
# calls (strace's "-e trace=none" would silently disable it); open is
# how musl's open() reaches the kernel (qinject built with musl)
FI_TRACE=open,openat,write,pwrite64,ftruncate,fsync,fdatasync,rename,renameat,renameat2,link,linkat,unlink,unlinkat

# FI_STRACE - the words that run a command under strace -f, before
# "-o TRACE -e inject=SPEC COMMAND..." (atf_check runs no shell
# functions); LeakSanitizer cannot run under ptrace.
FI_STRACE="env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=$FI_TRACE"


# fi_attach SPEC TRACE - attach strace to the instance's sched (no -f:
# only sched, whose call counters then start at zero) with the faults
# of SPEC (strace's inject expressions, separated by ";");
# FI_STRACE_PID is strace's PID.  Waits until it is attached.
fi_attach() {
	_fi_sched=$(head -n 1 "$QP_DIR/pids")
	qp_ours "$_fi_sched" || atf_fail "fi_attach: sched is not running"
	_fi_inject=$(printf '%s\n' "$1" | tr ';' '\n' | sed 's/^/-e inject=/')
	# shellcheck disable=SC2086 # one word per expression, no spaces
	strace -p "$_fi_sched" -o "$2" -e trace="$FI_TRACE" $_fi_inject \
	    2>"$2.err" &
	FI_STRACE_PID=$!
	qp_deadline_loop 10 grep -q "attached" "$2.err" ||
	    qp_fail "fi_attach: strace did not attach" "$2.err"
}

# fi_detach - detach strace from sched (strace detaches on TERM).
fi_detach() {
	[ -n "${FI_STRACE_PID:-}" ] || return 0
	kill -TERM "$FI_STRACE_PID" 2>/dev/null
	wait "$FI_STRACE_PID" 2>/dev/null
	FI_STRACE_PID=
}

# fi_inject MSG - qinject MSG to alice; its queue id into FI_ID; the
# exit status is qinject's.
fi_inject() {
	QPOST_ID_FD=3 "$QPOST_LIBEXEC/qinject" alice@example.test \
	    < "$1" 3>fi.id
	_fi_rc=$?
	FI_ID=$(head -n 1 fi.id)
	return $_fi_rc
}
