#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Privilege separation in system mode, checked from outside: who each
# process runs as, owners and modes on disk, and what an ordinary user
# may do in drop/.  Needs root; skipped otherwise.

. "$(atf_get_srcdir)/../lib.sh"

# field PID NAME: a line of /proc/PID/status without its name.
field() {
	awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' \
	    "/proc/$1/status"
}

# child_of PID NAME: the pid of PID's child running NAME.
child_of() {
	for s in /proc/[0-9]*/stat; do
		read -r pid comm state ppid rest 2>/dev/null < "$s" || continue
		[ "$ppid" = "$1" ] && [ "$comm" = "($2)" ] && echo "$pid"
	done
}

# expect_field PID NAME VALUE: a line of /proc/PID/status is VALUE.
expect_field() {
	_v=$(field "$1" "$2")
	[ "$_v" = "$3" ] || atf_fail "pid $1 ($(cat /proc/$1/comm)): $2 is" \
	    "'$_v', not '$3'"
}

# ids_are PID UID GID: real, effective, saved and fs ids, no
# capabilities.
ids_are() {
	expect_field "$1" Uid "$2 $2 $2 $2"
	expect_field "$1" Gid "$3 $3 $3 $3"
	expect_field "$1" CapEff 0000000000000000
}

# as USER CMD...: CMD with USER's uid, primary gid and groups.
run_as() {
	_u=$1
	shift
	setpriv --reuid="$_u" --regid="$(id -g "$_u")" --init-groups "$@"
}

# cannot USER CMD...: CMD fails as USER.
cannot() {
	_u=$1
	shift
	if run_as "$_u" "$@" 2>/dev/null; then
		atf_fail "$_u may: $*"
	fi
}

# sandboxed PID: no new privileges and a seccomp filter (lib/sandbox.c).
sandboxed() {
	expect_field "$1" NoNewPrivs 1
	expect_field "$1" Seccomp 2
}

