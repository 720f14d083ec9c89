/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * senders_test - tests of lookup/senders.c with control/senders
 * compiled by the qcdb of this tree: the default (user@me and
 * user@<local domain>), a listed user owning exactly its list, a stale
 * or missing cdb being an error and never the default, and qcdb
 * refusing lines it could not vouch for.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <atf-c.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "senders.h"
#include "lsan_atf.h"

static void
setup(void)
{
	char cwd[PATH_MAX], dir[PATH_MAX + 16];

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(dir, sizeof(dir), "%s/control", cwd);
	ATF_REQUIRE_EQ(mkdir(dir, 0755), 0);
	ATF_REQUIRE_EQ(setenv("QPOST_CONTROL", dir, 1), 0);
}

static void
put(const char *name, const char *s)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "control/%s", name);
	ATF_REQUIRE((f = fopen(path, "w")) != NULL);
	ATF_REQUIRE_EQ(fputs(s, f) >= 0, 1);
	ATF_REQUIRE_EQ(fclose(f), 0);
}

/* qcdb - run the qcdb of this tree on name; it must exit with want. */
static void
qcdb(const atf_tc_t *tc, const char *name, int want)
{
	char prog[PATH_MAX];
	pid_t pid;
	int status;

	snprintf(prog, sizeof(prog), "%s/../../control/qcdb",
	    atf_tc_get_config_var(tc, "srcdir"));
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		execl(prog, "qcdb", name, (char *)NULL);
		_exit(127);
	}
	ATF_REQUIRE_EQ(waitpid(pid, &status, 0), pid);
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == want,
	    "qcdb %s: status %d, want exit %d", name, status, want);
}

ATF_TC_WITHOUT_HEAD(defaults);
ATF_TC_BODY(defaults, tc)
{
	setup();
	put("me", "example.test\n");
	put("locals", "example.test\nOther.Test\n");
	ATF_CHECK_EQ(sender_allowed("demo", "demo@example.test"), 1);
	ATF_CHECK_EQ(sender_allowed("demo", "demo@other.test"), 1);
	ATF_CHECK_EQ(sender_allowed("Demo", "DEMO@Example.TEST"), 1);
	ATF_CHECK_EQ(sender_allowed("demo", ""), 1);
	ATF_CHECK_EQ(sender_allowed("demo", "bob@example.test"), 0);
	ATF_CHECK_EQ(sender_allowed("demo", "demo@evil.test"), 0);
	ATF_CHECK_EQ(sender_allowed("demo", "demox@example.test"), 0);
	ATF_CHECK_EQ(sender_allowed("demo", "dem@example.test"), 0);
	ATF_CHECK_EQ(sender_allowed("demo", "demo"), 0);
	ATF_CHECK_EQ(sender_allowed("demo", "demo@"), 0);
	ATF_CHECK_EQ(sender_allowed("demo", "demo@example.test.evil"), 0);
	ATF_CHECK_EQ(sender_allowed("demo", "x@demo@example.test"), 0);
	ATF_CHECK_EQ(sender_allowed("", "@example.test"), 0);
	ATF_CHECK_EQ(sender_allowed(NULL, "demo@example.test"), 0);
	/* control/me counts even when locals does not list it */
	put("locals", "other.test\n");
	ATF_CHECK_EQ(sender_allowed("demo", "demo@example.test"), 1);
	ATF_CHECK_EQ(unlink("control/locals"), 0);
	ATF_CHECK_EQ(sender_allowed("demo", "demo@example.test"), 1);
	ATF_CHECK_EQ(sender_allowed("demo", "demo@other.test"), 0);
}

ATF_TC_WITHOUT_HEAD(listed);
ATF_TC_BODY(listed, tc)
{
	setup();
	put("me", "example.test\n");
	put("senders", "# who sends as whom\n"
	    "Demo: demo@demo.test, Sales@demo.test\n"
	    "carol: carol@example.test\n");
	qcdb(tc, "senders", 0);
	ATF_CHECK_EQ(sender_allowed("demo", "demo@demo.test"), 1);
	ATF_CHECK_EQ(sender_allowed("DEMO", "sales@DEMO.test"), 1);
	/* a list replaces the default */
	ATF_CHECK_EQ(sender_allowed("demo", "demo@example.test"), 0);
	ATF_CHECK_EQ(sender_allowed("demo", "carol@example.test"), 0);
	ATF_CHECK_EQ(sender_allowed("carol", "carol@example.test"), 1);
	ATF_CHECK_EQ(sender_allowed("carol", "demo@demo.test"), 0);
	/* a user with no entry keeps the default */
	ATF_CHECK_EQ(sender_allowed("bob", "bob@example.test"), 1);
	ATF_CHECK_EQ(sender_allowed("bob", "demo@demo.test"), 0);
}

ATF_TC_WITHOUT_HEAD(stale);
ATF_TC_BODY(stale, tc)
{
	struct timespec ts[2];

	setup();
	put("me", "example.test\n");
	put("senders", "demo: demo@demo.test\n");
	/* text with no cdb: broken, not the default */
	ATF_CHECK_EQ(sender_allowed("demo", "demo@example.test"), -1);
	qcdb(tc, "senders", 0);
	ATF_CHECK_EQ(sender_allowed("demo", "demo@demo.test"), 1);
	/* the cdb older than the text: broken */
	ATF_REQUIRE_EQ(clock_gettime(CLOCK_REALTIME, &ts[0]), 0);
	ts[0].tv_sec -= 100;
	ts[1] = ts[0];
	ATF_REQUIRE_EQ(utimensat(AT_FDCWD, "control/senders.cdb", ts, 0), 0);
	ATF_CHECK_EQ(sender_allowed("demo", "demo@demo.test"), -1);
	ATF_CHECK_EQ(sender_allowed("bob", "bob@example.test"), -1);
}

ATF_TC_WITHOUT_HEAD(qcdb_refuses);
ATF_TC_BODY(qcdb_refuses, tc)
{
	static const char *const bad[] = {
		"demo: notanaddress\n", "demo:\n", "demo: a@b.test,,c@d.test\n",
		"a b: x@y.test\n", "nocolon\n", "demo: <x@y.test>\n",
		"demo: x@y.test\ndemo: z@y.test\n", "demo: x@\n", ": x@y.test\n",
		"  demo: x@y.test\n", "de@mo: x@y.test\n",
	};
	size_t i;

	setup();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put("senders", bad[i]);
		qcdb(tc, "senders", 100);
	}
	put("senders", "demo: x@y.test,\n");	/* a trailing comma: fine */
	qcdb(tc, "senders", 0);
	ATF_CHECK_EQ(sender_allowed("demo", "x@y.test"), 1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, defaults);
	ATF_TP_ADD_TC(tp, listed);
	ATF_TP_ADD_TC(tp, stale);
	ATF_TP_ADD_TC(tp, qcdb_refuses);
	return atf_no_error();
}
