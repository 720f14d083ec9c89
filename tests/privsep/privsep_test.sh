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
		read -r pid comm state ppid rest < "$s" 2>/dev/null || continue
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
	echo ":127.0.0.1:1" > "$QPOST_CONTROL/smtproutes"	# see qp_instance
	"$QPOST_LIBEXEC/qpost-start" 2> "$R/log" &
	echo $! > "$R/pid"
	qp_wait_file_match "$R/log" "sched: ready" 30
}

stop_system() {
	[ -f root_dir ] || return 0
	R=$(cat root_dir)
	[ -f "$R/pid" ] && kill "$(cat "$R/pid")" 2>/dev/null
	sleep 0.2
	rm -rf "$R"
	for u in qprcpt qpsender; do
		userdel $u 2>/dev/null
	done
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

	# mail for root is never delivered as uid 0
	atf_check runuser -u qpsender -- "$QPOST_LIBEXEC/qinject" \
	    root@example.test < "$R/m"
	qp_wait_file_match "$R/log" "uid 0" 30
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
	for d in mess env tmp; do
		atf_check -o inline:"qpqueue:qpost 750\n" stat -c "%U:%G %a" \
		    "$q/$d"
	done
	atf_check -o inline:"qpqueue:qpost 622\n" stat -c "%U:%G %a" \
	    "$q/trigger"

	# a message that stays queued (remote: a closed port defers it)
	qp_msg s2 > "$R/m"
	chmod 644 "$R/m"
	atf_check runuser -u qpsender -- "$QPOST_LIBEXEC/qinject" \
	    far@remote.test < "$R/m"
	qp_wait_file_match "$R/log" "to=<far@remote.test> result=defer" 30
	atf_check -o match:"^qpqueue:qpost 640$" sh -c "stat -c '%U:%G %a' $q/mess/*"
	atf_check -o match:"^qpqueue:qpost 600$" sh -c "stat -c '%U:%G %a' $q/env/*"

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
	atf_check -o inline:"" find "$R/inst" -type f -perm /6000
	test -x "$R/inst/usr/local/bin/qinject" || atf_fail "qinject not installed"
}
modes_cleanup() {
	stop_system
}

atf_init_test_cases() {
	atf_add_test_case processes
	atf_add_test_case modes
}