# no_secret_open PID: none of its descriptors is the TLS key or the
# password database.
no_secret_open() {
	for _fd in /proc/"$1"/fd/*; do
		case $(readlink "$_fd") in
		*tls.key*|*passwd.cdb*|*passwd)
			atf_fail "pid $1 has $(readlink "$_fd") open" ;;
		esac
	done
}

# wait_child PID NAME: the pid of PID's child NAME, within 30 seconds;
# on failure the test ends with the process tree on stderr.
wait_child() {
	_n=0
	while [ $_n -lt 300 ]; do
		_c=$(ps -o pid=,comm= --ppid "$1" | awk -v n="$2" '$2 == n {
		    print $1; exit }')
		[ -n "$_c" ] && { echo "$_c"; return 0; }
		sleep 0.1
		_n=$((_n + 1))
	done
	ps -eo pid,ppid,user,comm --forest >&2
	echo "wait_child: no $2 child of pid $1 within 30 s" >&2
	echo 0
}

# no_child PID: PID has no child process.
no_child() {
	[ -z "$(ps -o pid= --ppid "$1")" ]
}

# must_pid PID NAME: PID was found (wait_child runs in a subshell).
must_pid() {
	[ "$1" != 0 ] || atf_fail "no $2 process"
}

setup_system() {
	R=$(mktemp -d /tmp/qpost-privsep.XXXXXX)
	echo "$R" > root_dir
	chmod 755 "$R"
	export QPOST_QUEUE=$R/queue QPOST_CONTROL=$R/control
	export QPOST_LIBEXEC=$R/libexec
	atf_check "$(qp_top)/control/qpost-setup"
	mkdir "$R/libexec"
	cp "$(qp_top)"/build/libexec/* "$R/libexec/"
	chmod -R a+rX "$R/libexec"
	for u in qprcpt qpsender; do
		getent passwd $u >/dev/null || useradd --system --no-create-home \
		    --home-dir "$R/home/$u" --shell /usr/sbin/nologin $u
		mkdir -p "$R/home/$u"
		chown $u "$R/home/$u"
	done
	echo example.test > "$QPOST_CONTROL/me"
	echo example.test > "$QPOST_CONTROL/locals"
	# see qp_instance; the roles test routes to its stalled peer
	echo ":127.0.0.1:${ROUTE_PORT:-1}" > "$QPOST_CONTROL/smtproutes"
	[ -z "${ROUTE_GOOD:-}" ] ||
	    echo "good.test:$ROUTE_GOOD" >> "$QPOST_CONTROL/smtproutes"
	if [ -n "${SRS_KEY:-}" ]; then
		echo "$SRS_KEY" > "$QPOST_CONTROL/srskey"
		atf_check "$(qp_top)/control/qpost-setup"
	fi
	"$QPOST_LIBEXEC/qpost-start" 2> "$R/log" &
	echo $! > "$R/pid"
	qp_wait_file_match "$R/log" "sched: ready" 30
}

stop_system() {
	[ -f root_dir ] || return 0
	R=$(cat root_dir)
	for f in pid tcpserver.pid qpauth.pid client.pid; do
		[ -f "$R/$f" ] && kill "$(cat "$R/$f")" 2>/dev/null
	done
	[ -f "$R/go" ] || touch "$R/go"	# the waiting program delivery
	sleep 0.2
	rm -rf "$R"
	for u in qprcpt qpsender; do
		userdel $u 2>/dev/null
	done
	return 0
}

# peer NAME ADDR MODE - a test SMTP server (hostile_peer.py) in MODE on
# a port of ADDR, with its folder $P/NAME ($P made on first use, named
# in ./peer_dir for stop_peers); returns once it listens.
peer() {
	if [ -z "${P:-}" ]; then
		P=$(mktemp -d /tmp/qpost-privsep-peer.XXXXXX)
		echo "$P" > peer_dir
	fi
	mkdir "$P/$1"
	echo "$3" > "$P/$1/mode"
	/usr/bin/python3 "$(qp_top)/tests/remote/hostile_peer.py" \
	    --listen "$2:0" --dir "$P/$1" 2> "$P/$1/err" &
	qp_deadline_loop 30 test -f "$P/$1/ready" ||
	    atf_fail "the test peer $1 did not start"
}

# stop_peers - stop the peers this case started, remove their folders.
stop_peers() {
	[ -f peer_dir ] || return 0
	P=$(cat peer_dir)
	for _pid in "$P"/*/pid; do
		[ -f "$_pid" ] && kill "$(cat "$_pid")" 2>/dev/null
	done
	rm -rf "$P"
	return 0
}

atf_test_case processes cleanup
processes_head() {
	atf_set "descr" "sched runs as qpqueue:qpost, lspawn as root, rspawn" \
	    "as qpremote, local as the recipient; no capabilities"
	atf_set "require.user" "root"
	atf_set "timeout" "60"
}
processes_body() {
	setup_system
	sched=$(cat "$R/pid")
	atf_check -o inline:"sched\n" cat "/proc/$sched/comm"
	ids_are "$sched" "$(id -u qpqueue)" "$(getent group qpost | cut -d: -f3)"
	expect_field "$sched" Groups "$(getent group qpost | cut -d: -f3)"
	lspawn=$(child_of "$sched" lspawn)
	rspawn=$(child_of "$sched" rspawn)
	[ -n "$lspawn" ] && [ -n "$rspawn" ] || atf_fail "spawners not found"
	expect_field "$lspawn" Uid "0 0 0 0"
	ids_are "$rspawn" "$(id -u qpremote)" "$(id -g qpremote)"
	# all three differ
	[ "$(id -u qpqueue)" != "$(id -u qpremote)" ] || atf_fail "shared uid"

	# a delivery as an ordinary user lands owned by the recipient
	qp_msg s1 > "$R/m"
	chmod 644 "$R/m"
	atf_check runuser -u qpsender -- "$QPOST_LIBEXEC/qinject" \
	    qprcpt@example.test < "$R/m"
	qp_wait_for 1 "$R/home/qprcpt/Maildir/new" 30
	atf_check -o inline:"qprcpt\n" sh -c \
	    "stat -c %U '$R'/home/qprcpt/Maildir/new/*"
	atf_check -o match:"sched: id=[0-9a-f]* queued from=<qpsender@example.test> uid=$(id -u qpsender)" \
	    cat "$R/log"

	# mail for root is never delivered as uid 0: root leads to
	# control/admin (unset here: it waits), and a mailbox of uid 0
	# bounces
	atf_check runuser -u qpsender -- "$QPOST_LIBEXEC/qinject" \
	    root@example.test < "$R/m"
	qp_wait_file_match "$R/log" "root@example.test>: mail to root goes to the administrator: set control/admin" 30
	echo "toor:0:0:/root" > "$QPOST_CONTROL/users"
	atf_check -e match:"toor has uid 0" "$QPOST_LIBEXEC/qcdb" users
	atf_check runuser -u qpsender -- "$QPOST_LIBEXEC/qinject" \
	    toor@example.test < "$R/m"
	qp_wait_file_match "$R/log" "5.7.1 <toor@example.test>: refusing to deliver to toor as uid 0" 30
}
processes_cleanup() {
	stop_system
}

