#!/bin/sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# fulldisk.sh - the unprivileged half of fulldisk_test: that test (as
# root) mounts a small tmpfs as the queue of an instance in DIR, with a
# ballast in its ballast/ folder, and runs this as the instance's user.
#
#	usage: fulldisk.sh SRCDIR DIR
#
# With sched stopped, smtpd takes messages until the queue is full and
# must then answer 452 4.3.1 (at MAIL or at the end of DATA); nothing
# partial may be left in drop/.  Then the ballast goes, sched starts,
# every accepted message is delivered intact, and a new one is accepted
# and delivered too.  Prints "refused: REPLY" and the audit's line;
# exits non-zero, with the reason on stderr, on any failure.

set -u
SRCDIR=$1
DIR=$2

# what tests/lib.sh needs from atf-sh
atf_get_srcdir() {
	echo "$SRCDIR"
}
atf_fail() {
	echo "fulldisk.sh: $*" >&2
	exit 1
}
. "$SRCDIR/../lib.sh"

cd "$DIR/.." || exit 1
qp_smtpd_instance "$DIR"
# no margin: the real ENOSPC path, not control/minfree's check at MAIL
echo 0 > "$QPOST_CONTROL/minfree"
qp_smtpd_start
mkdir sent
: > accepted

# fill: messages of about 40 kB until a 4xx reply; each accepted id
# goes to ./accepted, the refusing reply is printed
/usr/bin/python3 - "$QP_SMTP_HOST" "$QP_SMTP_PORT" <<'EOF' > fill.out ||
import smtplib, sys
host, port = sys.argv[1], int(sys.argv[2])
for i in range(200):
    tid = "d%d" % i
    body = "".join("line %05d of a message that fills the queue\n" % j
                   for j in range(900))
    msg = ("From: <sender@example.test>\nTo: <alice@example.test>\n"
           "Subject: full disk %s\nDate: Sat, 28 Nov 2026 12:00:00 +0000\n"
           "Message-ID: <%s.qptest@example.test>\nX-Test-Id: %s\n\n%s"
           % (tid, tid, tid, body))
    s = smtplib.SMTP(host, port, timeout=30)
    s.ehlo("client.test")
    code, text = s.mail("sender@example.test")
    if code == 250:
        code, text = s.rcpt("alice@example.test")
        if code != 250:
            print("unexpected RCPT reply %d" % code)
            sys.exit(1)
        try:
            code, text = s.data(msg)
        except smtplib.SMTPDataError as e:
            code, text = e.smtp_code, e.smtp_error
    s.quit()
    if code == 250:
        open("sent/" + tid, "w").write(msg)
        with open("accepted", "a") as f:
            f.write(tid + "\n")
        continue
    print("refused: %d %s after %d" % (code, text.decode(), i))
    sys.exit(0)
print("the queue never filled up")
sys.exit(1)
EOF
    atf_fail "filling the queue: $(cat fill.out)"
cat fill.out
n=$(wc -l < accepted | tr -d ' ')
[ "$n" -ge 1 ] || atf_fail "no message was accepted before the queue filled"
grep -q '^refused: 452 4\.3\.1 ' fill.out || atf_fail "not 452 4.3.1: $(cat fill.out)"
# nothing partial: only committed drop files, one per accepted message
[ -z "$(find "$QPOST_QUEUE/drop" -name '*.tmp')" ] ||
    atf_fail "a partial drop file is left: $(ls "$QPOST_QUEUE/drop")"
[ "$(qp_nfiles "$QPOST_QUEUE/drop")" -eq "$n" ] ||
    atf_fail "drop/ holds $(qp_nfiles "$QPOST_QUEUE/drop") files for $n accepted"
# still full: a second try is refused the same way
/usr/bin/python3 - "$QP_SMTP_HOST" "$QP_SMTP_PORT" <<'EOF' ||
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=30)
try:
    s.sendmail("sender@example.test", ["alice@example.test"],
               "Subject: still full\n\n" + "a line of a big message\n" * 9000)
except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as e:
    sys.exit(0 if e.smtp_code == 452 else 1)
print("accepted into a full queue")
sys.exit(1)
EOF
    atf_fail "a message was accepted into a full queue"

# space freed: sched takes the drop files and delivers them
rm -rf "$QPOST_QUEUE/ballast"
qp_start
qp_wait_for "$n" "$QP_DIR/home/alice/Maildir/new" 60
qp_wait_queue_empty 30
# and mail flows again
qp_msg after > sent/after
qp_smtp_send sent/after alice@example.test
echo after >> accepted
qp_wait_for "$((n + 1))" "$QP_DIR/home/alice/Maildir/new" 30
qp_wait_queue_empty 30
"$SRCDIR/../audit.py" --sent sent --accepted accepted \
    --maildir "$QP_DIR/home/alice/Maildir" > audit.out ||
    atf_fail "audit: $(cat audit.out)"
cat audit.out
qp_stop
QPOST_CLEANUP_AGE=0 qp_start
qp_wait_queue_empty 30
qp_stop
[ -z "$(find "$QPOST_QUEUE/drop" "$QPOST_QUEUE/mess" "$QPOST_QUEUE/env" \
    "$QPOST_QUEUE/tmp" -mindepth 1)" ] || atf_fail "the queue is not clean"
echo "fulldisk: ok"
