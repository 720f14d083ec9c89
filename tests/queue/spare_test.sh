#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Spare drop files (queue/queue_spare.h): sched keeps a queued message's
# drop file in spare/<uid>.<slot>, the uid's next qinject writes over it
# instead of creating a file, and nothing planted there is ever written.

. "$(atf_get_srcdir)/../lib.sh"

SLOTS=256	# spare names a uid, as SPARE_SLOTS in queue/queue_spare.h

# big_msg ID - qp_msg ID with 40 KiB more body: longer than what follows
big_msg() {
	qp_msg "$1"
	i=0
	while [ $i -lt 512 ]; do
		echo "filler line $i of the long message, long enough to count."
		i=$((i + 1))
	done
}

# spares - the names in spare/, one a line
spares() {
	ls -A "$QPOST_QUEUE/spare"
}

# wait_spares N - wait until spare/ holds N entries
wait_spares() {
	_sp_want=$1
	_sp_enough() {
		[ "$(spares | wc -l)" -eq "$_sp_want" ]
	}
	qp_deadline_loop 30 _sp_enough ||
	    atf_fail "spare/ holds '$(spares | tr '\n' ' ')', not $1 files"
}

# fill_spares FILE [N] - every empty slot of this uid in spare/ (or the
# first N) gets a copy of FILE (qinject probes slots at random: with all
# full, it finds one at once); the inode numbers of all into spare_inodes
fill_spares() {
	mkdir -p -m 1777 "$QPOST_QUEUE/spare"
	_fs_i=0
	while [ $_fs_i -lt "${2:-$SLOTS}" ]; do
		_fs_f=$QPOST_QUEUE/spare/$(id -u).$_fs_i
		[ -e "$_fs_f" ] || cp "$1" "$_fs_f"
		_fs_i=$((_fs_i + 1))
	done
	stat -c %i "$QPOST_QUEUE"/spare/* > spare_inodes
}

atf_test_case reused cleanup
reused_head() {
	atf_set "descr" "a queued message's drop file is kept in spare/ under" \
	    "its uid, and the uid's next message is written over a spare" \
	    "(the same inode, cut to the new length) and delivered whole"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
reused_body() {
	qp_instance "$PWD/inst"
	qp_msg s1 > m1
	# no sched yet: the drop file stays where it can be seen
	atf_check "$QPOST_LIBEXEC/qinject" alice@example.test < m1
	ino=$(stat -c %i "$QPOST_QUEUE"/drop/*)
	qp_start
	# sched makes spare/ in a queue that lacks it, with drop/'s mode
	qp_wait_log "made .*/spare for spare drop files" 30
	atf_check -o inline:"1777\n" stat -c %a "$QPOST_QUEUE/spare"
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 60
	wait_spares 1
	atf_check -o match:"^$(id -u)\.[0-9]+$" ls -A "$QPOST_QUEUE/spare"
	atf_check -o inline:"$ino\n" sh -c "stat -c %i '$QPOST_QUEUE'/spare/*"

	# with sched stopped the next drop file stays where it can be seen;
	# every slot full of files longer than the message
	qp_stop
	big_msg filler > big
	fill_spares big
	qp_msg s2 > small
	atf_check "$QPOST_LIBEXEC/qinject" alice@example.test < small
	atf_check -o inline:"$((SLOTS - 1))\n" sh -c \
	    "ls -A '$QPOST_QUEUE/spare' | wc -l"
	grep -qx "$(stat -c %i "$QPOST_QUEUE"/drop/*)" spare_inodes ||
	    atf_fail "the drop file is a new one, not a spare"
	[ "$(stat -c %s "$QPOST_QUEUE"/drop/*)" -lt 8192 ] ||
	    atf_fail "the reused drop file was not cut to its new length"

	qp_start
	qp_wait_for 2 "$QP_DIR/home/alice/Maildir/new" 60
	qp_wait_queue_empty 30
	f=$(grep -l "^X-Test-Id: s2$" "$QP_DIR"/home/alice/Maildir/new/*)
	qp_mail_body_equal "$f" small || atf_fail "s2 was not delivered whole"
}
reused_cleanup() {
	qp_stop
}

atf_test_case spread
spread_head() {
	atf_set "descr" "qinject finds a spare when only half the slots hold" \
	    "one, all in one run (as sched fills them, one after another):" \
	    "its probes are spread over all the slots, not consecutive"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
spread_body() {
	qp_instance "$PWD/inst"
	qp_msg h1 > m
	fill_spares m $((SLOTS / 2))
	# no sched: every drop file stays in drop/.  Probes in a row from a
	# random start missed the run about half the time; spread ones, 24
	# of them, miss less than once in 100,000 injections here
	i=0
	while [ $i -lt 20 ]; do
		atf_check "$QPOST_LIBEXEC/qinject" alice@example.test < m
		i=$((i + 1))
	done
	stat -c %i "$QPOST_QUEUE"/drop/* > drop_inodes
	atf_check -o inline:"20\n" sh -c "wc -l < drop_inodes"
	# every one a spare's inode: grep finds no other line
	atf_check -s exit:1 -o empty grep -vxF -f spare_inodes drop_inodes
}

atf_test_case planted cleanup
planted_head() {
	atf_set "descr" "what is planted in spare/ under the uid's name (a" \
	    "symbolic link, a FIFO, a second link, a directory) is never" \
	    "written through: qinject makes a new file and does not block"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
planted_body() {
	qp_instance "$PWD/inst"
	mkdir -m 1777 "$QPOST_QUEUE/spare"
	u=$(id -u)
	echo target > target
	echo linked > linked
	# every slot holds something planted: whatever qinject probes
	i=0
	while [ $i -lt $SLOTS ]; do
		f=$QPOST_QUEUE/spare/$u.$i
		case $((i % 4)) in
		0)	ln -s "$PWD/target" "$f" ;;
		1)	mkfifo "$f" ;;
		2)	ln linked "$f" ;;
		3)	mkdir "$f" ;;
		esac
		i=$((i + 1))
	done
	qp_msg p1 > m
	i=0
	while [ $i -lt 5 ]; do
		atf_check timeout 30 "$QPOST_LIBEXEC/qinject" alice@example.test \
		    < m
		i=$((i + 1))
	done
	atf_check -o inline:"target\n" cat target
	atf_check -o inline:"linked\n" cat linked
	# nothing planted was moved, and five whole new drop files
	atf_check -o inline:"$SLOTS\n" sh -c \
	    "ls -A '$QPOST_QUEUE/spare' | wc -l"
	atf_check -o inline:"5\n" sh -c "ls '$QPOST_QUEUE/drop' | wc -l"
	atf_check -o inline:"" find "$QPOST_QUEUE/drop" -mindepth 1 \
	    ! -type f -o -links +1 -o -name '*.tmp'

	# sched takes the five and removes what does not belong in spare/
	qp_start
	qp_wait_for 5 "$QP_DIR/home/alice/Maildir/new" 60
	qp_wait_queue_empty 30
	atf_check -o inline:"" find "$QPOST_QUEUE/spare" -mindepth 1 \
	    ! -type f -o -links +1
	atf_check -o inline:"linked\n" cat linked
	atf_check -o inline:"1\n" stat -c %h linked
}
planted_cleanup() {
	qp_stop
}

atf_test_case filter_reads cleanup
filter_reads_head() {
	atf_set "descr" "a control/filter reading the message to its end" \
	    "from a reused drop file sees the message alone, not what the" \
	    "spare held past it"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
filter_reads_body() {
	qp_instance "$PWD/inst"
	# every slot full of an older, longer message
	big_msg old > big
	fill_spares big
	printf '#! /bin/sh\ncat > %s/seen\n' "$PWD" > filter
	chmod 755 filter
	echo "$PWD/filter" > "$QPOST_CONTROL/filter"
	qp_msg f1 > m
	# the filter queues nothing itself: qinject says so
	atf_check -e match:"exited 0 without queueing the message" \
	    "$QPOST_LIBEXEC/qinject" alice@example.test < m
	atf_check -o inline:"$((SLOTS - 1))\n" sh -c \
	    "ls -A '$QPOST_QUEUE/spare' | wc -l"
	atf_check -o file:m cat seen
}
filter_reads_cleanup() {
	qp_stop
}

atf_test_case cleanup cleanup
cleanup_head() {
	atf_set "descr" "when sched starts it removes from spare/ what is not" \
	    "a spare named by its owner's uid, and keeps those that are"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
cleanup_body() {
	qp_instance "$PWD/inst"
	s=$QPOST_QUEUE/spare
	mkdir -m 1777 "$s"
	u=$(id -u)
	o=$((u + 1))
	for n in junk "$u.$SLOTS" "$u.07" "$o.0" "+$u.1" "$u.1x" "$u."; do
		echo x > "$s/$n"
	done
	ln -s /etc/passwd "$s/$u.2"
	head -c 200000 /dev/zero > "$s/$u.3"
	echo kept > "$s/$u.5"
	echo kept > "$s/$u.$((SLOTS - 1))"
	qp_start
	qp_wait_log "ready" 30
	atf_check -o inline:"$u.$((SLOTS - 1))\n$u.5\n" sh -c "ls -A '$s' | sort"
}
cleanup_cleanup() {
	qp_stop
}

atf_test_case crash_twin cleanup
crash_twin_head() {
	atf_set "descr" "a drop file also named by one of its owner's spare" \
	    "slots (what fsck leaves when a crash kept qinject's rename out" \
	    "of spare/ only in drop/) is delivered when sched starts, not" \
	    "refused for its two links"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
crash_twin_body() {
	qp_instance "$PWD/inst"
	mkdir -m 1777 "$QPOST_QUEUE/spare"
	qp_msg t1 > m
	atf_check "$QPOST_LIBEXEC/qinject" alice@example.test < m
	d=$(ls "$QPOST_QUEUE"/drop/*)
	ln "$d" "$QPOST_QUEUE/spare/$(id -u).7"
	atf_check -o inline:"2\n" stat -c %h "$d"
	qp_start
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	atf_check -o match:"X-Test-Id: t1" sh -c \
	    "cat '$QP_DIR'/home/alice/Maildir/new/*"
	atf_check -s exit:1 grep "bad drop file" "$QP_DIR/log"
}
crash_twin_cleanup() {
	qp_stop
}

atf_test_case not_owned cleanup
not_owned_head() {
	atf_set "descr" "files of another uid's under root's name in spare/" \
	    "are neither moved nor written by root's qinject (root passes" \
	    "the sticky bit): the drop file is a new one, root's"
	atf_set "require.user" "root"
	atf_set "require.progs" "setpriv"
}
not_owned_body() {
	R=$(mktemp -d /tmp/qpost-spare.XXXXXX)
	echo "$R" > spare_root
	chmod 755 "$R"
	mkdir "$R/control" "$R/queue"
	echo example.test > "$R/control/me"
	for d in drop spare; do
		mkdir -m 1777 "$R/queue/$d"
	done
	mkfifo -m 0622 "$R/queue/trigger"
	# every one of root's slots holds a file of qptest's
	i=0
	while [ $i -lt $SLOTS ]; do
		echo planted > "$R/queue/spare/0.$i"
		i=$((i + 1))
	done
	chown qptest "$R"/queue/spare/*
	qp_msg n1 > "$R/m"
	atf_check env QPOST_CONTROL="$R/control" QPOST_QUEUE="$R/queue" \
	    "$(qp_top)/build/libexec/qinject" alice@example.test < "$R/m"
	atf_check -o inline:"root\n" sh -c "stat -c %U '$R'/queue/drop/*"
	atf_check -o match:"X-Test-Id: n1" sh -c "cat '$R'/queue/drop/*"
	# none moved, none written
	atf_check -o inline:"$SLOTS\n" sh -c "ls '$R/queue/spare' | wc -l"
	atf_check -o inline:"planted\n" sh -c \
	    "cat '$R'/queue/spare/* | sort -u"
}
not_owned_cleanup() {
	[ ! -f spare_root ] || rm -rf "$(cat spare_root)"
}

atf_init_test_cases() {
	atf_add_test_case reused
	atf_add_test_case spread
	atf_add_test_case planted
	atf_add_test_case filter_reads
	atf_add_test_case cleanup
	atf_add_test_case crash_twin
	atf_add_test_case not_owned
}
