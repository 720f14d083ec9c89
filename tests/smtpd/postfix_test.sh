#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Postfix as smtpd's client.  relay: a PRIVATE Postfix instance (its
# own config_directory, queue_directory and data_directory under a
# folder of this test, listening on 127.0.0.1 only, relayhost = qpost's
# smtpd, no local delivery) takes a message from swaks and relays it
# into smtpd; it is delivered.  The system instance (/etc/postfix) is
# never touched: every postfix command here has -c.  Postfix must be
# started as root, so that case runs as root and runs qpost's
# single-user instance as the unprivileged account qptest (runuser);
# Postfix's mail_owner is the account qppostfix (made if missing).
# relay_tls: the same with smtp_tls_security_level = encrypt: Postfix
# must use STARTTLS (with a self-signed certificate in qpost's
# control/), and smtpd's Received: says ESMTPS.
# smtp_source: smtp-source sends 1000 messages over 20 sessions
# straight into smtpd; each is delivered exactly once.

. "$(atf_get_srcdir)/../lib.sh"

QP_USER=qptest
PF_OWNER=qppostfix

# pf_base - a world-searchable folder for this case's instance and
# Postfix (kyua's work directory may not be reachable by qptest),
# noted in ./pf_base for the cleanup.
pf_base() {
	PF_BASE=$(mktemp -d /tmp/qp-postfix.XXXXXX) ||
	    atf_fail "mktemp failed"
	chmod 0755 "$PF_BASE"
	echo "$PF_BASE" > pf_base
}

# qp_as_user - make and start, as $QP_USER, a qpost instance in
# $PF_BASE/inst with smtpd under tcpserver (lib.sh's qp_smtpd_instance,
# qp_start, qp_smtpd_start, run under runuser with atf stand-ins); sets
# QP_DIR and QP_SMTP_PORT here.
qp_as_user() {
	id "$QP_USER" >/dev/null 2>&1 || useradd --system --no-create-home \
	    --shell /usr/sbin/nologin "$QP_USER" ||
	    atf_fail "cannot make the account $QP_USER"
	mkdir "$PF_BASE/q" && chown "$QP_USER" "$PF_BASE/q" ||
	    atf_fail "cannot make $PF_BASE/q"
	# shellcheck disable=SC2016 # expanded by the inner shell
	runuser -u "$QP_USER" -- env -i PATH=/usr/bin:/bin \
	    HOME="$PF_BASE/q" ${QP_SMTPD:+QP_SMTPD="$QP_SMTPD"} \
	    /bin/sh -c '
		srcdir=$1 base=$2
		cd "$base" || exit 1
		atf_fail() { echo "qp_as_user: $*" >&2; exit 1; }
		atf_get_srcdir() { echo "$srcdir"; }
		. "$srcdir/../lib.sh"
		qp_smtpd_instance "$base/inst" || exit 1
		qp_start || exit 1
		qp_smtpd_start || exit 1
		echo "$QP_SMTP_PORT" > "$base/inst/port"
	    ' qp_as_user "$(atf_get_srcdir)" "$PF_BASE/q" \
	    > "$PF_BASE/q.out" 2>&1 ||
	    qp_fail "cannot start qpost as $QP_USER" "$PF_BASE/q.out"
	QP_DIR=$PF_BASE/q/inst
	QP_SMTP_PORT=$(cat "$QP_DIR/port")
	QPOST_QUEUE=$QP_DIR/queue
	export QP_DIR QP_SMTP_PORT QPOST_QUEUE
}

