#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Program delivery (`|command', dot-qpost(5)): exit codes, the
# environment, the message on standard input, the time limit, the
# program's output in the result text; first by running local itself,
# then through a whole instance for the bounce and the retry.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/local.sh"

atf_test_case exit_codes
exit_codes_head() {
	atf_set "descr" "exit 0 delivers, 99 delivers and skips the lines" \
	    "after it, 100 fails permanently, 111, any other code and a" \
	    "signal fail temporarily; each text says so"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
exit_codes_body() {
	setup_local p1
	printf '|exit 0\n|touch ran2\n' > home/.qpost
	atf_check -s exit:0 -o match:"^2.0.0 .*program delivered" \
	    -e ignore ./dl
	test -f home/ran2 || atf_fail "the line after exit 0 did not run"
	rm home/ran2

	printf '|exit 99\n|touch ran2\n' > home/.qpost
	atf_check -s exit:0 -o match:"^2.0.0 .*99: stop" -e ignore ./dl
	test ! -e home/ran2 || atf_fail "exit 99 did not stop the dot file"

	printf '|echo no such member; exit 100\n|touch ran2\n' > home/.qpost
	atf_check -s exit:100 \
	    -o match:"^5.3.0 .qpost line 1: <alice@example.test>: program exited 100: no such member$" \
	    -e match:"result=bounce" ./dl
	test ! -e home/ran2 || atf_fail "a line ran after a permanent failure"

	printf '|exit 111\n' > home/.qpost
	atf_check -s exit:111 -o match:"^4.3.0 .*program exited 111" \
	    -e match:"result=defer" ./dl
	printf '|exit 3\n' > home/.qpost
	atf_check -s exit:111 -o match:"^4.3.0 .*program exited 3" \
	    -e ignore ./dl
	printf '|kill -KILL $$\n' > home/.qpost
	atf_check -s exit:111 -o match:"^4.3.0 .*program killed by signal 9" \
	    -e ignore ./dl
	# a program that reads nothing, with a message bigger than a pipe
	dd if=/dev/zero bs=1024 count=512 2>/dev/null | tr '\0' x >> m
	printf '|exit 0\n' > home/.qpost
	atf_check -s exit:0 -o match:"^2.0.0" -e ignore ./dl
}

atf_test_case environment
environment_head() {
	atf_set "descr" "a program gets SENDER, RECIPIENT, LOCAL, EXT, HOST," \
	    "DTLINE, RPLINE, USER, HOME, PATH and QPOST_*, nothing else of" \
	    "local's environment, the home as its folder and Return-Path," \
	    "Delivered-To and the message byte for byte on standard input"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
environment_body() {
	setup_local p1
	cat > home/.qpost-default <<'EOF'
|env > env.out; pwd > pwd.out; cat > in.out
EOF
	atf_check -s exit:0 -o match:"^2.0.0" -e ignore \
	    env SECRET=leak QPOST_EXTRA=yes sh -c \
	    "exec '$L/local' -i - -u alice -s sender@example.test \
	    -r alice+Ext.X@example.test -d '$PWD/home' -l alice \
	    -e Ext.X -m example.test < m"
	cd home
	for v in "SENDER=sender@example.test" \
	    "RECIPIENT=alice+Ext.X@example.test" "LOCAL=alice" "EXT=Ext.X" \
	    "HOST=example.test" "DTLINE=Delivered-To: <alice+Ext.X@example.test>" \
	    "RPLINE=Return-Path: <sender@example.test>" "USER=alice" \
	    "HOME=$PWD" "PATH=/usr/bin:/bin" "QPOST_EXTRA=yes" \
	    "QPOST_CONTROL=$QPOST_CONTROL" "QPOST_LIBEXEC=$QPOST_LIBEXEC"; do
		grep -qxF "$v" env.out || atf_fail "no '$v' in the environment"
	done
	! grep -q SECRET env.out || atf_fail "local's environment leaked"
	# only what the table above names, and what sh adds itself
	names=$(sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' env.out |
	    grep -vxE 'SENDER|RECIPIENT|LOCAL|EXT|HOST|DTLINE|RPLINE|USER|HOME|PATH|QPOST_[A-Z_]*|PWD|OLDPWD|SHLVL|_' |
	    tr '\n' ' ')
	[ -z "$names" ] || atf_fail "unexpected variables: $names"
	atf_check -o inline:"$PWD\n" cat pwd.out
	{
		echo "Return-Path: <sender@example.test>"
		echo "Delivered-To: <alice+Ext.X@example.test>"
		cat ../m
	} > want
	cmp want in.out || atf_fail "standard input differs from the message"
}

atf_test_case timeout
timeout_head() {
	atf_set "descr" "a program that hangs is killed with its whole" \
	    "process group at control/timeoutprogram: 4.3.0 timed out"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
timeout_body() {
	setup_local p1
	echo 1 > control/timeoutprogram
	# the child ignores TERM: only the group's SIGKILL ends it
	cat > home/.qpost <<'EOF'
|(trap '' TERM; exec sleep 50) & echo $! > child.pid; echo started; sleep 40
EOF
	start=$(date +%s)
	atf_check -s exit:111 \
	    -o match:"^4.3.0 .*program timed out after 1 s: started$" \
	    -e match:"result=defer" ./dl
	took=$(($(date +%s) - start))
	[ "$took" -lt 20 ] || atf_fail "took $took s to give up"
	pid=$(cat home/child.pid)
	gone() { ! qp_alive "$pid"; }
	qp_deadline_loop 5 gone || {
		kill -KILL "$pid"
		atf_fail "the program's child $pid survived the time limit"
	}
	echo 0 > control/timeoutprogram
	atf_check -s exit:111 -o match:"timeoutprogram is broken" \
	    -e match:"timeoutprogram" ./dl
}

atf_test_case term
term_head() {
	atf_set "descr" "a SIGTERM to local (qpost stopping) stops a running" \
	    "program's group and fails temporarily at once"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
term_body() {
	setup_local p1
	echo '|sleep 50 & echo $! > child.pid; sleep 40' > home/.qpost
	./dl > out 2> err &
	pid=$!
	qp_wait_file_match home/child.pid . 20
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" -eq 111 ] || atf_fail "exit $rc, not 111: $(cat out)"
	grep -q "^4.3.0 .*program stopped: qpost is stopping" out ||
	    atf_fail "text: $(cat out)"
	child=$(cat home/child.pid)
	gone() { ! qp_alive "$child"; }
	qp_deadline_loop 10 gone || {
		kill -KILL "$child"
		atf_fail "the program's child survived"
	}
}

atf_test_case output_bounded
output_bounded_head() {
	atf_set "descr" "a program's output in the result text is cut to" \
	    "about 800 bytes and made printable"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
output_bounded_body() {
	setup_local p1
	cat > home/.qpost <<'EOF'
|printf 'a\001b\tc\r\nd\377e '; i=0; while [ $i -lt 400 ]; do printf 'xxxxxxxxxx\n'; i=$((i+1)); done; exit 100
EOF
	./dl > out 2> err
	[ $? -eq 100 ] || atf_fail "not a permanent failure"
	grep -q "program exited 100: a?b c d?e xxxxxxxxxx xxx" out ||
	    atf_fail "output not made printable: $(cat out)"
	grep -q '\.\.\.$' out || atf_fail "a cut output does not say so"
	n=$(wc -c < out)
	[ "$n" -lt 1000 ] || atf_fail "result text of $n bytes"
	[ "$(wc -l < out)" -eq 1 ] || atf_fail "result text is not one line"
}

atf_test_case bounce cleanup
bounce_head() {
	atf_set "descr" "exit 100 bounces, and the bounce shows what the" \
	    "program said"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
bounce_body() {
	qp_instance "$PWD/inst"
	echo '|echo "list closed: ask the owner"; exit 100' \
	    > "$QP_DIR/home/alice/.qpost"
	qp_start
	qp_msg b1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    alice@example.test < m
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	atf_check -o match:"list closed: ask the owner" \
	    -o match:"program exited 100" -o match:"X-Test-Id: b1" \
	    sh -c "cat '$QP_DIR'/home/bob/Maildir/new/*"
	test ! -d "$QP_DIR/home/alice/Maildir" ||
	    atf_fail "alice got a copy after all"
	qp_wait_queue_empty 30
	qp_stop
}
bounce_cleanup() {
	qp_stop
}

atf_test_case retry cleanup
retry_head() {
	atf_set "descr" "exit 111 defers and the retry delivers once the" \
	    "program succeeds, with the message byte for byte"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
retry_body() {
	qp_instance "$PWD/inst"
	echo 1 > "$QPOST_CONTROL/retrymin"
	echo 2 > "$QPOST_CONTROL/retrymax"
	cat > "$QP_DIR/home/alice/.qpost" <<'EOF'
|test -f ready || { echo not yet; exit 111; }; cat > got
EOF
	qp_start
	qp_msg r1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    alice@example.test < m
	qp_wait_log "to=<alice@example.test> result=defer.*not yet" 30
	touch "$QP_DIR/home/alice/ready"
	qp_wait_queue_empty 30
	qp_mail_body_equal "$QP_DIR/home/alice/got" m ||
	    atf_fail "the program got something else"
	atf_check -o match:"^Return-Path: <bob@example.test>" \
	    head -n 1 "$QP_DIR/home/alice/got"
	qp_stop
}
retry_cleanup() {
	qp_stop
}

atf_test_case orphan cleanup
orphan_head() {
	atf_set "descr" "a local whose lspawn dies gets SIGTERM and stops" \
	    "its program: a delivery it finished would be made again by" \
	    "the next lspawn"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
orphan_body() {
	qp_instance "$PWD/inst"
	echo "|echo \$\$ > $PWD/prog.pid; exec sleep 50" \
	    > "$QP_DIR/home/alice/.qpost"
	qp_start
	qp_msg o1 > m
	atf_check "$QPOST_LIBEXEC/qinject" alice@example.test < m
	qp_wait_file_match prog.pid . 30
	qp_kill_spawner lspawn prog.pid
	qp_stop
}
orphan_cleanup() {
	[ -f prog.pid ] && kill -KILL "$(cat prog.pid)" 2>/dev/null
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case orphan
	atf_add_test_case exit_codes
	atf_add_test_case environment
	atf_add_test_case timeout
	atf_add_test_case term
	atf_add_test_case output_bounded
	atf_add_test_case bounce
	atf_add_test_case retry
}