atf_test_case modes cleanup
modes_head() {
	atf_set "descr" "queue owners and modes follow DESIGN.md; an ordinary" \
	    "user can inject but not read or remove another's drop file;" \
	    "nothing installed is setuid or setgid"
	atf_set "require.user" "root"
	atf_set "timeout" "120"
}
modes_body() {
	setup_system
	q=$QPOST_QUEUE
	atf_check -o inline:"qpqueue:qpost 751\n" stat -c "%U:%G %a" "$q"
	atf_check -o inline:"qpqueue:qpost 3777\n" stat -c "%U:%G %a" "$q/drop"
	atf_check -o inline:"qpqueue:qpost 3777\n" stat -c "%U:%G %a" "$q/spare"
	for d in mess env tmp; do
		atf_check -o inline:"qpqueue:qpost 750\n" stat -c "%U:%G %a" \
		    "$q/$d"
	done
	atf_check -o inline:"qpqueue:qpost 622\n" stat -c "%U:%G %a" \
	    "$q/trigger"
	# remote's MTA-STS cache, which qpost-start gives to qpremote
	atf_check -o inline:"qpremote:qpost 700\n" stat -c "%U:%G %a" "$q/sts"

	# a message that stays queued (remote: a closed port defers it)
	qp_msg s2 > "$R/m"
	chmod 644 "$R/m"
	atf_check runuser -u qpsender -- "$QPOST_LIBEXEC/qinject" \
	    far@remote.test < "$R/m"
	qp_wait_file_match "$R/log" "to=<far@remote.test> result=defer" 30
	# the defer is logged a moment before sched commits the envelope
	qp_wait_for 1 "$q/env" 30
	atf_check -o match:"^qpqueue:qpost 640$" sh -c "stat -c '%U:%G %a' $q/mess/*"
	atf_check -o match:"^qpqueue:qpost 600$" sh -c "stat -c '%U:%G %a' $q/env/*"
	# its drop file is kept for qpsender's next message, where nobody
	# else can take it (queue_spare.h)
	u=$(id -u qpsender)
	atf_check -o match:"^$u\.[0-9]+ qpsender:qpost 640$" \
	    sh -c "cd $q/spare && stat -c '%n %U:%G %a' *"
	atf_check -s not-exit:0 -e ignore runuser -u qprcpt -- sh -c \
	    "mv $q/spare/$u.* $q/drop/0123456789abcdee.tmp"
	atf_check -s not-exit:0 -e ignore runuser -u qprcpt -- sh -c \
	    "rm $q/spare/$u.*"
	atf_check -o ignore sh -c "ls $q/spare/$u.*"

	# the control FIFO: root and qpqueue only; root's qstat and qctl
	# work as qpqueue, an ordinary user's do not get in
	atf_check -o inline:"qpqueue:qpost 600\n" stat -c "%U:%G %a" "$q/ctl"
	atf_check -s not-exit:0 -e ignore runuser -u qprcpt -- sh -c \
	    "echo flush > $q/ctl"
	id=$(ls "$q/env")
	atf_check -o match:"^id=$id .* held=no$" "$QPOST_LIBEXEC/qstat"
	atf_check -o inline:"$id: held\n" "$QPOST_LIBEXEC/qctl" hold "$id"
	atf_check -o match:"^id=$id .* held=yes$" "$QPOST_LIBEXEC/qstat"
	atf_check -s exit:111 -e match:"unable to open the queue" \
	    runuser -u qprcpt -- "$QPOST_LIBEXEC/qstat"
	atf_check -s exit:111 -e match:"unable to open the queue" \
	    runuser -u qprcpt -- "$QPOST_LIBEXEC/qctl" flush

	# a drop file being written: 0640, group qpost through the setgid dir
	atf_check runuser -u qpsender -- sh -c \
	    "umask 0; echo x > $q/drop/0123456789abcdef.tmp; chmod 640 $q/drop/0123456789abcdef.tmp"
	atf_check -o inline:"qpsender:qpost 640\n" stat -c "%U:%G %a" \
	    "$q/drop/0123456789abcdef.tmp"
	atf_check -s not-exit:0 -e ignore runuser -u qprcpt -- \
	    cat "$q/drop/0123456789abcdef.tmp"
	atf_check -s not-exit:0 -e ignore runuser -u qprcpt -- \
	    rm -f "$q/drop/0123456789abcdef.tmp"
	atf_check test -f "$q/drop/0123456789abcdef.tmp"
	# nor can it reach anything else in the queue
	atf_check -s not-exit:0 -e ignore runuser -u qprcpt -- ls "$q/mess"
	atf_check -s not-exit:0 -e ignore runuser -u qprcpt -- \
	    touch "$q/env/x"

	# make install: no setuid or setgid file
	atf_check -o ignore -e ignore make -C "$(qp_top)" install \
	    DESTDIR="$R/inst"
	atf_check -o inline:"" find "$R/inst" -perm /6000
	atf_check -o inline:"" getcap -r "$R/inst"
	test -x "$R/inst/usr/local/bin/qinject" || atf_fail "qinject not installed"
}
modes_cleanup() {
	stop_system
}