# pf_start RELAYPORT [TLSLEVEL] - write a private Postfix configuration in
# $PF_BASE/pf (etc/, spool/, data/) that listens on 127.0.0.1:PF_PORT
# (a free port), relays everything for 127.0.0.0/8 to
# [127.0.0.1]:RELAYPORT and delivers nothing locally; start it with
# postfix -c and wait until it accepts connections.  TLSLEVEL is its
# smtp_tls_security_level (default none).
pf_start() {
	id "$PF_OWNER" >/dev/null 2>&1 || useradd --system --no-create-home \
	    --shell /usr/sbin/nologin "$PF_OWNER" ||
	    atf_fail "cannot make the account $PF_OWNER"
	getent group postdrop >/dev/null ||
	    atf_fail "no group postdrop: is the postfix package installed?"
	PF=$PF_BASE/pf
	PF_PORT=$(qp_free_port)
	mkdir -p "$PF/etc" "$PF/spool" "$PF/data" ||
	    atf_fail "cannot make $PF"
	chown "$PF_OWNER" "$PF/data"
	cat > "$PF/etc/main.cf" <<EOM
# private Postfix for qpost's postfix_test: never the system instance
compatibility_level = 3.6
config_directory = $PF/etc
queue_directory = $PF/spool
data_directory = $PF/data
mail_owner = $PF_OWNER
setgid_group = postdrop
myhostname = pf.test
mydomain = pf.test
myorigin = pf.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$1
local_transport = error:no local delivery here
alias_maps =
alias_database =
smtp_dns_support_level = disabled
smtp_tls_security_level = ${2:-none}
smtp_tls_loglevel = 1
smtpd_tls_security_level = none
smtp_helo_name = pf.test
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
biff = no
EOM
	cat > "$PF/etc/master.cf" <<EOM
127.0.0.1:$PF_PORT inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
tlsmgr    unix  - - n 1000? 1 tlsmgr
postlog   unix-dgram n - n - 1 postlogd
EOM
	echo "$PF/etc" > pf_config
	postfix -c "$PF/etc" check > "$PF/start.out" 2>&1 ||
	    qp_fail "postfix check failed" "$PF/maillog"
	postfix -c "$PF/etc" start >> "$PF/start.out" 2>&1 ||
	    qp_fail "postfix start failed" "$PF/maillog"
	qp_deadline_loop 30 qp_port_open 127.0.0.1 "$PF_PORT" ||
	    qp_fail "private postfix not listening on $PF_PORT" "$PF/maillog"
}

# pf_stop - stop the private Postfix (only it: -c its own folder).
pf_stop() {
	[ -s pf_config ] || return 0
	postfix -c "$(cat pf_config)" stop >/dev/null 2>&1
	# postfix stop returns before master has gone: wait for its pid
	_pf_pid=$(cat "$(dirname "$(cat pf_config)")/spool/pid/master.pid" \
	    2>/dev/null | tr -d ' ')
	if [ -n "$_pf_pid" ]; then
		qp_deadline_loop 10 sh -c "! kill -0 $_pf_pid 2>/dev/null" ||
		    postfix -c "$(cat pf_config)" abort >/dev/null 2>&1
	fi
}

# pf_cleanup - stop Postfix and qpost, remove the folder.
pf_cleanup() {
	pf_stop
	if [ -s pf_base ]; then
		qp_stop "$(cat pf_base)/q/inst"
		rm -rf "$(cat pf_base)"
	fi
}

