#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Syscall faults (RELIABILITY.md 1.2 queue_errno, queue_shortwrite, and
# section 3 (a), (d)): EIO, ENOSPC, EDQUOT on write, fsync and rename,
# EMFILE and ENOSPC on openat, injected with strace into qinject, local
# (Maildir), qcdb and the running sched; short writes with libfiu into
# qinject.  Each program must fail temporarily with one clear log line,
# leave nothing half-done where anyone would see it, and work again on
# the next try.  durability_test checks the order of qinject's calls and
# mbox_test local's mbox faults; this file does not repeat them.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/faults.sh"

# fi_injected TRACE - fail unless strace injected something.
fi_injected() {
	grep -q "INJECTED" "$1" || atf_fail "strace injected nothing: $1"
}

# fi_nth TRACE REGEX - the first line matching REGEX is the how-many-th
# call of its system call (open or openat, say), counted from 1.
fi_nth() {
	awk -v re="$2" '{ s = $2; sub(/\(.*/, "", s); n[s]++ }
	    $0 ~ re { print n[s]; exit }' "$1"
}

# fi_call TRACE REGEX - the system call of the first line matching REGEX.
fi_call() {
	awk -v re="$2" '$0 ~ re { s = $2; sub(/\(.*/, "", s); print s; exit }' \
	    "$1"
}

# fi_one_line FILE REGEX [N] - FILE is one line (at most N, when a
# warning naming the cause comes first), and its last matches REGEX.
fi_one_line() {
	[ "$(wc -l < "$1" | tr -d ' ')" -le "${3:-1}" ] ||
	    atf_fail "too many log lines in $1: $(tr '\n' '|' < "$1")"
	tail -n 1 "$1" | grep -q -E -e "$2" ||
	    atf_fail "the log line does not match '$2': $(tr '\n' '|' < "$1")"
}

# fi_big ID - a test message of about 300 kB (so qinject writes it in
# several calls) on stdout.
fi_big() {
	qp_msg "$1"
	/usr/bin/python3 -c '
import sys
for i in range(5000):
    sys.stdout.write("line %05d of a big message to spread the writes\n" % i)'
}

