#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Durability: the order of qinject's system calls, and sched killed
# with SIGKILL at random moments during a burst of injections.

. "$(atf_get_srcdir)/../lib.sh"

atf_test_case syscall_order cleanup
syscall_order_head() {
	atf_set "descr" "qinject writes, fsyncs the drop file, renames it," \
	    "fsyncs drop/, and only then exits 0: in a new file, and over" \
	    "a spare drop file (queue_spare.h)"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace"
	atf_set "timeout" "60"
}
# check_order TRACE HOW - the order of qinject's calls in TRACE, where
# HOW is create (a new drop file) or reuse (a spare taken and cut)
check_order() {
	atf_check -o inline:"ok\n" /usr/bin/python3 - "$1" "$2" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
how = sys.argv[2]
fdir = ffile = None
events = []
for l in lines:
    m = re.search(r'openat\(AT_FDCWD, "[^"]*/drop", .*\) = (\d+)', l) or \
        re.search(r'openat\(\d+, "drop", .*\) = (\d+)', l)
    if m:
        fdir = m.group(1)
    if re.search(r'renameat2\(\d+, "\d+\.\d+", \d+, "[0-9a-f]{16}\.tmp", '
                 r'RENAME_NOREPLACE\) = 0', l):
        events.append("take")
    m = re.search(r'openat\((\d+), "([0-9a-f]{16})\.tmp", (.*)\) = (\d+)', l)
    if m:
        ffile = m.group(4)
        events.append("create" if "O_CREAT" in m.group(3) else "open")
    if ffile and re.search(r'\b(write|pwrite64)\(%s,' % ffile, l):
        events.append("write")
    if ffile and re.search(r'\bftruncate\(%s,' % ffile, l):
        events.append("cut")
    if ffile and re.search(r'fsync\(%s\)' % ffile, l):
        events.append("fsync-file")
    if re.search(r'rename(at2?)?\(.*\.tmp".*"[0-9a-f]{16}"', l):
        events.append("rename")
    if fdir and re.search(r'fsync\(%s\)' % fdir, l):
        events.append("fsync-dir")
    if "exit_group(0)" in l:
        events.append("exit0")
# collapse repeats, then the last of each must come in order
order = ["create", "write", "fsync-file", "rename", "fsync-dir", "exit0"]
if how == "reuse":
    order = ["take", "open", "write", "cut", "fsync-file", "rename",
             "fsync-dir", "exit0"]
    if "create" in events:
        print("a new file beside the spare:", events)
        sys.exit(1)
pos = [max(i for i, e in enumerate(events) if e == k) if k in events else -1
       for k in order]
if -1 in pos or pos != sorted(pos):
    print("bad order:", events)
    sys.exit(1)
# nothing written to the file after its fsync
last_write = max(i for i, e in enumerate(events) if e == "write")
if last_write > pos[order.index("fsync-file")]:
    print("write after fsync:", events)
    sys.exit(1)
print("ok")
PY
}
syscall_order_body() {
	qp_instance "$PWD/inst"
	qp_msg s1 > m
	# LeakSanitizer cannot run under ptrace: a sanitizer build skips it
	export ASAN_OPTIONS=detect_leaks=0
	calls=openat,write,pwrite64,ftruncate,fsync,fdatasync,rename,renameat
	calls=$calls,renameat2,exit_group
	atf_check strace -f -o trace.txt -e trace=$calls \
	    "$QPOST_LIBEXEC/qinject" alice@example.test < m
	check_order trace.txt create
	# spares longer than the message in every slot, all 256 of them
	# (SPARE_SLOTS; qinject probes them at random): what it held must
	# not survive
	rm "$QPOST_QUEUE"/drop/*
	mkdir -m 1777 "$QPOST_QUEUE/spare"
	i=0
	while [ $i -lt 256 ]; do
		head -c 20000 /dev/zero > "$QPOST_QUEUE/spare/$(id -u).$i"
		i=$((i + 1))
	done
	atf_check strace -f -o trace2.txt -e trace=$calls \
	    "$QPOST_LIBEXEC/qinject" alice@example.test < m
	check_order trace2.txt reuse
	atf_check -o inline:"255\n" sh -c "ls -A '$QPOST_QUEUE/spare' | wc -l"
	[ "$(cat "$QPOST_QUEUE"/drop/* | wc -c)" -lt 2000 ] ||
	    atf_fail "a drop file kept the spare's old length"
}
syscall_order_cleanup() {
	qp_stop
}

atf_test_case kill_sched cleanup
kill_sched_head() {
	atf_set "descr" "sched killed with SIGKILL at random moments during" \
	    "a burst: every acknowledged message is delivered, none" \
	    "partially, and the queue ends empty and clean"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "300"
}
kill_sched_body() {
	qp_instance "$PWD/inst"
	echo 1 > "$QPOST_CONTROL/retrymin"
	qp_start
	mkdir sent
	n=150
	qp_sanitized && n=60	# ASan: each process ~80 ms more (CI's budget)
	i=0
	while [ $i -lt $n ]; do
		qp_msg "k$i" > "sent/k$i"
		i=$((i + 1))
	done
	# the burst: n injections, 10 at a time
	(
		i=0
		while [ $i -lt $n ]; do
			j=0
			while [ $j -lt 10 ]; do
				( "$QPOST_LIBEXEC/qinject" alice@example.test \
				    < "sent/k$i" && echo "k$i" > "acc.k$i" ) &
				i=$((i + 1))
				j=$((j + 1))
			done
			wait
		done
	) &
	burst=$!
	kills=0
	while kill -0 $burst 2>/dev/null && [ $kills -lt 15 ]; do
		/usr/bin/python3 -c 'import random, time; time.sleep(random.uniform(0.02, 0.3))'
		qp_kill_sched
		kills=$((kills + 1))
		qp_start
	done
	wait $burst
	cat acc.* > accepted
	echo "kills=$kills accepted=$(wc -l < accepted)"
	qp_wait_for "$(wc -l < accepted)" "$QP_DIR/home/alice/Maildir/new" 120
	qp_wait_queue_empty 120
	# a kill repeats at most the deliveries under way: concurrencylocal
	atf_check -o save:audit.out \
	    "$(qp_top)/tests/audit.py" --sent sent --accepted accepted \
	    --maildir "$QP_DIR/home/alice/Maildir" \
	    --max-dups "$((kills * 10))"
	cat audit.out
	# a clean queue: restart once more with cleanup on, nothing is left
	qp_stop
	qp_queue_clean
}
kill_sched_cleanup() {
	qp_stop
}

atf_test_case recovery cleanup
recovery_head() {
	atf_set "descr" "sched started on the leftovers of a crash removes" \
	    "half-written files, finishes a committed pickup, and delivers"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
recovery_body() {
	qp_instance "$PWD/inst"
	q=$QPOST_QUEUE
	mkdir sent
	qp_msg r1 > sent/r1
	echo r1 > accepted
	# a committed drop file, as qinject leaves it
	atf_check "$QPOST_LIBEXEC/qinject" alice@example.test < sent/r1
	id=$(ls "$q/drop")
	# a pickup that died after writing mess/: redone from drop/
	cp sent/r1 "$q/mess/$id"
	# sched's half-written files, and an orphan message file
	echo partial > "$q/tmp/m.0123456789abcdef"
	echo orphan > "$q/mess/fedcba9876543210"
	# an injection that died before committing, long ago
	echo partial > "$q/drop/00000000000000aa.tmp"
	touch -d '3 days ago' "$q/drop/00000000000000aa.tmp"
	qp_start
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_queue_empty 30
	qp_queue_files > queue.left
	atf_check -o inline:"" cat queue.left
	atf_check -o match:"recovery: removed tmp/m.0123456789abcdef" \
	    -o match:"recovery: removed mess/fedcba9876543210" \
	    -o match:"stale drop file removed: name=00000000000000aa.tmp" \
	    cat "$QP_DIR/log"
	atf_check -o match:"delivered=1 duplicates=0 missing=0 corrupt=0" \
	    "$(qp_top)/tests/audit.py" --sent sent --accepted accepted \
	    --maildir "$QP_DIR/home/alice/Maildir"
}
recovery_cleanup() {
	qp_stop
}

# inject_group FIRST LAST - messages gFIRST to gLAST for alice, each
# kept in sent/ and listed as accepted
inject_group() {
	for i in $(seq "$1" "$2"); do
		qp_msg "g$i" > "sent/g$i"
		echo "g$i" >> accepted
		atf_check "$QPOST_LIBEXEC/qinject" alice@example.test \
		    < "sent/g$i"
	done
}

atf_test_case sched_group_commit cleanup
sched_group_commit_head() {
	atf_set "descr" "sched takes five waiting drop files in as one group:" \
	    "each message file fsynced before its rename, mess/ synced once" \
	    "before any envelope is renamed, env/ synced once before any" \
	    "drop file is removed; and five more, written over the first" \
	    "five's pooled files, in the same order"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "strace"
	atf_set "timeout" "90"
}
sched_group_commit_body() {
	# the commit path alone: no message is delivered before its commit
	export QPOST_EXPRESS_MAX=0
	qp_instance "$PWD/inst"
	mkdir sent
	inject_group 1 5
	# no -f: only sched is traced (lspawn's children get a clean
	# environment, and LeakSanitizer cannot run under ptrace)
	export ASAN_OPTIONS=detect_leaks=0
	strace -o trace.txt \
	    -e trace=openat,fsync,fdatasync,rename,renameat,renameat2,unlinkat \
	    "$QPOST_LIBEXEC/qpost-start" </dev/null >>"$QP_DIR/log" 2>&1 &
	echo $! > strace.pid
	qp_wait_for 5 "$QP_DIR/home/alice/Maildir/new" 60
	qp_wait_queue_empty 30
	# their files are in the pools now: five more are written over them
	inject_group 6 10
	qp_wait_for 10 "$QP_DIR/home/alice/Maildir/new" 60
	qp_wait_queue_empty 30
	# strace's child became sched: stop it, and strace ends with it
	kill -TERM "$(ps -o pid= --ppid "$(cat strace.pid)" | head -n 1)"
	qp_deadline_loop 30 sh -c "! kill -0 $(cat strace.pid) 2>/dev/null" ||
	    atf_fail "sched did not stop"
	atf_check -o inline:"ok\n" /usr/bin/python3 - trace.txt <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
names = {}                          # fd -> what it was opened as, last
src = {}                            # (m or e, id) -> the name renamed
ev = []
for call in lines:                  # sched's calls (qpost-start's first)
    m = re.match(r'openat\(\d+, "([^"]+)", .*\)\s+= (\d+)$', call)
    if m:
        names[m.group(2)] = m.group(1)
        continue
    m = re.match(r'f(?:data)?sync\((\d+)\)', call)
    if m:
        ev.append(("fsync", names.get(m.group(1), "?")))
        continue
    # into place: from tmp/m.ID or tmp/e.ID, or from a pooled file
    m = re.match(r'renameat2?\(\d+, "(p?([me])\.\w+)", \d+, '
                 r'"([0-9a-f]{16})"\)\s+= 0', call)
    if m:
        ev.append(("rename-" + m.group(2), m.group(3)))
        src[(m.group(2), m.group(3))] = m.group(1)
        continue
    # the drop file leaves drop/: removed, or kept in spare/
    m = re.match(r'unlinkat\(\d+, "([0-9a-f]{16})", 0\)\s+= 0', call) or \
        re.match(r'renameat2\(\d+, "([0-9a-f]{16})", \d+, "\d+\.\d+", '
                 r'RENAME_NOREPLACE\)\s+= 0', call)
    if m:
        ev.append(("unlink", m.group(1)))
ids = [x for k, x in ev if k == "rename-m"]
def pos(kind, x):
    return [i for i, e in enumerate(ev) if e == (kind, x)]
bad = []
if len(ids) != 10 or len(set(ids)) != 10:
    bad.append("%d messages renamed into mess/" % len(ids))
if not any(src[("m", x)].startswith("pm.") for x in ids[5:]):
    bad.append("no message file of the second five was a pooled one")
# the first pickup: up to the last envelope of the group renamed in
end = max(pos("rename-e", x)[0] for x in ids[:5]) if ids else 0
mdir = [i for i, e in enumerate(ev[:end + 1]) if e == ("fsync", "mess")]
if len(mdir) != 1:
    bad.append("mess/ synced %d times for the group" % len(mdir))
mdir = [i for i, e in enumerate(ev) if e == ("fsync", "mess")]
edir = [i for i, e in enumerate(ev) if e == ("fsync", "env")]
for x in ids:
    rm, re_ = pos("rename-m", x)[0], pos("rename-e", x)[0]
    fm = [i for i in pos("fsync", src[("m", x)]) if i < rm]
    fe = [i for i in pos("fsync", src[("e", x)]) if i < re_]
    un = pos("unlink", x)
    if not fm:
        bad.append(x + ": message file not fsynced before its rename")
    if not [i for i in mdir if rm < i < re_]:
        bad.append(x + ": envelope renamed before mess/ was synced")
    if not fe:
        bad.append(x + ": envelope not fsynced before its rename")
    after = [i for i in edir if i > re_]
    if not un or not after or after[0] > un[0]:
        bad.append(x + ": drop file removed before env/ was synced")
print("\n".join(bad) if bad else "ok")
PY
	atf_check -o match:"delivered=10 duplicates=0 missing=0 corrupt=0" \
	    "$(qp_top)/tests/audit.py" --sent sent --accepted accepted \
	    --maildir "$QP_DIR/home/alice/Maildir"
}
sched_group_commit_cleanup() {
	[ -f strace.pid ] && kill -TERM "$(cat strace.pid)" 2>/dev/null
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case recovery
	atf_add_test_case syscall_order
	atf_add_test_case kill_sched
	atf_add_test_case sched_group_commit
}
