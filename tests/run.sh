#!/bin/sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# run.sh - run the whole test suite with Kyua from the top of the tree
# (what `make check` runs after building), print the failures in full,
# write build/junit.xml, and end with exactly one line
# "N passed, M failed" (the skipped count is on the line before it).
#
# Exit status: 0 only if every test case passed, was skipped or was an
# expected failure, at least one test case ran, and kyua itself worked.
#
# Counting follows /work/shared/ECOSYSTEM.md section 1: kyua's own
# "N/M passed" counts skips as passes, so we count from the JUnit file:
# <failure = failed, <error = broken (both count as failed),
# <skipped/ = skipped (not passed), anything else passed (expected
# failures included).
#
# As root: test cases marked require.user "unprivileged" run as the
# account qptest (kyua -v unprivileged_user=qptest; created here if
# missing), and cases marked require.user "root" run as root.  Kyua
# itself chowns each unprivileged test case's work directory to that
# account before running it (checked with kyua 0.14 on Debian 12), so
# no chmod is needed here; but the account must be able to reach the
# tree, so a checkout under a 0700 directory (e.g. /root) fails with
# "Permission denied" on the test program: run from a world-readable
# path, as CI does.
#
# Arguments: kyua test filters (e.g. tests/unit, or
# tests/unit/rec_test:frame_big); none runs everything.
# Environment: KYUA_PARALLELISM (default 1) runs that many test
# programs at once.

set -u

B=build
DB=$B/kyua.db
JUNIT=$B/junit.xml
UNPRIV=qptest

filters=$*
case $filters in
*[!A-Za-z0-9/._:\ -]*)
	echo "run.sh: odd characters in filters: $filters" >&2
	exit 2 ;;
esac
cd "$(dirname "$0")/.." || exit 2
mkdir -p "$B" || exit 2
rm -f "$DB" "$JUNIT"

set -- --config=none -v "parallelism=${KYUA_PARALLELISM:-1}"
if [ "$(id -u)" -eq 0 ]; then
	if ! id "$UNPRIV" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin \
		    "$UNPRIV" || exit 2
	fi
	set -- "$@" -v "unprivileged_user=$UNPRIV"
fi

# shellcheck disable=SC2086 # filters are words, checked above
kyua "$@" test --kyuafile=Kyuafile --build-root=. --results-file="$DB" \
    $filters
rc=$?	# 0 all good, 1 some failed or broken, 2 usage or store error

if [ ! -s "$DB" ]; then
	echo "run.sh: kyua wrote no results (exit $rc)" >&2
	echo "0 skipped"
	echo "0 passed, 1 failed"
	exit 1
fi

# The failed and broken cases in full (metadata, stdout, stderr).  The
# "Execution context" section lists every environment variable of the
# run: left out, as CI logs are public and it says nothing about tests.
echo
kyua report --results-file="$DB" --verbose --results-filter=broken,failed |
    awk '/^===> /{skip = ($0 == "===> Execution context")} !skip'
kyua report-junit --results-file="$DB" --output="$JUNIT" || {
	echo "run.sh: kyua report-junit failed" >&2
	echo "0 skipped"
	echo "0 passed, 1 failed"
	exit 1
}

# Testcases, failures, errors, skips: the tags start their lines, and
# test output inside <system-out> is escaped, so it cannot fake them.
# shellcheck disable=SC2046 # four numbers
set -- $(awk '/^<testcase /{t++} /^<failure /{f++} /^<error /{e++}
    /^<skipped/{s++} END{print t+0, f+0, e+0, s+0}' "$JUNIT")
total=$1 failed=$(($2 + $3)) skipped=$4
passed=$((total - failed - skipped))

status=0
if [ "$total" -eq 0 ]; then
	echo "run.sh: no test cases ran: counted as one failure" >&2
	failed=$((failed + 1))
	status=1
fi
if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then
	status=1
	if [ "$failed" -eq 0 ]; then
		echo "run.sh: kyua test exited $rc: counted as one failure" >&2
		failed=1
	fi
fi
echo "$skipped skipped"
echo "$passed passed, $failed failed"
exit "$status"
