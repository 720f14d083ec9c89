#!/bin/sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# bench.sh - "make bench": qpost against Postfix on this machine, side
# by side (issue 10).  Run as root from the top of a built tree:
#
#	make bench			# the full run, ~15 minutes
#	BENCH_SCALE=0.1 BENCH_ROUNDS=1 make bench	# a quick look
#
# Sets up in a fresh folder under /var/tmp (BENCH_DIR to choose one):
#
#   - a private Postfix (Debian's package: its own config_directory,
#     queue_directory, data_directory; smtpd on a loopback port of its
#     own; the system instance in /etc/postfix is never touched) whose
#     domain bench.test is delivered by local(8) into the Maildir of the
#     account qpbench (home_mailbox = Maildir/; local(8) fsyncs each
#     file, as Debian ships it);
#   - a single-user qpost (tests/lib.sh's instance, run as qptest:
#     qpost-start, sched, lspawn, rspawn; smtpd -L, its own listener,
#     or with BENCH_QP_TCPSERVER=1 smtpd under tcpserver) whose
#     domain bench.test (control/virtualdomains) is delivered by local
#     into the Maildir of its user bench (local fsyncs the file and
#     new/).
#
# Every local part of bench.test goes to that one mailbox in both
# (Postfix: a regexp virtual alias to bench+N@localhost; qpost: the
# virtual domain's prefix bench, so N@bench.test is bench+N), because
# the load uses smtp-source -N, a different recipient each message, as
# real traffic does; Postfix's local_destination_concurrency_limit (2
# per recipient) would otherwise serialise a single-recipient load.
#
# Each MTA runs in a cgroup v2 of its own: its CPU is the cgroup's
# cpu.stat usage_usec, its memory the PSS of the cgroup's processes,
# sampled every 15 ms by tests/bench/benchmon.  The loads, each run
# BENCH_ROUNDS times (3) interleaved Postfix, qpost, Postfix, qpost...:
#
#   4k10, 4k50	5000 messages of 4 KiB, 10 / 50 parallel sessions, one
#		recipient, a new connection per message (smtp-source)
#   100k10, 100k50  2000 messages of 100 KiB, 10 / 50 sessions
#   rcpt1000	one message to 1000 recipients
#   inject	5000 messages of 4 KiB injected locally, 10 at a time
#		(qinject as qptest; Postfix's sendmail as root: its
#		setgid postdrop refuses a private config_directory to
#		other users); the injectors run inside the MTA's cgroup
#
# plus the disk's limit (tests/bench/diskbench, one and ten writers)
# and the price of a process (tests/bench/spawnbench).
# Counts are multiplied by BENCH_SCALE (1); BENCH_TESTS picks loads,
# BENCH_KEEP=1 keeps the folder, BENCH_HOLD=1 pauses before the end for
# a profiler (see below), BENCH_QP_TCPSERVER=1 runs qpost's smtpd under
# tcpserver instead of its own listener (smtpd -L), to compare the two,
# and BENCH_QP_LOCALWORKERS=N writes qpost's control/localworkers (0:
# an exec of local per delivery, no workers).  The table goes to stdout
# and into BENCHMARKS.md (BENCH_OUT), via tests/bench/report.py.

set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
top=$(cd "$(dirname "$0")/../.." && pwd -P)
bin=$top/build/bench
# pf_master_common: the master.cf services the tests' instances run
. "$top/tests/postfix.sh"
SCALE=${BENCH_SCALE:-1}
ROUNDS=${BENCH_ROUNDS:-3}
OUT=${BENCH_OUT:-$top/BENCHMARKS.md}
PSS_MS=${BENCH_PSS_MS:-15}
QP_USER=qptest
PF_OWNER=qppostfix
PF_RCPT=qpbench

die() {
	echo "bench: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root (Postfix starts as root;" \
    "cgroups need it)"
for p in postfix smtp-source tcpserver; do
	command -v $p >/dev/null 2>&1 ||
	    die "no $p: sh .ci/need check installs postfix and ucspi-tcp"
done
[ -x "$top/build/libexec/smtpd" ] || die "qpost is not built: run make"
[ -x "$bin/benchmon" ] && [ -x "$bin/diskbench" ] &&
    [ -x "$bin/spawnbench" ] ||
    die "no $bin/benchmon: run make bench"

# n SCALE-multiplied count, at least 1
n() {
	awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s + 0.5);
	    print v < 1 ? 1 : v }'
}