atf_test_case roles cleanup
roles_head() {
	atf_set "descr" "every long-running role in system mode (sched," \
	    "lspawn, rspawn, remote, local, smtpd under tcpserver, qpauth)" \
	    "has DESIGN.md's ids, no capabilities, a uid of its own, no" \
	    "write access where it must not write, no secret it must not" \
	    "read; smtpd and remote are sandboxed"
	atf_set "require.user" "root"
	atf_set "require.progs" "tcpserver setpriv getcap openssl"
	atf_set "timeout" "120"
}
roles_body() {
	top=$(qp_top)
	# a remote peer that never greets (remote waits on it) and, on
	# another address (remote remembers one that timed out), a good one
	peer stall 127.0.0.1 stall_greeting
	peer good 127.0.0.2 good
	ROUTE_PORT=$(cat "$P/stall/port") \
	    ROUTE_GOOD=127.0.0.2:$(cat "$P/good/port") setup_system
	q=$QPOST_QUEUE
	c=$QPOST_CONTROL
	# long enough for the checks below, short for the test's time
	echo 8 > "$c/timeoutremote"
	echo example.test > "$c/rcpthosts"
	atf_check -o ignore -e ignore "$QPOST_LIBEXEC/qcdb" rcpthosts

	# secrets: the TLS key (root:qpsmtpd 0440, set by qpost-setup)
	# and the password database (qpauth:qpauth 0400, by qpasswd)
	qp_mkcert "$c"
	atf_check "$top/control/qpost-setup"
	atf_check -o inline:"root:qpsmtpd 440\n" stat -c "%U:%G %a" \
	    "$c/tls.key"
	printf 'secret1\n' | "$QPOST_LIBEXEC/qpasswd" alice 2>> "$R/log" ||
	    atf_fail "qpasswd failed"
	atf_check -o inline:"qpauth:qpauth 400\n" stat -c "%U:%G %a" \
	    "$c/passwd.cdb"
	run_as qpsmtpd cat "$c/tls.key" > /dev/null ||
	    atf_fail "qpsmtpd cannot read the TLS key"
	for u in qpqueue qpremote qpauth qprcpt; do
		cannot $u cat "$c/tls.key"
	done
	run_as qpauth cat "$c/passwd.cdb" > /dev/null ||
	    atf_fail "qpauth cannot read its password database"
	for u in qpsmtpd qpqueue qpremote qprcpt; do
		cannot $u cat "$c/passwd.cdb"
	done

	# qpauth's daemon and smtpd under tcpserver, as run.qpauth and
	# run.tcp start them (both started as root; each drops itself)
	mkdir -p "$R/run"
	QPOST_AUTHSTATE=$R/authstate "$QPOST_LIBEXEC/qpauth" \
	    -d "$R/run/qpauth.sock" 2> "$R/qpauth.log" &
	echo $! > "$R/qpauth.pid"
	port=$(qp_free_port)
	QPOST_AUTHSOCKET=$R/run/qpauth.sock tcpserver -R -H -c 10 \
	    127.0.0.1 "$port" "$QPOST_LIBEXEC/smtpd" 2> "$R/smtpd.log" &
	echo $! > "$R/tcpserver.pid"
	qp_deadline_loop 30 qp_port_open 127.0.0.1 "$port" ||
	    atf_fail "tcpserver did not listen"
	# the probe's session ends first, so the smtpd found below is ours
	qp_deadline_loop 30 no_child "$(cat "$R/tcpserver.pid")" ||
	    atf_fail "the probe's smtpd session did not end"
	# a client that reads the greeting and stays
	/usr/bin/python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.recv(512)
time.sleep(60)' "$port" &
	echo $! > "$R/client.pid"
	smtpd=$(wait_child "$(cat "$R/tcpserver.pid")" smtpd)
	must_pid "$smtpd" smtpd
	qpauth=$(cat "$R/qpauth.pid")

	# a message through smtpd for a program that waits, and one for
	# the stalled peer: local and remote stay alive to be looked at
	mkdir -p "$R/home/qprcpt/Maildir/new" "$R/home/qprcpt/Maildir/cur" \
	    "$R/home/qprcpt/Maildir/tmp"
	printf '|while [ ! -e %s/go ]; do sleep 0.1; done\n' "$R" \
	    > "$R/home/qprcpt/.qpost"
	chown -R qprcpt "$R/home/qprcpt"
	chmod 700 "$R/home/qprcpt/Maildir"
	chmod 644 "$R/home/qprcpt/.qpost"
	/usr/bin/python3 -c '
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.sendmail("qpsender@example.test", ["qprcpt@example.test"],
    "Subject: wait\r\n\r\nbody\r\n")
s.quit()' "$port" || atf_fail "the message through smtpd was refused"
	qp_msg s3 > "$R/m"
	chmod 644 "$R/m"
	atf_check runuser -u qpsender -- "$QPOST_LIBEXEC/qinject" \
	    far@remote.test < "$R/m"

	sched=$(cat "$R/pid")
	lspawn=$(child_of "$sched" lspawn)
	rspawn=$(child_of "$sched" rspawn)
	[ -n "$lspawn" ] && [ -n "$rspawn" ] || atf_fail "spawners not found"
	local=$(wait_child "$lspawn" local)
	must_pid "$local" local
	remote=$(wait_child "$rspawn" remote)
	must_pid "$remote" remote
	qp_wait_file_match "$P/stall/log" "stall greeting" 30
	# remote first: it gives up on the stalled peer after 8 s
	g_qpost=$(getent group qpost | cut -d: -f3)
	ids_are "$remote" "$(id -u qpremote)" "$g_qpost"
	expect_field "$remote" Groups "$g_qpost"
	sandboxed "$remote"
	no_secret_open "$remote"
	ruid=$(field "$remote" Uid | cut -f1)

	ids_are "$sched" "$(id -u qpqueue)" "$g_qpost"
	expect_field "$sched" Groups "$g_qpost"
	expect_field "$lspawn" Uid "0 0 0 0"
	ids_are "$rspawn" "$(id -u qpremote)" "$g_qpost"
	expect_field "$rspawn" Groups "$g_qpost"
	ids_are "$local" "$(id -u qprcpt)" "$(id -g qprcpt)"
	expect_field "$local" Groups "$(id -g qprcpt)"
	# lspawn's child is the recipient's worker (qpost-lspawn(8),
	# Workers); the delivery is its child, under the same ids
	delivery=$(wait_child "$local" local)
	must_pid "$delivery" local
	ids_are "$delivery" "$(id -u qprcpt)" "$(id -g qprcpt)"
	expect_field "$delivery" Groups "$(id -g qprcpt)"
	ids_are "$smtpd" "$(id -u qpsmtpd)" "$(id -g qpsmtpd)"
	expect_field "$smtpd" Groups "$(id -g qpsmtpd)"
	ids_are "$qpauth" "$(id -u qpauth)" "$(id -g qpauth)"
	expect_field "$qpauth" Groups "$(id -g qpauth)"
	id -Gn qpsmtpd | grep -qw qpost && atf_fail "qpsmtpd is in group qpost"
	# one uid per role (lspawn: root)
	dup=$({ echo "$ruid"; for p in $sched $local $smtpd $qpauth $lspawn; do
		field "$p" Uid | cut -f1
	done; } | sort | uniq -d)
	[ -z "$dup" ] || atf_fail "roles share uid $dup"
	# the sandbox of the two that meet strangers
	sandboxed "$smtpd"
	# smtpd's queue runner: its uid, outside the sandbox (qinject and a
	# filter must run), forked before smtpd read its key: no secret
	runner=$(child_of "$smtpd" smtpd-runner)
	[ -n "$runner" ] || atf_fail "no smtpd-runner child of smtpd"
	ids_are "$runner" "$(id -u qpsmtpd)" "$(id -g qpsmtpd)"
	expect_field "$runner" Seccomp 0
	expect_field "$runner" NoNewPrivs 0
	no_secret_open "$runner"
	no_secret_open "$sched"
	no_secret_open "$rspawn"

	# where each role must not write
	for d in "$q" "$q/mess" "$q/env" "$q/tmp" "$q/ctl" "$c" \
	    "$c/rcpthosts.cdb" "$c/passwd.cdb" "$R/home/qprcpt/Maildir" \
	    "$R/home/qprcpt/Maildir/new"; do
		cannot qpsmtpd test -w "$d"
	done
	for d in "$q" "$q/mess" "$q/env" "$q/tmp" "$q/ctl" \
	    "$R/home/qprcpt/Maildir" "$R/home/qprcpt/Maildir/new"; do
		cannot qpremote test -w "$d"
	done
	for d in "$R/home/qprcpt/Maildir" "$R/home/qprcpt/Maildir/new" \
	    "$c/tls.key"; do
		cannot qpqueue test -w "$d"
	done
	cannot qpqueue cat "$c/tls.key"

	# smtpd's uid reaches the queue through drop/ alone: trying
	run_as qpsmtpd sh -c "umask 077; echo x > $q/drop/0123456789abcde0.tmp" ||
	    atf_fail "qpsmtpd cannot write in drop/"
	run_as qpsmtpd touch "$q/drop/0123456789abcde1.tmp" ||
	    atf_fail "qpsmtpd cannot create in drop/"
	for d in "$q" "$q/mess" "$q/env" "$q/tmp"; do
		cannot qpsmtpd touch "$d/x"
		cannot qpsmtpd ln "$q/drop/0123456789abcde0.tmp" "$d/l"
		cannot qpsmtpd mv "$q/drop/0123456789abcde1.tmp" "$d/r"
	done
	cannot qpsmtpd mkdir "$q/newdir"
	cannot qpsmtpd mv "$q/mess" "$q/drop/m"
	run_as qpsender sh -c "umask 077; echo x > $q/drop/0123456789abcde2.tmp" ||
	    atf_fail "qpsender cannot write in drop/"
	cannot qpsmtpd cat "$q/drop/0123456789abcde2.tmp"
	cannot qpsmtpd rm -f "$q/drop/0123456789abcde2.tmp"
	cannot qpsmtpd mv "$q/drop/0123456789abcde2.tmp" "$q/drop/mine.tmp"
	for f in 0 1 2; do	# still there: no test above passed by default
		atf_check test -f "$q/drop/0123456789abcde$f.tmp"
	done
	rm -f "$q"/drop/0123456789abcde?.tmp

	# the waiting delivery ends, delivered
	touch "$R/go"
	qp_wait_file_match "$R/log" "to=<qprcpt@example.test> result=ok" 30
	# and a remote one, to the good peer, sandbox and all (in system
	# mode rspawn once refused every message as "not a queue file")
	atf_check runuser -u qpsender -- "$QPOST_LIBEXEC/qinject" \
	    near@good.test < "$R/m"
	qp_wait_file_match "$R/log" "to=<near@good.test> result=ok" 30
	if grep "not a queue file" "$R/log"; then
		atf_fail "rspawn refused a queue file"
	fi
}
roles_cleanup() {
	stop_system
	stop_peers
}