atf_test_case qinject_errno cleanup
qinject_errno_head() {
	atf_set "descr" "qinject with EIO, ENOSPC, EDQUOT on write, fsync" \
	    "and rename, EMFILE and ENOSPC on openat: a temporary exit code" \
	    "and one log line, no visible drop file (a visible one only" \
	    "after the directory fsync failed), the next try queues"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace /usr/bin/python3"
	atf_set "timeout" "120"
}
qinject_errno_body() {
	qp_instance "$PWD/inst"
	drop=$QPOST_QUEUE/drop
	mkdir sent
	: > accepted
	: > refused
	# which openat creates the drop file, and which reads control/me,
	# counted in a run without faults
	qp_msg probe > sent/probe
	atf_check $FI_STRACE -o probe.trace -e inject=fsync:delay_enter=1 \
	    "$QPOST_LIBEXEC/qinject" alice@example.test < sent/probe
	create=$(fi_nth probe.trace '[.]tmp", .*O_CREAT')
	control=$(fi_nth probe.trace '/control/me"')
	control_call=$(fi_call probe.trace '/control/me"')
	[ -n "$create" ] && [ -n "$control" ] ||
	    atf_fail "no drop file or control file in probe.trace"
	rm -f "$drop"/*
	# spec ; exit code ; the log line ; 1 if the file may stay visible
	# ; lines (1 unless a warning gives the cause first).  The error's
	# text as glibc or musl says it (qinject is built with either)
	E_IO='(Input/output|I/O) error'
	E_DQUOT='(Disk quota|Quota) exceeded'
	E_MFILE='(Too many open files|No file descriptors available)'
	cat > cases <<EOF
write:error=ENOSPC:when=1;53;unable to write the drop file: No space left on device;0
write:error=ENOSPC:when=3;53;unable to write the drop file: No space left on device;0
write:error=EDQUOT:when=1;53;unable to write the drop file: $E_DQUOT;0
write:error=EIO:when=2;53;unable to write the drop file: $E_IO;0
pwrite64:error=EIO;53;unable to write the drop file: $E_IO;0
fsync:error=EIO;53;unable to commit the drop file: $E_IO;0
fsync:error=ENOSPC;53;unable to commit the drop file: No space left on device;0
rename,renameat,renameat2:error=EIO;53;unable to commit the drop file: $E_IO;0
rename,renameat,renameat2:error=ENOSPC;53;unable to commit the drop file: No space left on device;0
openat:error=EMFILE:when=$create+;63;unable to create a drop file in .*: $E_MFILE;0
openat:error=ENOSPC:when=$create+;53;unable to create a drop file in .*: No space left on device;0
openat:error=EDQUOT:when=$create+;53;unable to create a drop file in .*: $E_DQUOT;0
$control_call:error=EMFILE:when=$control;55;unable to read the control files;0;2
fsync:error=EIO:when=2;53;unable to commit the drop file: $E_IO;1
EOF
	n=0
	ambiguous=0
	while IFS=';' read -r spec code line visible lines; do
		n=$((n + 1))
		fi_big "f$n" > "sent/f$n"
		echo "case $n: $spec"
		# the earlier retries wait in drop/ (sched is not running)
		ls -A "$drop" > before
		atf_check -s exit:"$code" -e save:err $FI_STRACE -o "trace$n" \
		    -e inject="$spec" "$QPOST_LIBEXEC/qinject" alice@example.test \
		    < "sent/f$n"
		fi_injected "trace$n"
		fi_one_line err "^qinject: .*$line" "${lines:-1}"
		if [ "$visible" = 1 ]; then
			# reported failed, but committed: it must be whole
			# (the audit after delivery checks it byte for byte)
			ls -A "$drop" > after
			atf_check -o match:'^[0-9a-f]{16}$' comm -13 before after
			echo "f$n" >> accepted
			ambiguous=$((ambiguous + 1))
		else
			ls -A "$drop" > after
			atf_check -o inline:"" comm -13 before after
			echo "f$n" >> refused
		fi
		# the next try works
		fi_big "r$n" > "sent/r$n"
		atf_check "$QPOST_LIBEXEC/qinject" alice@example.test \
		    < "sent/r$n"
		echo "r$n" >> accepted
	done < cases
	[ "$ambiguous" = 1 ] || atf_fail "the directory fsync case did not" \
	    "leave its committed file"
	qp_start
	qp_wait_for "$(wc -l < accepted)" "$QP_DIR/home/alice/Maildir/new" 60
	qp_wait_queue_empty 30
	atf_check -o match:"duplicates=0 missing=0 corrupt=0 phantom=0" \
	    "$(qp_top)/tests/audit.py" --sent sent --accepted accepted \
	    --refused refused --maildir "$QP_DIR/home/alice/Maildir"
	qp_stop
	qp_queue_clean
}
qinject_errno_cleanup() {
	qp_stop
}

atf_test_case qinject_shortwrite cleanup
qinject_shortwrite_head() {
	atf_set "descr" "qinject under libfiu's short writes (write and" \
	    "pwrite return less than asked, half the time): the message is" \
	    "queued intact"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "fiu-run /usr/bin/python3"
	atf_set "timeout" "60"
}
qinject_shortwrite_body() {
	qp_instance "$PWD/inst"
	# fiu's preload wraps write before the ASan runtime is up: under
	# make SANITIZE=1 qinject dies of a segmentation fault in it (the
	# plain build of CI's second pass runs this case)
	! qp_sanitized || atf_skip "libfiu's preload cannot run a sanitizer build"
	# and it is built for glibc: qinject may be built with musl, so its
	# glibc build qinject-nss (the same code) takes the short writes
	qi=$QPOST_LIBEXEC/qinject-nss
	mkdir sent
	: > accepted
	i=0
	while [ $i -lt 5 ]; do
		fi_big "s$i" > "sent/s$i"
		atf_check fiu-run -x -c \
		    'enable_random name=posix/io/rw/write/reduce,probability=0.5' \
		    -c 'enable_random name=posix/io/rw/pwrite/reduce,probability=0.5' \
		    "$qi" alice@example.test < "sent/s$i"
		echo "s$i" >> accepted
		i=$((i + 1))
	done
	qp_start
	qp_wait_for 5 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_queue_empty 30
	atf_check -o match:"delivered=5 duplicates=0 missing=0 corrupt=0" \
	    "$(qp_top)/tests/audit.py" --sent sent --accepted accepted \
	    --maildir "$QP_DIR/home/alice/Maildir"
	qp_stop
}
qinject_shortwrite_cleanup() {
	qp_stop
}

atf_test_case local_errno
local_errno_head() {
	atf_set "descr" "local into a Maildir with EIO, ENOSPC, EDQUOT on" \
	    "write, fsync (file and new/) and rename, EMFILE on openat: exit" \
	    "111, one result line with a 4.x.x code, nothing in new/ or" \
	    "tmp/, and the next try delivers"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace /usr/bin/python3"
	atf_set "timeout" "60"
}
local_errno_body() {
	mkdir -p home/Maildir/tmp home/Maildir/new home/Maildir/cur
	md=$PWD/home/Maildir
	LOCAL=$(qp_top)/build/libexec/local
	fi_big l1 > m
	set -- -s sender@example.test -r alice@example.test -d "$PWD/home"
	atf_check -o ignore -e ignore $FI_STRACE -o probe.trace \
	    -e inject=fsync:delay_enter=1 "$LOCAL" "$@" < m
	create=$(fi_nth probe.trace 'Maildir/tmp|openat\([0-9]+, "[0-9]+\.M')
	[ -n "$create" ] || atf_fail "no tmp/ file in probe.trace"
	rm -f "$md"/new/*
	cat > cases <<EOF
write:error=ENOSPC:when=1|4.3.1|No space left on device
write:error=EDQUOT:when=2|4.2.2|Disk quota exceeded
write:error=EIO:when=3|4.3.0|Input/output error
fsync:error=EIO|4.3.0|Input/output error
fsync:error=EIO:when=2|4.3.0|Input/output error
rename,renameat,renameat2:error=EIO|4.3.0|Input/output error
rename,renameat,renameat2:error=ENOSPC|4.3.1|No space left on device
openat:error=EMFILE:when=$create+|4.3.0|Too many open files
openat:error=ENOSPC:when=$create+|4.3.1|No space left on device
EOF
	n=0
	while IFS='|' read -r spec code why; do
		n=$((n + 1))
		echo "case $n: $spec"
		atf_check -s exit:111 -o save:out -e ignore $FI_STRACE \
		    -o "trace$n" -e inject="$spec" "$LOCAL" "$@" < m
		fi_injected "trace$n"
		fi_one_line out "^$code <alice@example.test>: .*$why"
		atf_check -o inline:"" find "$md/new" "$md/tmp" -mindepth 1
		atf_check -o ignore -e ignore "$LOCAL" "$@" < m
		atf_check -o inline:"1\n" sh -c "ls '$md/new' | wc -l"
		atf_check -o inline:"" find "$md/tmp" -mindepth 1
		rm -f "$md"/new/*
	done < cases
}

atf_test_case qcdb_errno
qcdb_errno_head() {
	atf_set "descr" "qcdb with EIO, ENOSPC on write, fsync and rename," \
	    "EMFILE on openat: exit 111 with one log line, the old cdb in" \
	    "place and untouched, no temporary file left, the next run" \
	    "builds the new one"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace"
	atf_set "timeout" "60"
}
qcdb_errno_body() {
	mkdir control
	export QPOST_CONTROL=$PWD/control
	QCDB=$(qp_top)/build/libexec/qcdb
	echo "alice:1000:1000:/home/alice" > control/users
	atf_check -o ignore -e ignore "$QCDB" users
	cp control/users.cdb good.cdb
	# the new source has many lines, so the cdb takes several writes
	/usr/bin/python3 -c '
for i in range(3000):
    print("user%d:%d:%d:/home/user%d" % (i, 1000 + i, 1000, i))' \
	    > control/users
	atf_check -o ignore -e ignore $FI_STRACE -o probe.trace \
	    -e inject=fsync:delay_enter=1 "$QCDB" users
	create=$(fi_nth probe.trace 'users\.cdb\.tmp", .*O_CREAT')
	[ -n "$create" ] || atf_fail "no users.cdb.tmp in probe.trace"
	cp control/users.cdb new.cdb
	cat > cases <<EOF
write:error=ENOSPC:when=1|No space left on device
write:error=EIO:when=3|Input/output error
fsync:error=EIO|Input/output error
rename,renameat,renameat2:error=EIO|Input/output error
openat:error=EMFILE:when=$create+|Too many open files
openat:error=ENOSPC:when=$create+|No space left on device
EOF
	n=0
	while IFS='|' read -r spec why; do
		n=$((n + 1))
		echo "case $n: $spec"
		cp good.cdb control/users.cdb
		atf_check -s exit:111 -e save:err $FI_STRACE -o "trace$n" \
		    -e inject="$spec" "$QCDB" users
		fi_injected "trace$n"
		fi_one_line err "^qcdb: .*users.*$why"
		cmp control/users.cdb good.cdb ||
		    atf_fail "case $n: the old cdb was changed"
		atf_check -o inline:"control/users\ncontrol/users.cdb\n" \
		    sh -c 'ls -d control/*'
		atf_check -o ignore -e ignore "$QCDB" users
		cmp control/users.cdb new.cdb ||
		    atf_fail "case $n: the next run built a different cdb"
	done < cases
}

atf_test_case sched_errno cleanup
sched_errno_head() {
	atf_set "descr" "the running sched with EIO or ENOSPC on each write," \
	    "fsync, rename and unlink of its queue files in one message's" \
	    "pickup, commit and removal, and EMFILE on its openat: a log" \
	    "line naming the message, nothing half-done, the message kept" \
	    "and delivered once the fault is gone, and a clean queue"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace /usr/bin/python3"
	atf_set "timeout" "120"
}
# sched_errno_run CASES - one message through the running sched for
# each line of the file CASES (spec | the log line | phase), with
# strace's fault injected; the message is kept and delivered once the
# fault is gone, and the queue is clean at the end.
sched_errno_run() {
	qp_instance "$PWD/inst"
	md=$QP_DIR/home/alice/Maildir
	q=$QPOST_QUEUE
	mkdir sent
	: > accepted
	# no spare drop files (a file where spare/ would be): each drop file
	# is new and removed, so the counts below do not hang on which of a
	# uid's spare slots happen to be full (spare_test covers those)
	: > "$q/spare"
	qp_start
	n=0
	while IFS='|' read -r spec line phase; do
		n=$((n + 1))
		echo "case $n: $spec"
		{ qp_msg "e$n"; seq $((n * 10)) 400; } > "sent/e$n"
		have=$(qp_nfiles "$md/new")
		fi_attach "$spec" "trace$n"
		fi_inject "sent/e$n" || atf_fail "case $n: qinject failed"
		echo "e$n" >> accepted
		qp_deadline_loop 10 grep -q INJECTED "trace$n" ||
		    qp_fail "case $n: strace injected nothing" "trace$n"
		qp_wait_log "sched: .*id=$FI_ID $line.*: [A-Z]" 10
		if [ "$phase" = pickup ]; then
			# kept in drop/, and nothing of it anywhere else
			atf_check -o inline:"$FI_ID\n" ls "$q/drop"
			atf_check -o inline:"" find "$q/mess" "$q/env" \
			    "$q/tmp" -mindepth 1 ! -name 'p[me].*'
		fi
		fi_detach
		if [ "$phase" = restart ]; then
			qp_stop
			qp_start
		fi
		# the fault is gone: the next wake-up (a trigger, or the
		# timer) finishes the job
		qp_trigger
		qp_wait_for "$((have + 1))" "$md/new" 30
		qp_wait_queue_empty 30
	done < "$1"
	qp_stop
	# each delivered once, intact
	atf_check -o match:"duplicates=0 missing=0 corrupt=0 phantom=0" \
	    "$(qp_top)/tests/audit.py" --sent sent --accepted accepted \
	    --maildir "$md"
	# a restart with cleanup on leaves a clean queue, and delivers
	# nothing again
	qp_queue_clean
	atf_check -o match:"duplicates=0 missing=0 corrupt=0 phantom=0" \
	    "$(qp_top)/tests/audit.py" --sent sent --accepted accepted \
	    --maildir "$md"
}
sched_errno_body() {
	# the commit path alone: no message is delivered before its commit
	export QPOST_EXPRESS_MAX=0
	# one message's calls, as a run without faults shows them (after
	# the attach), from the second case on, when sched has the files
	# of the message before in its pools (tmp/pm.N, tmp/pe.N), which
	# it writes where they are (the log still names them tmp/m.ID and
	# tmp/e.ID): write 1 the message file, 2 the envelope, 3 log, 4
	# the request to lspawn, 5 to 7 log; ftruncate 1 cuts the pooled
	# message file to length before it is started to disk (each
	# message here is shorter than the one before, so there is
	# something to cut);
	# fsync 1 to 4 the pickup (file, mess/, file, env/); renameat 1
	# into mess/, 2 into env/, 3 and 4 env/ and mess/ to the pools
	# (or, if that fails, unlinkat 2 each); unlinkat 1 drop/; openat 1
	# the drop file, 2 and 3 the pooled files (and, if one cannot be
	# opened, new files).  A finished message's env is not written
	# again before it is removed.  strace counts each system call
	# apart: renameat's when=N is the Nth renameat.
	# spec | the log line | pickup: the fault keeps it in drop/;
	# restart: its env/ (saying done) or mess/ stay until a restart
	cat > cases <<'EOF'
write:error=ENOSPC:when=1|unable to write tmp/m\.|pickup
write:error=EIO:when=2|unable to write tmp/e\.|pickup
ftruncate:error=EIO:when=1|unable to write tmp/m\.|pickup
fsync:error=EIO:when=1|unable to commit mess/|pickup
fsync:error=EIO:when=2|unable to sync mess/|pickup
fsync:error=EIO:when=3|unable to commit env/|pickup
fsync:error=EIO:when=4|unable to sync env/|pickup
rename,renameat,renameat2:error=EIO:when=1|unable to commit mess/|pickup
rename,renameat,renameat2:error=ENOSPC:when=2|unable to commit env/|pickup
unlink,unlinkat:error=EIO:when=1|unable to remove drop/|after
rename,renameat,renameat2:error=EIO:when=3;unlink,unlinkat:error=EIO:when=2|unable to remove env/|restart
rename,renameat,renameat2:error=EIO:when=4;unlink,unlinkat:error=EIO:when=2|unable to remove mess/|restart
openat:error=EMFILE:when=2+|unable to create tmp/m\.|pickup
openat:error=EMFILE:when=3+|unable to write tmp/e\.|pickup
EOF
	sched_errno_run cases
}
sched_errno_cleanup() {
	. "$(atf_get_srcdir)/faults.sh"
	fi_detach
	qp_stop
}

atf_test_case sched_errno_express cleanup
sched_errno_express_head() {
	atf_set "descr" "as sched_errno, for a message delivered before its" \
	    "commit (sched_express.c): EIO or ENOSPC on the write, cut and" \
	    "rename of its message file, on the removal of its drop file" \
	    "and of its message file, and EMFILE on its openat"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace /usr/bin/python3"
	atf_set "timeout" "120"
}
sched_errno_express_body() {
	# one message's calls, counted as in sched_errno: write 1 the
	# message file, 2 log, 3 the request to lspawn, then log;
	# ftruncate 1 cuts the pooled message file to length once it is
	# written, before its time is set; renameat 1 into mess/ (no
	# fsync: nothing is synced on this path), 2 mess/ to the pool
	# (or, if that fails, unlinkat 3); unlinkat 1 drop/ once
	# delivered, 2 env/ (there is none); openat 1 the drop file, 2
	# the pooled message file (or a new one, if it cannot be opened)
	cat > cases <<'EOF'
write:error=ENOSPC:when=1|unable to write tmp/m\.|pickup
ftruncate:error=EIO:when=1|unable to write tmp/m\.|pickup
rename,renameat,renameat2:error=EIO:when=1|unable to move tmp/m\..* into mess/|pickup
unlink,unlinkat:error=EIO:when=1|unable to remove drop/|after
rename,renameat,renameat2:error=EIO:when=2;unlink,unlinkat:error=EIO:when=3|unable to remove mess/|restart
openat:error=EMFILE:when=2+|unable to create tmp/m\.|pickup
EOF
	sched_errno_run cases
}
sched_errno_express_cleanup() {
	. "$(atf_get_srcdir)/faults.sh"
	fi_detach
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case sched_errno
	atf_add_test_case sched_errno_express
	atf_add_test_case qinject_errno
	atf_add_test_case qinject_shortwrite
	atf_add_test_case local_errno
	atf_add_test_case qcdb_errno
}