# ---- the folder, the accounts, the cgroups -------------------------

CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$CGROOT" ] && [ -w "$CGROOT" ] ||
    die "no writable cgroup v2 mount (tried /proc/mounts)"
BASE=${BENCH_DIR:-$(mktemp -d /var/tmp/qpbench.XXXXXX)} ||
    die "mktemp failed"
mkdir -p "$BASE" && chmod 0755 "$BASE" || die "cannot make $BASE"
CG_PF=$CGROOT/qpbench-$$-postfix
CG_QP=$CGROOT/qpbench-$$-qpost
PF=$BASE/pf
Q=$BASE/q

for u in $QP_USER $PF_OWNER; do
	id "$u" >/dev/null 2>&1 || useradd --system --no-create-home \
	    --shell /usr/sbin/nologin "$u" || die "cannot make account $u"
done
# local(8) reads the home from passwd: point qpbench's at this run
if id "$PF_RCPT" >/dev/null 2>&1; then
	usermod -d "$BASE/pfhome" "$PF_RCPT" || die "usermod $PF_RCPT"
else
	useradd --system --no-create-home --home-dir "$BASE/pfhome" \
	    --shell /usr/sbin/nologin "$PF_RCPT" || die "useradd $PF_RCPT"
fi
getent group postdrop >/dev/null || die "no group postdrop"

# cg_busy CG - whether the cgroup still holds a process (its files
# always show size 0: test -s cannot tell)
cg_busy() {
	[ -n "$(cat "$1/cgroup.procs" 2>/dev/null)" ]
}

cleanup() {
	trap - EXIT INT TERM
	if [ -f "$PF/etc/main.cf" ]; then
		postfix -c "$PF/etc" stop >/dev/null 2>&1
	fi
	if [ -s "$Q/inst/pids" ]; then
		for p in $(cat "$Q/inst/pids"); do
			case $(readlink "/proc/$p/exe" 2>/dev/null) in
			"$top"/*|*/tcpserver) kill -TERM "$p" 2>/dev/null ;;
			esac
		done
	fi
	# wait for both trees to empty (postfix stop returns early), then
	# KILL what a cgroup still holds: only this run's processes
	for cg in "$CG_PF" "$CG_QP"; do
		[ -d "$cg" ] || continue
		i=0
		while cg_busy "$cg" && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		cg_busy "$cg" && echo 1 > "$cg/cgroup.kill"
		i=0
		while cg_busy "$cg" && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		rmdir "$cg" 2>/dev/null ||
		    echo "bench: could not remove the cgroup $cg" >&2
	done
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$BASE"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir "$CG_PF" "$CG_QP" || die "cannot make cgroups under $CGROOT"

# in_cg CGROUP COMMAND... - run COMMAND (and all it starts) in CGROUP
in_cg() {
	_cg=$1
	shift
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' \
	    in_cg "$_cg" "$@"
}

# ---- Postfix --------------------------------------------------------