atf_test_case srs cleanup
srs_head() {
	atf_set "descr" "system mode: sched signs forwards with control/srskey" \
	    "(root:qpsmtpd 0440), which qpost-start hands it and it does not" \
	    "keep open; neither qpqueue nor qpremote can read the file"
	atf_set "require.user" "root"
	atf_set "require.progs" "setpriv"
	atf_set "timeout" "120"
}
srs_body() {
	peer good 127.0.0.2 good
	ROUTE_GOOD=127.0.0.2:$(cat "$P/good/port") \
	    SRS_KEY=0123456789abcdef-privsep setup_system
	c=$QPOST_CONTROL
	atf_check -o inline:"root:qpsmtpd 440\n" stat -c "%U:%G %a" \
	    "$c/srskey"
	for u in qpqueue qpremote qpsender; do
		cannot $u cat "$c/srskey"
	done
	sched=$(cat "$R/pid")
	for _fd in /proc/"$sched"/fd/*; do
		case $(readlink "$_fd") in
		*srskey*) atf_fail "sched keeps the SRS key open" ;;
		esac
	done
	printf 'fwd: far@good.test\n' > "$c/aliases"
	atf_check -o ignore -e ignore "$QPOST_LIBEXEC/qcdb" aliases
	qp_msg srs1 > "$R/m"
	chmod 644 "$R/m"
	# root may claim any sender (control/trusted's default)
	atf_check "$QPOST_LIBEXEC/qinject" -f someone@elsewhere.test \
	    fwd@example.test < "$R/m"
	got() { ls "$P/good/mail/"*.env >/dev/null 2>&1; }
	qp_deadline_loop 30 got || qp_fail "the forward did not arrive" "$R/log"
	grep -Eq '^MAIL FROM:<SRS0=.{4}=..=elsewhere\.test=someone@example\.test>' \
	    "$P/good/mail/"*.env ||
	    qp_fail "the forward's sender is not SRS0" "$P/good/mail/1.env"
}
srs_cleanup() {
	stop_system
	stop_peers
}

atf_init_test_cases() {
	atf_add_test_case processes
	atf_add_test_case modes
	atf_add_test_case roles
	atf_add_test_case srs
}
