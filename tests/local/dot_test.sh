#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Dot files (dot-qpost(5)): which file an address with an extension
# uses, ~/.forward, control/defaultdelivery, the permission checks,
# bad lines, several instructions in one file; and as root, that a
# delivery runs under the recipient's uid.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/local.sh"

# lands EXT FOLDER - a delivery for alice+EXT lands in home/FOLDER/new.
lands() {
	_before=$(qp_nfiles "home/$2/new")
	atf_check -s exit:0 -o match:"^2.0.0 .*$2" -e ignore ./dl "$1"
	[ "$(qp_nfiles "home/$2/new")" -eq $((_before + 1)) ] ||
	    atf_fail "alice+$1 did not land in $2"
}

atf_test_case lookup_order
lookup_order_head() {
	atf_set "descr" ".qpost-EXT beats .qpost-PREFIX-default beats" \
	    ".qpost-default beats .qpost; names lowercased, '.' as ':'"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
lookup_order_body() {
	setup_local d1
	echo "./plain/" > home/.qpost
	echo "./default/" > home/.qpost-default
	echo "./list/" > home/.qpost-list-default
	echo "./listx/" > home/.qpost-list+x
	echo "./deep/" > home/.qpost-list+a-default
	echo "./dotted/" > home/.qpost-v1:2
	lands "" plain
	lands list+x listx
	lands List+X listx
	lands list+y list
	lands list+a+b deep
	lands list default
	lands other default
	lands V1.2 dotted
	rm home/.qpost-default
	lands other plain
	# control/extsep changes where prefixes are cut
	echo - > control/extsep
	lands list-y list
	lands list+y plain
}

atf_test_case forward_fallback
forward_fallback_head() {
	atf_set "descr" "~/.forward is used only without a .qpost;" \
	    "\\user is the user's own mailbox; an empty dot file or one" \
	    "with only comments means the default delivery"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
forward_fallback_body() {
	setup_local d1
	printf '\\alice, "|cat > fwd.out"\n' > home/.forward
	atf_check -s exit:0 -o match:"^2.0.0 .forward line 1" -e ignore ./dl
	test -f home/fwd.out || atf_fail ".forward program did not run"
	[ "$(qp_nfiles home/Maildir/new)" -eq 1 ] ||
	    atf_fail "\\alice did not reach ./Maildir/"
	echo "./Other/" > home/.qpost
	rm home/fwd.out
	atf_check -s exit:0 -o match:"Other" -e ignore ./dl
	test ! -e home/fwd.out || atf_fail ".forward used despite a .qpost"
	printf '# nothing\n\n' > home/.qpost
	atf_check -s exit:0 -o match:"Maildir" -e ignore ./dl
	[ "$(qp_nfiles home/Maildir/new)" -eq 2 ] ||
	    atf_fail "a dot file without instructions is not the default"
	printf '"|unterminated\n' > home/.forward
	rm home/.qpost
	atf_check -s exit:100 -o match:"^5.3.5 .*.forward line 1: syntax" \
	    -e ignore ./dl
}

atf_test_case defaultdelivery
defaultdelivery_head() {
	atf_set "descr" "without a dot file, control/defaultdelivery's lines" \
	    "run; without it, ./Maildir/"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
defaultdelivery_body() {
	setup_local d1
	atf_check -s exit:0 -o match:"Maildir" -e ignore ./dl
	printf '# site default\n./Mail/\n|touch prog.ran\n' \
	    > control/defaultdelivery
	atf_check -s exit:0 -o match:"control/defaultdelivery line 3" \
	    -e ignore ./dl
	[ "$(qp_nfiles home/Mail/new)" -eq 1 ] || atf_fail "no ./Mail/ copy"
	test -f home/prog.ran || atf_fail "second default line did not run"
}

atf_test_case refused
refused_head() {
	atf_set "descr" "a dot file writable by group or others, a home" \
	    "writable by others, is refused: 4.7.0 and a log line"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
refused_body() {
	setup_local d1
	echo "./Maildir/" > home/.qpost
	for mode in 664 646 666; do
		chmod $mode home/.qpost
		atf_check -s exit:111 -o match:"^4.7.0 .*\.qpost is writable by group or others" \
		    -e match:"refused dotfile=$PWD/home/.qpost" ./dl
	done
	chmod 644 home/.qpost
	echo "./Maildir/" > home/.qpost-x
	chmod 620 home/.qpost-x
	atf_check -s exit:111 -o match:"^4.7.0 .*\.qpost-x is writable" \
	    -e match:"refused dotfile=.*\.qpost-x" ./dl x
	test ! -d home/Maildir || atf_fail "delivered despite the refusal"
	chmod 777 home
	atf_check -s exit:111 -o match:"^4.7.0 .*home directory" \
	    -e match:"refused home=" ./dl
	chmod 755 home
	atf_check -s exit:0 -o match:"^2.0.0" -e ignore ./dl
}

atf_test_case bad_lines
bad_lines_head() {
	atf_set "descr" "a line too long, :include:, a bad forward address" \
	    "fail permanently, naming the file and line"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
bad_lines_body() {
	setup_local d1
	{ echo "# long"; printf '|%05000d\n' 0; } > home/.qpost
	atf_check -s exit:100 -o match:"^5.3.5 .*\.qpost line 2: line too long" \
	    -e ignore ./dl
	printf './Maildir/\n:include:/etc/passwd\n' > home/.qpost
	atf_check -s exit:100 -o match:"^5.3.5 .*\.qpost line 2: :include:" \
	    -e ignore ./dl
	printf '&not an address\n' > home/.qpost
	atf_check -s exit:100 -o match:"^5.1.3 \.qpost line 1: .*not a valid address" \
	    -e ignore ./dl
}

atf_test_case loop_stop
loop_stop_head() {
	atf_set "descr" "a header with Delivered-To naming the recipient, or" \
	    "more than 100 Received lines, fails 5.4.6 before any" \
	    "instruction runs, with -t too, and at the end of a header" \
	    "longer than 64 KiB; in the body it is no loop"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
loop_stop_body() {
	setup_local d1
	echo '|touch ran' > home/.qpost
	{ echo "Delivered-To: <ALICE@example.test>"; cat m; } > m2
	mv m2 m
	atf_check -s exit:100 -o match:"^5.4.6 .*Delivered-To" -e ignore ./dl
	atf_check -s exit:100 -o match:"^5.4.6" -e ignore \
	    sh -c "'$L/local' -s s@x -r alice@example.test -d '$PWD/home' \
	    -t '|touch ran' < m"
	test ! -e home/ran || atf_fail "an instruction ran despite the loop"
	qp_msg d2 > m
	i=0
	while [ $i -lt 101 ]; do echo "Received: from h$i"; i=$((i + 1)); done > m2
	cat m >> m2
	mv m2 m
	atf_check -s exit:100 -o match:"^5.4.6 .*Received" -e ignore ./dl
	sed -i 1d m		# 100 are fine
	atf_check -s exit:0 -e ignore -o ignore ./dl
	test -e home/ran || atf_fail "100 Received lines stopped it"
	# a header longer than one read (64 KiB): the line at its end counts
	qp_msg d3 > m
	awk 'BEGIN { for (i = 0; i < 1500; i++) printf "X-Pad-%04d: %s\n", \
	    i, "padding padding padding padding padding padding" }' > m2
	{ cat m2; echo "Delivered-To: alice@example.test"; cat m; } > m3
	mv m3 m
	atf_check -s exit:100 -o match:"^5.4.6 .*Delivered-To" -e ignore ./dl
	# the same line in the body is no loop
	{ qp_msg d4; cat m2; echo "Delivered-To: alice@example.test"; } > m
	atf_check -s exit:0 -e ignore -o ignore ./dl
}

atf_test_case mixed cleanup
mixed_head() {
	atf_set "descr" "a Maildir, a program and a forward line in one dot" \
	    "file each get the message byte for byte"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
mixed_body() {
	qp_instance "$PWD/inst"
	cat > "$QP_DIR/home/alice/.qpost" <<'EOF'
# keep a copy, feed the archiver, pass it on to bob
./Maildir/
|cat > prog.out
&bob@example.test
EOF
	qp_start
	qp_msg mx > m
	atf_check "$QPOST_LIBEXEC/qinject" -f sender@example.test \
	    alice@example.test < m
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	qp_mail_body_equal "$QP_DIR"/home/alice/Maildir/new/* m ||
	    atf_fail "Maildir copy differs"
	qp_mail_body_equal "$QP_DIR/home/alice/prog.out" m ||
	    atf_fail "program copy differs"
	qp_mail_body_equal "$QP_DIR"/home/bob/Maildir/new/* m ||
	    atf_fail "forwarded copy differs"
	qp_stop
}
mixed_cleanup() {
	qp_stop
}

atf_test_case retry_read cleanup
retry_read_head() {
	atf_set "descr" "a dot file's Maildir line delivered, its program" \
	    "line deferred: by the retry a mail reader has moved the copy" \
	    "to cur/, where the retry finds it, so the Maildir holds one"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
retry_read_body() {
	qp_instance "$PWD/inst"
	echo 1 > "$QPOST_CONTROL/retrymin"
	echo 2 > "$QPOST_CONTROL/retrymax"
	# the program plays the mail reader, then defers, once
	cat > "$QP_DIR/home/alice/.qpost" <<'EOF'
./Maildir/
|test -f read && exit 0; f=$(ls Maildir/new) && mv "Maildir/new/$f" "Maildir/cur/$f:2,S" && touch read; exit 111
EOF
	qp_start
	qp_msg rr > m
	atf_check "$QPOST_LIBEXEC/qinject" -f sender@example.test \
	    alice@example.test < m
	qp_wait_queue_empty 30
	qp_stop
	[ -f "$QP_DIR/home/alice/read" ] ||
	    atf_fail "the program never moved the copy: the test shows nothing"
	grep -q "to=<alice@example.test> result=defer try=1" "$QP_DIR/log" ||
	    atf_fail "the first delivery was not deferred"
	grep -q "start to=<alice@example.test> via=local try=2 again=maybe" \
	    "$QP_DIR/log" || atf_fail "the retry did not say it may repeat one"
	[ "$(qp_nfiles "$QP_DIR/home/alice/Maildir/new")" -eq 0 ] ||
	    atf_fail "the retry made a second copy in new/"
	[ "$(qp_nfiles "$QP_DIR/home/alice/Maildir/cur")" -eq 1 ] ||
	    atf_fail "cur/ does not hold exactly the one copy"
	qp_mail_body_equal "$QP_DIR"/home/alice/Maildir/cur/* m ||
	    atf_fail "the copy in cur/ differs"
	grep -q "delivered to=<alice@example.test> .*file=cur/.*:2,S found=yes" \
	    "$QP_DIR/log" || atf_fail "local did not log the copy found in cur/"
}
retry_read_cleanup() {
	qp_stop
}

# ---- as root: a system-mode instance and a throwaway account -------

setup_system() {
	R=$(mktemp -d /tmp/qpost-dot.XXXXXX)
	echo "$R" > root_dir
	chmod 755 "$R"
	export QPOST_QUEUE=$R/queue QPOST_CONTROL=$R/control
	export QPOST_LIBEXEC=$R/libexec
	atf_check -o ignore -e ignore "$(qp_top)/control/qpost-setup"
	mkdir "$R/libexec"
	cp "$(qp_top)"/build/libexec/* "$R/libexec/"
	chmod -R a+rX "$R/libexec"
	userdel qpt7a 2>/dev/null
	useradd --system --no-create-home --home-dir "$R/home/qpt7a" \
	    --shell /usr/sbin/nologin qpt7a || atf_fail "useradd qpt7a"
	mkdir -p "$R/home/qpt7a"
	chown qpt7a "$R/home/qpt7a"
	echo example.test > "$QPOST_CONTROL/me"
	echo example.test > "$QPOST_CONTROL/locals"
	echo ":127.0.0.1:1" > "$QPOST_CONTROL/smtproutes"
	echo 1 > "$QPOST_CONTROL/retrymin"
	"$QPOST_LIBEXEC/qpost-start" 2> "$R/log" &
	echo $! > "$R/pid"
	qp_wait_file_match "$R/log" "sched: ready" 30
}

stop_system() {
	[ -f root_dir ] || return 0
	R=$(cat root_dir)
	if [ -f "$R/pid" ]; then
		pid=$(cat "$R/pid")
		kill "$pid" 2>/dev/null
		gone() { ! qp_alive "$pid"; }
		qp_deadline_loop 10 gone
	fi
	userdel qpt7a 2>/dev/null
	rm -rf "$R"
	return 0
}

atf_test_case root_uid cleanup
root_uid_head() {
	atf_set "descr" "in system mode a dot file's program runs under the" \
	    "recipient's uid, and a group-writable dot file is refused"
	atf_set "require.user" "root"
	atf_set "timeout" "90"
}
root_uid_body() {
	setup_system
	h=$R/home/qpt7a
	echo '|id -u > uid.out; id -g > gid.out' > "$h/.qpost"
	chown qpt7a "$h/.qpost"
	qp_msg u1 > "$R/m"
	atf_check "$QPOST_LIBEXEC/qinject" qpt7a@example.test < "$R/m"
	qp_wait_file_match "$h/uid.out" . 30
	atf_check -o inline:"$(id -u qpt7a)\n" cat "$h/uid.out"
	atf_check -o inline:"$(id -g qpt7a)\n" cat "$h/gid.out"
	atf_check -o inline:"qpt7a\n" stat -c %U "$h/uid.out"

	rm "$h/uid.out"
	chmod 664 "$h/.qpost"
	atf_check "$QPOST_LIBEXEC/qinject" qpt7a@example.test < "$R/m"
	qp_wait_file_match "$R/log" "refused dotfile=$h/.qpost" 30
	qp_wait_file_match "$R/log" "result=defer" 30
	test ! -e "$h/uid.out" || atf_fail "ran despite a group-writable file"
	# another's dot file is refused the same way
	chmod 644 "$h/.qpost"
	chown root "$h/.qpost"
	qp_wait_file_match "$R/log" "\.qpost to=.*: it is not owned by the user" 30
	test ! -e "$h/uid.out" || atf_fail "ran despite another's dot file"
}
root_uid_cleanup() {
	stop_system
}

atf_init_test_cases() {
	atf_add_test_case lookup_order
	atf_add_test_case forward_fallback
	atf_add_test_case defaultdelivery
	atf_add_test_case refused
	atf_add_test_case bad_lines
	atf_add_test_case loop_stop
	atf_add_test_case mixed
	atf_add_test_case retry_read
	atf_add_test_case root_uid
}
