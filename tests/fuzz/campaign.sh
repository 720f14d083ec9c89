#!/bin/sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# campaign.sh - a long fuzz campaign, one target at a time:
#
#	sh tests/fuzz/campaign.sh [target ...]
#
# run from the top of the tree.  Each target (default: every FUZZ_TARGETS
# of the Makefile) runs under `nice -n 15` until it has made RUNS
# executions (default 10000000) or SECONDS have passed (default 1800),
# or it finds a crash; then its corpus is minimised (-merge=1 into a
# fresh folder that replaces the old one; again with -use_counters=0
# while it holds more than MAXFILES, default 199) and one line is appended to
# tests/fuzz/CAMPAIGN.md: date, target, executions, seconds, corpus
# size, findings (the crash files it left in tests/fuzz/crashes/<target>/).
# The targets' own stderr is closed (their logging of refused input
# would slow them; libFuzzer keeps its reports).  One target at a time,
# because the machine is shared: the fuzzers are
# single-threaded, so the campaign takes one core at most.
# Exit: 0 when every target ran without finding, 1 when one found
# something, 111 on a build or setup failure.

RUNS=${RUNS:-10000000}
SECONDS=${SECONDS:-1800}
MAXLEN=${MAXLEN:-4096}
MAXFILES=${MAXFILES:-199}
LOG=tests/fuzz/CAMPAIGN.md
FUZZDIR=${FUZZ_DIR:-build/fuzz}

[ -f tests/fuzz/replay.c ] || { echo "campaign: run me from the top" \
    "of the qpost tree" >&2; exit 111; }
if [ $# -eq 0 ]; then
	# the Makefile is the one list of targets
	set -- $(sed -n 's/^FUZZ_TARGETS[ +]*=[ 	]*//p' Makefile)
fi
[ $# -gt 0 ] || { echo "campaign: no target" >&2; exit 111; }
nice -n 15 make fuzz-build FUZZ_DIR="$FUZZDIR" FUZZ_TARGETS="$*" >/dev/null ||
    { echo "campaign: make fuzz-build failed" >&2; exit 111; }
[ -f "$LOG" ] || printf '%s\n\n%s\n%s\n' \
    '# Fuzz campaigns (tests/fuzz/campaign.sh appends one line a target)' \
    '| date (UTC) | target | executions | seconds | corpus files | findings |' \
    '| --- | --- | --- | --- | --- | --- |' >"$LOG"

# minimise TARGET CORPUS [FLAG] - replace CORPUS by a -merge=1 of it
minimise() {
	merged=$(mktemp -d) || exit 111
	if nice -n 15 "$FUZZDIR/$1" -merge=1 -max_len="$MAXLEN" ${3:+"$3"} \
	    "$merged" "$2" && [ -n "$(ls "$merged")" ]; then
		rm -f "$2"/*
		mv "$merged"/* "$2"/
	fi
	rm -rf "$merged"
}

found=0
for t in "$@"; do
	corpus=tests/fuzz/corpus/$t
	crashes=tests/fuzz/crashes/$t
	out=$(mktemp) || exit 111
	mkdir -p "$corpus" "$crashes"
	before=$(ls "$crashes" | sort)
	start=$(date +%s)
	echo "campaign: $t: up to $RUNS runs or $SECONDS s" >&2
	# the fuzzer's own exit code says "found something"; the crash
	# files are counted below instead.  A unit counts as slow only at
	# the timeout: at nice 15 on a busy machine a fast unit can wait
	# seconds for a core (libFuzzer's default reports one past 10 s)
	nice -n 15 "$FUZZDIR/$t" -runs="$RUNS" -max_total_time="$SECONDS" \
	    -max_len="$MAXLEN" -timeout=25 -report_slow_units=25 -close_fd_mask=2 -print_final_stats=1 \
	    -artifact_prefix="$crashes/" "$corpus" >"$out" 2>&1
	secs=$(( $(date +%s) - start ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" |
	    tail -n 1)
	# libFuzzer prints no final stats when it dies on a crash: the
	# last status line ("#N ...") still counts the executions
	[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' \
	    "$out" | tail -n 1)
	new=$(ls "$crashes" | sort | grep -vxF "$before" | grep -v '^\.' |
	    tr '\n' ' ' | sed 's/ $//')
	# minimise: merge into a fresh folder, which then replaces the old
	minimise "$t" "$corpus" "" >>"$out" 2>&1
	# hit counts make many files "new": over MAXFILES, keep only those
	# that add an edge, so the corpus in git stays small
	[ "$(ls "$corpus" | wc -l)" -le "$MAXFILES" ] ||
	    minimise "$t" "$corpus" -use_counters=0 >>"$out" 2>&1
	size=$(ls "$corpus" | wc -l)
	findings=${new:-none}
	[ "$findings" = none ] || found=1
	printf '| %s | %s | %s | %s | %s | %s |\n' \
	    "$(date -u '+%Y-%m-%d %H:%M')" "$t" "${execs:-?}" "$secs" \
	    "$size" "$findings" >>"$LOG"
	echo "campaign: $t: ${execs:-?} runs, $secs s, $size files," \
	    "findings: $findings" >&2
	[ "$findings" = none ] || tail -n 60 "$out" >&2
	rm -f "$out"
done
exit "$found"