atf_test_case relay cleanup
relay_head() {
	atf_set "descr" "swaks into a private Postfix on loopback, which" \
	    "relays into qpost's smtpd: the message is delivered as sent"
	atf_set "require.user" "root"
	atf_set "require.progs" "postfix swaks runuser"
	atf_set "timeout" "120"
}
relay_body() {
	pf_base
	qp_as_user
	pf_start "$QP_SMTP_PORT"
	qp_msg pf1 > m
	head -c -1 m > m.swaks	# swaks ends the data with CRLF itself
	atf_check -o match:"<-  250 " -e ignore swaks --server 127.0.0.1 \
	    --port "$PF_PORT" --helo client.test --from sender@example.test \
	    --to alice@example.test --data @m.swaks --timeout 10
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 60
	qp_wait_queue_empty 30
	f=$(ls "$QP_DIR"/home/alice/Maildir/new/*)
	# Postfix adds its own Received: and may add headers; the body and
	# our headers are intact, and smtpd's Received: names Postfix
	atf_check -o match:"^X-Test-Id: pf1" -o match:"^Received: from pf\.test" \
	    -o match:"^\.\.a line starting with dots" cat "$f"
	grep -q "status=sent" "$PF/maillog" ||
	    qp_fail "Postfix did not log status=sent" "$PF/maillog"
	pf_stop
	qp_stop "$QP_DIR"
}
relay_cleanup() {
	pf_cleanup
}

atf_test_case relay_tls cleanup
relay_tls_head() {
	atf_set "descr" "a private Postfix with smtp_tls_security_level =" \
	    "encrypt relays into smtpd over STARTTLS: delivered, ESMTPS"
	atf_set "require.user" "root"
	atf_set "require.progs" "postfix swaks runuser openssl"
	atf_set "timeout" "120"
}
relay_tls_body() {
	pf_base
	qp_as_user
	# smtpd reads control/ per connection: the certificate can come now
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj /CN=mx.example.test -days 2 -keyout "$QP_DIR/control/tls.key" \
	    -out "$QP_DIR/control/tls.crt" > openssl.out 2>&1 ||
	    qp_fail "openssl req failed" openssl.out
	chown "$QP_USER" "$QP_DIR/control/tls.key" "$QP_DIR/control/tls.crt"
	chmod 0600 "$QP_DIR/control/tls.key"
	pf_start "$QP_SMTP_PORT" encrypt
	qp_msg pf2 > m
	head -c -1 m > m.swaks
	atf_check -o match:"<-  250 " -e ignore swaks --server 127.0.0.1 \
	    --port "$PF_PORT" --helo client.test --from sender@example.test \
	    --to alice@example.test --data @m.swaks --timeout 10
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 60
	qp_wait_queue_empty 30
	f=$(ls "$QP_DIR"/home/alice/Maildir/new/*)
	atf_check -o match:"^X-Test-Id: pf2" \
	    -o match:"with ESMTPS \(TLSv1\.[23]:" cat "$f"
	grep -q "TLS connection established" "$PF/maillog" ||
	    qp_fail "Postfix did not log a TLS connection" "$PF/maillog"
	grep -q "status=sent" "$PF/maillog" ||
	    qp_fail "Postfix did not log status=sent" "$PF/maillog"
	pf_stop
	qp_stop "$QP_DIR"
}
relay_tls_cleanup() {
	pf_cleanup
}

atf_test_case smtp_source cleanup
smtp_source_head() {
	atf_set "descr" "smtp-source -s 20 -m 1000 straight into smtpd: all" \
	    "1000 are delivered exactly once (distinct Message-Ids)"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "smtp-source"
	# a sanitizer build runs each program several times slower
	atf_set "timeout" "900"
}
smtp_source_body() {
	qp_smtpd_instance "$PWD/inst"
	qp_start
	qp_smtpd_start
	atf_check -o ignore -e ignore timeout 400 smtp-source -s 20 -m 1000 \
	    -f a@x.test -t alice@example.test "127.0.0.1:$QP_SMTP_PORT"
	qp_wait_for 1000 "$QP_DIR/home/alice/Maildir/new" 400
	qp_wait_queue_empty 60
	atf_check -o inline:"1000\n" sh -c \
	    "ls '$QP_DIR'/home/alice/Maildir/new | wc -l | tr -d ' '"
	atf_check -o inline:"1000\n" sh -c "grep -h -i '^Message-Id:' \
	    '$QP_DIR'/home/alice/Maildir/new/* | sort -u | wc -l | tr -d ' '"
	qp_stop "$QP_DIR"
}
smtp_source_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case relay
	atf_add_test_case relay_tls
	atf_add_test_case smtp_source
}
