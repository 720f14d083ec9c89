#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# qstat lists the queue: a known queue written by golden/mkqueue.py
# (every recipient state, a held message, hostile bytes) matches the
# golden files in every format, its JSON parses, mailq prints the
# common listing, and a queue sched made itself lists as it should.

. "$(atf_get_srcdir)/../lib.sh"

NOW=1800000000	# 2027-01-15 08:00:00 UTC: -t for the known queue

# known_queue - ./q holding the known queue; QPOST_QUEUE points there.
known_queue() {
	mkdir -p q/drop q/env q/mess q/tmp || atf_fail "cannot make ./q"
	/usr/bin/python3 "$(atf_get_srcdir)/golden/mkqueue.py" q "$NOW" ||
	    atf_fail "mkqueue.py failed"
	QPOST_QUEUE=$PWD/q
	QPOST_LIBEXEC=$(qp_top)/build/libexec
	export QPOST_QUEUE QPOST_LIBEXEC
	[ -x "$QPOST_LIBEXEC/qstat" ] || atf_fail "qstat is not built: run make"
}

# golden NAME ARGS... - qstat ARGS (local time UTC) must print exactly
# golden/NAME; the two warnings about the known queue's bad files go to
# stderr.
golden() {
	_g=$1
	shift
	TZ=UTC "$QPOST_LIBEXEC/qstat" "$@" > "$_g.out" 2> "$_g.err" ||
	    qp_fail "qstat $* exited $?" "$_g.err"
	if ! cmp -s "$(atf_get_srcdir)/golden/$_g" "$_g.out"; then
		diff -u "$(atf_get_srcdir)/golden/$_g" "$_g.out" >&2
		atf_fail "qstat $* differs from golden/$_g"
	fi
	grep -q '^qstat: warning: env/d000000000000005 cannot be parsed' \
	    "$_g.err" || qp_fail "no warning for the broken env file" "$_g.err"
	grep -q '^qstat: warning: env/not-a-queue-id is not a queue file' \
	    "$_g.err" || qp_fail "no warning for the stray name" "$_g.err"
}

atf_test_case golden_formats
golden_formats_head() {
	atf_set "descr" "the known queue in text, summary, JSON and mailq" \
	    "form matches the golden files byte for byte"
	atf_set "require.user" "unprivileged"
}
golden_formats_body() {
	known_queue
	golden text -t "$NOW"
	golden summary -t "$NOW" -s
	golden json -t "$NOW" -j
	golden summary.json -t "$NOW" -s -j
	golden mailq -t "$NOW" -m
	# as mailq, the name alone chooses the format
	ln -s "$QPOST_LIBEXEC/qstat" mailq
	TZ=UTC ./mailq > byname.out 2>/dev/null || atf_fail "mailq failed"
	cmp -s "$(atf_get_srcdir)/golden/mailq" byname.out ||
	    atf_fail "mailq by its name differs from qstat -m"
	# ids as operands: only those, in the same order as ever
	TZ=UTC "$QPOST_LIBEXEC/qstat" -t "$NOW" c000000000000004 \
	    0f00000000000000 > two.out 2>/dev/null || atf_fail "qstat IDS failed"
	grep '^id=' "$(atf_get_srcdir)/golden/text" |
	    grep -e 0f00000000000000 -e c000000000000004 > want
	grep '^id=' two.out | cmp -s - want ||
	    atf_fail "qstat with two ids does not list just those"
}

atf_test_case json_parses
json_parses_head() {
	atf_set "descr" "the JSON listings are one document each that" \
	    "Python's json accepts, all ASCII, with the hostile bytes intact"
	atf_set "require.user" "unprivileged"
}
json_parses_body() {
	known_queue
	"$QPOST_LIBEXEC/qstat" -t "$NOW" -j > j 2>/dev/null || atf_fail "qstat -j"
	"$QPOST_LIBEXEC/qstat" -t "$NOW" -j -s > s 2>/dev/null ||
	    atf_fail "qstat -j -s"
	cat > check.py <<'EOF'
import json, sys
raw = open("j", "rb").read()
raw.decode("ascii")                       # all ASCII
d = json.loads(raw)
assert d["version"] == 1 and d["now"] == int(sys.argv[1]), d
assert d["waiting"] == 1 and d["broken"] == ["d000000000000005"]
ids = [m["id"] for m in d["messages"]]
assert ids == ["b000000000000003", "0f00000000000000",
               "a000000000000001", "c000000000000004"], ids
m = {x["id"]: x for x in d["messages"]}
h = m["b000000000000003"]
assert h["sender"] == 'e"vil\x1b[31m <x>\\@bad.test', h["sender"]
r = h["recipients"]
assert r[0]["address"] == "jos\u00e9@ex\u00e4mple.test"
assert r[0]["error"] == ('quote " back\\slash esc\x1b tab\t bidi\u202e'
                         ' end \ufffd \U0001f4e8'), r[0]["error"]
assert r[0]["state"] == "pending" and r[0]["next_in"] == 0
assert r[1]["address"] == "evil\u0085@Bad.Test" and r[1]["state"] == "failed"
assert r[1]["next"] is None
assert m["0f00000000000000"]["held"] is True
assert m["0f00000000000000"]["sender"] == ""
a = m["a000000000000001"]
assert [x["state"] for x in a["recipients"]] == [
    "pending", "delivered", "pending", "bounced", "pending"]
assert a["recipients"][1]["error"] is None
assert a["age"] == 7200 and a["size"] == 2000 and a["held"] is False
assert a["recipients"][0]["next_in"] == 600
assert m["c000000000000004"]["age"] == 0
s = json.loads(open("s", "rb").read())
doms = [(x["domain"], x["recipients"]) for x in s["domains"]]
assert doms == [("remote.test", 4), ("bad.test", 1),
                ("ex\u00e4mple.test", 1), ("other.test", 1)], doms
assert s["total"] == {"domains": 4, "messages": 4, "recipients": 7,
                      "held": 1}, s["total"]
EOF
	atf_check /usr/bin/python3 check.py "$NOW"
}

