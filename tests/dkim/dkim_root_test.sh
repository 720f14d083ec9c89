#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# DKIM in system mode (as root): qpost-setup makes the account qpdkim
# and control/dkimkeys; qpdkim -g gives the key to qpdkim, 0400 in a
# 0700 folder, so neither smtpd's account nor remote's nor a user can
# read it; the signer runs as qpdkim, and a local user gets a signature
# for his own From only, whatever he claims in QPOST_SIGN.

. "$(atf_get_srcdir)/../lib.sh"

# run_as USER CMD... - CMD with USER's uid, primary gid and groups.
run_as() {
	_u=$1
	shift
	setpriv --reuid="$_u" --regid="$(id -g "$_u")" --init-groups "$@"
}

setup_system() {
	R=$(mktemp -d /tmp/qpost-dkim.XXXXXX)
	echo "$R" > root_dir
	chmod 755 "$R"
	export QPOST_QUEUE=$R/queue QPOST_CONTROL=$R/control
	export QPOST_LIBEXEC=$R/libexec
	atf_check "$(qp_top)/control/qpost-setup"
	mkdir "$R/libexec"
	cp "$(qp_top)"/build/libexec/* "$R/libexec/"
	chmod -R a+rX "$R/libexec"
	for u in qpdkrcpt qpdksend; do
		getent passwd $u >/dev/null || useradd --system \
		    --no-create-home --home-dir "$R/home/$u" \
		    --shell /usr/sbin/nologin $u
		mkdir -p "$R/home/$u"
		chown $u "$R/home/$u"
	done
	echo example.test > "$QPOST_CONTROL/me"
	echo example.test > "$QPOST_CONTROL/locals"
	echo ":127.0.0.1:1" > "$QPOST_CONTROL/smtproutes"
}

stop_system() {
	[ -f root_dir ] || return 0
	R=$(cat root_dir)
	for f in pid qpdkim.pid; do
		[ -f "$R/$f" ] && kill "$(cat "$R/$f")" 2>/dev/null
	done
	qp_deadline_loop 10 sh -c "! kill -0 $(cat "$R/pid" 2>/dev/null || echo 0) 2>/dev/null"
	rm -rf "$R"
	for u in qpdkrcpt qpdksend; do
		userdel $u 2>/dev/null
	done
	return 0
}

atf_test_case keys cleanup
keys_head() {
	atf_set "descr" "only qpdkim's uid reads the keys: qpsmtpd," \
	    "qpremote and users cannot; the signer runs as qpdkim and signs" \
	    "a local user's own From only"
	atf_set "require.user" "root"
	atf_set "require.progs" "setpriv runuser"
	atf_set "timeout" "90"
}
keys_body() {
	setup_system
	c=$QPOST_CONTROL
	atf_check -o inline:"qpdkim:qpdkim 700\n" stat -c "%U:%G %a" \
	    "$c/dkimkeys"
	atf_check -o match:"v=DKIM1; k=rsa; p=" -e ignore \
	    "$QPOST_LIBEXEC/qpdkim" -g sel example.test
	key=$c/dkimkeys/sel.example.test.key
	atf_check -o inline:"qpdkim:qpdkim 400\n" stat -c "%U:%G %a" "$key"
	atf_check -o match:"BEGIN PRIVATE KEY" setpriv --reuid=qpdkim \
	    --regid="$(id -g qpdkim)" --init-groups cat "$key"
	for u in qpsmtpd qpremote qpqueue qpauth qpdksend nobody; do
		if run_as "$u" cat "$key" >/dev/null 2>&1; then
			atf_fail "$u can read the DKIM key"
		fi
	done
	echo example.test:sel > "$c/dkim"
	echo "$R/qpdkim.sock" > "$c/dkimsocket"
	"$QPOST_LIBEXEC/qpdkim" -d "$R/qpdkim.sock" 2> "$R/qpdkim.log" &
	echo $! > "$R/qpdkim.pid"
	qp_deadline_loop 10 test -S "$R/qpdkim.sock" ||
	    qp_fail "qpdkim did not start" "$R/qpdkim.log"
	qp_wait_file_match "$R/qpdkim.log" "listening uid=$(id -u qpdkim)" 10
	pid=$(cat "$R/qpdkim.pid")
	atf_check -o match:"^Uid:	$(id -u qpdkim)	$(id -u qpdkim)	" \
	    grep '^Uid:' "/proc/$pid/status"
	atf_check -o inline:"qpdkim 666\n" stat -c "%U %a" "$R/qpdkim.sock"

	"$QPOST_LIBEXEC/qpost-start" 2> "$R/log" &
	echo $! > "$R/pid"
	qp_wait_file_match "$R/log" "sched: ready" 30
	new=$R/home/qpdkrcpt/Maildir/new
	# his own From: signed
	printf 'From: qpdksend@example.test\nSubject: a\n\nmine\n' > "$R/m1"
	# another's, even claiming smtpd's "auth": not signed
	printf 'From: boss@example.test\nSubject: b\n\nforged\n' > "$R/m2"
	chmod 644 "$R/m1" "$R/m2"
	atf_check runuser -u qpdksend -- "$QPOST_LIBEXEC/qinject" \
	    qpdkrcpt@example.test < "$R/m1"
	# qmail-queue's protocol: the envelope on fd 1
	printf 'Fqpdksend@example.test\000Tqpdkrcpt@example.test\000\000' \
	    > "$R/env2"
	chmod 644 "$R/env2"
	atf_check runuser -u qpdksend -- sh -c "QPOST_SIGN=auth \
	    '$QPOST_LIBEXEC/qinject' -Q < '$R/m2' 1< '$R/env2'"
	qp_wait_for 2 "$new" 30
	atf_check -o match:"^DKIM-Signature: .*d=example.test; s=sel" \
	    sh -c "cat \$(grep -l '^mine' '$new'/*)"
	atf_check -s exit:1 grep -l "^DKIM-Signature" \
	    $(grep -l '^forged' "$new"/*)
	atf_check -o match:"dkim=none reason=from_not_the_users d=example.test from=<boss@example.test>" \
	    cat "$R/qpdkim.log"
}
keys_cleanup() {
	stop_system
}

atf_init_test_cases() {
	atf_add_test_case keys
}