pf_setup() {
	mkdir -p "$PF/etc" "$PF/spool" "$PF/data" "$BASE/pfhome/Maildir" ||
	    die "cannot make $PF"
	chown "$PF_OWNER" "$PF/data"
	mkdir -p "$BASE/pfhome/Maildir/tmp" "$BASE/pfhome/Maildir/new" \
	    "$BASE/pfhome/Maildir/cur"
	chown -R "$PF_RCPT" "$BASE/pfhome"
	chmod -R go-rwx "$BASE/pfhome/Maildir"
	PF_PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket();
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	# Debian's defaults but for: its own folders and log, no DNS and
	# no peer name lookups (qpost's smtpd does none either), the
	# domain bench.test aliased to the local user (see the top)
	cat > "$PF/etc/main.cf" <<EOM
# a private Postfix of qpost's benchmark: never the system instance
compatibility_level = 3.6
config_directory = $PF/etc
queue_directory = $PF/spool
data_directory = $PF/data
mail_owner = $PF_OWNER
setgid_group = postdrop
myhostname = mx.bench.test
mydomain = bench.test
myorigin = \$myhostname
mydestination = localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
home_mailbox = Maildir/
recipient_delimiter = +
virtual_alias_domains = bench.test
virtual_alias_maps = regexp:$PF/etc/virtual
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
biff = no
EOM
	printf '%s\n' \
	    '/^bench@bench\.test$/	qpbench@localhost' \
	    '/^(.+)@bench\.test$/	qpbench+$1@localhost' \
	    > "$PF/etc/virtual"
	{
		echo "127.0.0.1:$PF_PORT inet n - n - - smtpd"
		pf_master_common	# tests/postfix.sh's services
		echo "local     unix  - n n - - local"
	} > "$PF/etc/master.cf"
	# Postfix waits for a main.cf younger than a second or two to age
	touch -d '1 minute ago' "$PF/etc"/*
	in_cg "$CG_PF" postfix -c "$PF/etc" start > "$PF/start.out" 2>&1 ||
	    { cat "$PF/start.out" "$PF/maillog" >&2; die "postfix start"; }
	wait_port "$PF_PORT" || die "postfix not listening on $PF_PORT"
	PF_NEW=$BASE/pfhome/Maildir/new
}

wait_port() {
	/usr/bin/python3 -c '
import socket, sys, time
end = time.time() + 30
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)' "$1"
}

# ---- qpost ----------------------------------------------------------

qp_setup() {
	mkdir "$Q" && chown "$QP_USER" "$Q" || die "cannot make $Q"
	# tests/lib.sh's instance, as qp_as_user (tests/postfix.sh) makes
	# it, with the domain bench.test a virtual domain of user bench
	# shellcheck disable=SC2016 # expanded by the inner shell
	in_cg "$CG_QP" runuser -u "$QP_USER" -- env -i PATH=/usr/bin:/bin \
	    HOME="$Q" /bin/sh -c '
		srcdir=$1 base=$2
		cd "$base" || exit 1
		atf_fail() { echo "qp_setup: $*" >&2; exit 1; }
		atf_get_srcdir() { echo "$srcdir"; }
		. "$srcdir/../lib.sh"
		qp_instance "$base/inst" || exit 1
		mkdir -p "$QP_DIR/home/bench/Maildir/tmp" \
		    "$QP_DIR/home/bench/Maildir/new" \
		    "$QP_DIR/home/bench/Maildir/cur" || exit 1
		chmod -R go-rwx "$QP_DIR/home/bench/Maildir"
		echo "bench:$(id -u):$(id -g):$QP_DIR/home/bench" \
		    >> "$QPOST_CONTROL/users"
		echo "bench.test:bench" > "$QPOST_CONTROL/virtualdomains"
		# Postfix takes 1000 recipients a message (smtpd_recipient_limit)
		echo 1000 > "$QPOST_CONTROL/maxrcpt"
		[ -z "$4" ] || echo "$4" > "$QPOST_CONTROL/localworkers"
		"$QPOST_LIBEXEC/qcdb" users >>"$QP_DIR/qcdb.log" 2>&1 ||
		    exit 1
		qp_start || exit 1
		port=$(qp_free_port 127.0.0.1) || exit 1
		if [ "$3" = 1 ]; then
			# smtpd under tcpserver as control/services/run.tcp
			# runs it (5 nicer, as smtpd -L makes itself): env
			# once, before tcpserver (lib.sh'"'"'s
			# qp_smtpd_start puts an env exec into every
			# connection)
			(
				exec env QPOST_CONTROL="$QPOST_CONTROL" \
				    QPOST_QUEUE="$QPOST_QUEUE" \
				    QPOST_LIBEXEC="$QPOST_LIBEXEC" \
				    nice -n 5 tcpserver -q -R -H -c 100 127.0.0.1 \
				    "$port" "$QPOST_LIBEXEC/smtpd" </dev/null \
				    >/dev/null 2>>"$QP_DIR/smtpd.log" &
				echo $! > "$QP_DIR/smtpd.pid"
			)
		else
			# smtpd -L, its own listener (qpost-smtpd(8),
			# LISTENER): a fork per connection where tcpserver
			# costs a fork and an exec, and the exec the
			# relocation of the static LibreSSL and libc and
			# libcrypto start-up: ~7 ms CPU a connection here
			# (issue 10).  Same limit, same address.
			(
				exec env QPOST_CONTROL="$QPOST_CONTROL" \
				    QPOST_QUEUE="$QPOST_QUEUE" \
				    QPOST_LIBEXEC="$QPOST_LIBEXEC" \
				    "$QPOST_LIBEXEC/smtpd" -L "127.0.0.1:$port" \
				    -c 100 </dev/null >/dev/null \
				    2>>"$QP_DIR/smtpd.log" &
				echo $! > "$QP_DIR/smtpd.pid"
			)
		fi
		cat "$QP_DIR/smtpd.pid" >> "$QP_DIR/pids"
		qp_deadline_loop 30 qp_port_open 127.0.0.1 "$port" || exit 1
		echo "$port" > "$base/inst/port"
	    ' qp_setup "$top/tests/bench" "$Q" "${BENCH_QP_TCPSERVER:-0}" \
	    "${BENCH_QP_LOCALWORKERS:-}" > "$BASE/q.out" 2>&1 ||
	    { cat "$BASE/q.out" >&2; die "cannot start qpost"; }
	QP_PORT=$(cat "$Q/inst/port")
	QP_NEW=$Q/inst/home/bench/Maildir/new
}

# ---- the runs -------------------------------------------------------

# the 4 KiB message both injectors read: headers and a 4096-byte body
mkmsg() {
	{
		echo "From: sender@client.test"
		echo "To: bench@bench.test"
		echo "Subject: qpost bench"
		echo
		/usr/bin/python3 -c '
for i in range(64):
    print(("%04d " % i) + "x" * 58)'
	} > "$BASE/msg4k"
	chmod 0644 "$BASE/msg4k"
}

# load MTA TEST - the load of TEST against MTA: sets c (messages),
# copies (files expected in new/), CMD (a word list, no quoting needed)
# and BM_OPTS (benchmon's options for it)
load() {
	if [ "$1" = pf ]; then port=$PF_PORT; else port=$QP_PORT; fi
	src="smtp-source -4 -N -M client.test -f sender@client.test"
	src="$src -t bench@bench.test"
	BM_OPTS=
	case $2 in
	4k10)	c=$(n 5000); CMD="$src -s 10 -m $c -l 4096 127.0.0.1:$port"
		copies=$c ;;
	4k50)	c=$(n 5000); CMD="$src -s 50 -m $c -l 4096 127.0.0.1:$port"
		copies=$c ;;
	100k10)	c=$(n 2000); CMD="$src -s 10 -m $c -l 102400 127.0.0.1:$port"
		copies=$c ;;
	100k50)	c=$(n 2000); CMD="$src -s 50 -m $c -l 102400 127.0.0.1:$port"
		copies=$c ;;
	rcpt1000)
		c=1; copies=1000
		CMD="smtp-source -4 -M client.test -f sender@client.test"
		CMD="$CMD -t bench@bench.test -r 1000 -l 4096 127.0.0.1:$port" ;;
	inject)	c=$(n 5000); copies=$c
		BM_OPTS="-j -P 10 -N $c -I $BASE/msg4k"
		if [ "$1" = pf ]; then
			CMD="/usr/sbin/sendmail -C $PF/etc -i"
			CMD="$CMD -f sender@client.test %n@bench.test"
		else
			# benchmon becomes qptest itself (-u): no PAM
			# session of runuser counted as qpost's work
			BM_OPTS="$BM_OPTS -u $QP_USER"
			CMD="$top/build/libexec/qinject -f sender@client.test"
			CMD="$CMD %n@bench.test"
		fi ;;
	esac
}

# fresh_new DIR - DIR (a Maildir's new/) empty for the next run: the
# files of the last run are moved aside, and removed only with the rest
# at the end.  Removing them here would free thousands of inodes a
# moment before the run, and on ext4 without a journal every file
# created in that block group for the next minutes passes over each of
# them (recently_deleted() in fs/ext4/ialloc.c): the run would measure
# the bench's own cleanup rather than the MTA.
# (a folder of its own each time: fsync_probe runs in a subshell, where
# a counter would not count)
fresh_new() {
	mkdir -p "$BASE/spent" && _fn=$(mktemp -d "$BASE/spent/run.XXXXXX") &&
	    mv "$1" "$_fn/new" && mkdir "$1" &&
	    chown --reference="$_fn/new" "$1" &&
	    chmod --reference="$_fn/new" "$1" ||
	    die "unable to make $1 afresh"
}

# run MTA TEST ROUND - one measured run, its line into results
run() {
	if [ "$1" = pf ]; then
		cg=$CG_PF newdir=$PF_NEW
	else
		cg=$CG_QP newdir=$QP_NEW
	fi
	fresh_new "$newdir"
	load "$1" "$2"
	# qinject's environment; Postfix's sendmail ignores it
	# shellcheck disable=SC2086 # word lists
	res=$(env QPOST_QUEUE="$Q/inst/queue" QPOST_CONTROL="$Q/inst/control" \
	    "$bin/benchmon" -g "$cg" -d "$newdir" -n "$copies" -i "$PSS_MS" \
	    -T 300 $BM_OPTS -- $CMD 2>>"$BASE/benchmon.err")
	rc=$?
	echo "test=$2 mta=$1 round=$3 msgs=$c copies=$copies $res rc=$rc" |
	    tee -a "$BASE/results"
	[ $rc -eq 0 ] || {
		echo "bench: $1 $2 round $3 failed; last errors:" >&2
		tail -n 5 "$BASE/benchmon.err" >&2
	}
	wait_idle "$1"
}

# wait_idle MTA - until the MTA's queue is empty (60 s), so a run starts
# from the same state as the one before it
wait_idle() {
	i=0
	while [ $i -lt 600 ]; do
		if [ "$1" = pf ]; then
			[ -z "$(find "$PF/spool/active" "$PF/spool/incoming" \
			    "$PF/spool/maildrop" "$PF/spool/deferred" \
			    -type f 2>/dev/null | head -n 1)" ] && return 0
		else
			[ -z "$(find "$Q/inst/queue/mess" \
			    "$Q/inst/queue/drop" -type f 2>/dev/null |
			    head -n 1)" ] && return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "bench: $1 queue not empty after 60 s" >&2
}

# ---- the equivalence check: fsyncs per delivery ----------------------

# fsync_probe MTA - strace the MTA's tree (master or sched and its
# spawners, followed into children) while one message goes through;
# prints "fsync=N fdatasync=M" for the whole path of one message
fsync_probe() {
	if [ "$1" = pf ]; then
		newdir=$PF_NEW port=$PF_PORT
		pids=$(cat "$CG_PF/cgroup.procs")
	else
		newdir=$QP_NEW port=$QP_PORT
		pids=$(cat "$CG_QP/cgroup.procs")
	fi
	fresh_new "$newdir"
	args=
	for p in $pids; do args="$args -p $p"; done
	# shellcheck disable=SC2086
	strace -f -qq -e trace=fsync,fdatasync,sync_file_range -o \
	    "$BASE/strace.$1" $args 2>/dev/null &
	st=$!
	# strace attaches in the background: poll each pid's TracerPid
	i=0
	while [ $i -lt 100 ]; do
		left=0
		for p in $pids; do
			t=$(awk '/^TracerPid:/ { print $2 }' \
			    "/proc/$p/status" 2>/dev/null)
			[ "${t:-1}" != 0 ] || left=1
		done
		[ $left -eq 0 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	"$bin/benchmon" -g "$(if [ "$1" = pf ]; then echo "$CG_PF"; else
	    echo "$CG_QP"; fi)" -d "$newdir" -n 1 -T 30 -- smtp-source -4 \
	    -M client.test -f sender@client.test -t probe@bench.test \
	    -l 4096 "127.0.0.1:$port" > /dev/null 2>&1
	wait_idle "$1"
	kill -INT "$st" 2>/dev/null
	wait "$st" 2>/dev/null
	printf 'fsync=%s fdatasync=%s files=%s\n' \
	    "$(grep -c ' fsync(' "$BASE/strace.$1")" \
	    "$(grep -c ' fdatasync(' "$BASE/strace.$1")" \
	    "$(find "$newdir" -type f | wc -l | tr -d ' ')"
}

# ---- main -----------------------------------------------------------

echo "bench: folder $BASE, scale $SCALE, rounds $ROUNDS" >&2
# before the set-up, which itself loads the machine for a while: the
# report calls the run busy when other work was taking the CPU
load=$(cut -d ' ' -f 1-3 /proc/loadavg)
pf_setup
qp_setup
mkmsg
# the injected message is read by runuser'd qinject and by root
chmod 0755 "$BASE"

{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cores=$(nproc)"
	echo "mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' \
	    /proc/meminfo)"
	echo "kernel=$(uname -sr)"
	echo "fs=$(df -T "$BASE" | awk 'NR == 2 { print $2 " on " $1 }')"
	echo "cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
	echo "postfix=$(postconf -d -h mail_version 2>/dev/null)"
	echo "qpost=$(cd "$top" && git describe --always --dirty 2>/dev/null)"
	echo "load=$load"
	echo "scale=$SCALE"
	echo "rounds=$ROUNDS"
	echo "pss_ms=$PSS_MS"
} > "$BASE/machine"

# warm both up (page cache, first-use paths); not measured
for m in pf qp; do
	if [ "$m" = pf ]; then port=$PF_PORT; else port=$QP_PORT; fi
	smtp-source -4 -N -M client.test -f sender@client.test \
	    -t bench@bench.test -s 5 -m 20 -l 4096 "127.0.0.1:$port" ||
	    die "warm-up of $m failed"
	wait_idle $m
done

dsecs=$(awk -v s="$SCALE" 'BEGIN { v = 5 * s; print v < 1 ? 1 : v }')
# (a folder for each run: its files stay until the cleanup, see
# diskbench.c and fresh_new)
for w in 1 10; do
	mkdir -p "$BASE/disk$w"
	echo "disk writers=$w $("$bin/diskbench" "$BASE/disk$w" $w "$dsecs")" |
	    tee -a "$BASE/results"
done
# and the price of a process: a fork, and a vfork and exec of a
# program that exits at once: /bin/true (glibc's start), and qinject -h
# (the least the exec of qinject for each message costs)
echo "spawn $("$bin/spawnbench" 500 /bin/true)" | tee -a "$BASE/results"
echo "spawn_qinject $("$bin/spawnbench" 500 "$top/build/libexec/qinject" \
    -h)" | tee -a "$BASE/results"

for t in ${BENCH_TESTS:-4k10 4k50 100k10 100k50 rcpt1000 inject}; do
	r=1
	while [ $r -le "$ROUNDS" ]; do
		run pf "$t" $r
		run qp "$t" $r
		r=$((r + 1))
	done
done

# BENCH_HOLD=1: keep both instances running for a profiler until the
# file $BASE/release exists (ports and cgroups in $BASE/hold)
if [ -n "${BENCH_HOLD:-}" ]; then
	printf 'PF_PORT=%s QP_PORT=%s CG_PF=%s CG_QP=%s QP_DIR=%s PF=%s\n' \
	    "$PF_PORT" "$QP_PORT" "$CG_PF" "$CG_QP" "$Q/inst" "$PF" \
	    > "$BASE/hold"
	echo "bench: holding; touch $BASE/release to go on" >&2
	while [ ! -e "$BASE/release" ]; do
		sleep 1
	done
fi

for m in pf qp; do
	echo "fsync_probe mta=$m $(fsync_probe $m)" | tee -a "$BASE/results"
done
echo "load_after=$(cut -d ' ' -f 1-3 /proc/loadavg)" >> "$BASE/machine"

/usr/bin/python3 "$top/tests/bench/report.py" "$BASE/machine" \
    "$BASE/results" "$OUT" || die "report failed"
echo "bench: wrote $OUT" >&2