atf_test_case empty_queue
empty_queue_head() {
	atf_set "descr" "an empty queue: no lines, an empty JSON list, a" \
	    "zero total, and mailq's 'Mail queue is empty'"
	atf_set "require.user" "unprivileged"
}
empty_queue_body() {
	mkdir -p q/drop q/env q/mess q/tmp
	QPOST_QUEUE=$PWD/q
	export QPOST_QUEUE
	qs=$(qp_top)/build/libexec/qstat
	atf_check -o empty "$qs"
	atf_check -o inline:'Mail queue is empty\n' "$qs" -m
	ln -s "$qs" mailq
	atf_check -o inline:'Mail queue is empty\n' ./mailq
	atf_check -o match:'^usage: mailq' ./mailq -h
	atf_check -o inline:'total domains=0 msgs=0 rcpts=0 held=0 waiting=0\n' \
	    "$qs" -s
	atf_check -o inline:'{"version":1,"now":5,"waiting":0,"broken":[],"messages":[\n]}\n' \
	    "$qs" -j -t 5
	"$qs" -j -s | /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin)
assert d["domains"] == [] and d["total"]["messages"] == 0' ||
	    atf_fail "the empty summary is not the JSON expected"
}

atf_test_case usage
usage_head() {
	atf_set "descr" "-h prints the usage; bad options and ids exit 100;" \
	    "a queue that cannot be read exits 111"
	atf_set "require.user" "unprivileged"
}
usage_body() {
	mkdir -p q/drop q/env q/mess q/tmp
	QPOST_QUEUE=$PWD/q
	export QPOST_QUEUE
	qs=$(qp_top)/build/libexec/qstat
	atf_check -o match:'^usage: qstat' "$qs" -h
	atf_check -s exit:100 -e match:'usage: qstat' "$qs" -x
	atf_check -s exit:100 -e match:'not a queue id' "$qs" ../etc/passwd
	atf_check -s exit:100 -e match:'usage: qstat' "$qs" -t soon
	atf_check -s exit:100 -e match:'usage: qstat' "$qs" -m -j
	QPOST_QUEUE=$PWD/nonexistent
	atf_check -s exit:111 -e match:'unable to open the queue' "$qs"
}

atf_test_case live_queue cleanup
live_queue_head() {
	atf_set "descr" "a queue sched made: deferred remote mail lists with" \
	    "its state, tries and error (ids and times masked), as golden/live"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
live_queue_body() {
	qp_instance "$PWD/inst"
	echo 3600 > "$QPOST_CONTROL/retrymin"
	echo 3600 > "$QPOST_CONTROL/retrymax"
	qp_start
	qp_msg live1 > m1
	qp_msg live2 > m2
	QPOST_ID_FD=3 "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    one@remote.test two@remote.test < m1 3> id1 || atf_fail "qinject"
	qp_wait_log "id=$(cat id1) to=<two@remote.test> result=defer try=1" 30
	QPOST_ID_FD=3 "$QPOST_LIBEXEC/qinject" -f alice@example.test \
	    three@far.test alice@example.test < m2 3> id2 || atf_fail "qinject"
	qp_wait_log "id=$(cat id2) to=<three@far.test> result=defer try=1" 30
	qp_wait_log "id=$(cat id2) to=<alice@example.test> result=ok" 30
	# ages are counted to the second message's arrival, a known offset
	arrival=$("$QPOST_LIBEXEC/qstat" -j "$(cat id2)" |
	    /usr/bin/python3 -c 'import json, sys
print(json.load(sys.stdin)["messages"][0]["arrival"])')
	# one id at a time: both may have arrived in the same second, and
	# then the order is the ids' (random) order
	for i in id1 id2; do
		"$QPOST_LIBEXEC/qstat" -t $((arrival + 100)) "$(cat $i)" ||
		    atf_fail "qstat failed"
	done > live.raw
	sed -e "s/$(cat id1)/ID1/; s/$(cat id2)/ID2/" \
	    -e 's/ age=[0-9smhd]* size=[0-9]* / age=A size=S /' \
	    -e 's/ next=+[0-9smh]* / next=+N /' live.raw > live.out
	if ! cmp -s "$(atf_get_srcdir)/golden/live" live.out; then
		diff -u "$(atf_get_srcdir)/golden/live" live.out >&2
		atf_fail "the live queue differs from golden/live"
	fi
	# the second message is 100 s old at -t arrival+100
	grep -q "^id=$(cat id2) age=1m40s " live.raw ||
	    atf_fail "the age is not counted to -t"
	qp_stop
}
live_queue_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case golden_formats
	atf_add_test_case json_parses
	atf_add_test_case empty_queue
	atf_add_test_case usage
	atf_add_test_case live_queue
}
