/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * ctl_test - tests of control/ctl.c against a control directory in the
 * test case's own work directory: absent files give 0, broken ones -1,
 * and good ones their trimmed entries.
 */
#include <sys/stat.h>
#include <atf-c.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_knob.h"
#include "sa.h"
#include "lsan_atf.h"
#include "control_fixture.h"


/* entries - the list as "a|b|c" for easy comparison. */
static const char *
entries(const struct sa *list)
{
	static char out[8192];
	const char *p;
	size_t n = 0;

	out[0] = '\0';
	for (p = list->s; p != NULL && p < list->s + list->len;
	    p += strlen(p) + 1)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s",
		    n ? "|" : "", p);
	return out;
}

ATF_TC_WITHOUT_HEAD(absent);
ATF_TC_BODY(absent, tc)
{
	struct sa sa = SA_INIT;
	long long v = 77;

	setup();
	ATF_CHECK_EQ(ctl_list("locals", &sa), 0);
	ATF_CHECK_EQ(sa.len, 0);
	ATF_CHECK_EQ(ctl_line("me", &sa), 0);
	ATF_CHECK_EQ(ctl_read("me", &sa), 0);
	ATF_CHECK_EQ(ctl_int("concurrencylocal", 1, 100, &v), 0);
	ATF_CHECK_EQ(v, 77);
	ATF_CHECK_EQ(ctl_cdb_open("users.cdb"), -1);
	sa_free(&sa);
}

ATF_TC_WITHOUT_HEAD(lists);
ATF_TC_BODY(lists, tc)
{
	static const struct {
		const char	*content;
		const char	*want;
	} t[] = {
		{ "a\nb\nc\n", "a|b|c" },
		{ "a\nb\nc", "a|b|c" },			/* no final LF */
		{ "  a  \n\tb\t\n", "a|b" },		/* trimming */
		{ "a\r\nb\r\n", "a|b" },		/* CRLF */
		{ "# comment\na\n  # indented\n\n\n b\n", "a|b" },
		{ "a # not a comment\n", "a # not a comment" },
		{ "a b\n", "a b" },
		{ "\n\n  \n\t\n", "" },
		{ "", "" },
		{ "#only\n", "" },
		{ "x\n\n\ny", "x|y" },
		{ "caf\xc3\xa9\n", "caf\xc3\xa9" },
	};
	struct sa sa = SA_INIT;
	size_t i;

	setup();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		puts0("list", t[i].content);
		ATF_CHECK_EQ_MSG(ctl_list("list", &sa), 1, "case %zu", i);
		ATF_CHECK_STREQ_MSG(entries(&sa), t[i].want, "case %zu", i);
	}
	sa_free(&sa);
}

ATF_TC_WITHOUT_HEAD(line);
ATF_TC_BODY(line, tc)
{
	struct sa sa = SA_INIT;

	setup();
	puts0("me", "  mx.example.test  \n");
	ATF_CHECK_EQ(ctl_line("me", &sa), 1);
	ATF_CHECK_STREQ(sa.s, "mx.example.test");
	ATF_CHECK_EQ(sa.len, 15);
	puts0("me", "# the host\n\nfirst\nsecond\n");
	ATF_CHECK_EQ(ctl_line("me", &sa), 1);
	ATF_CHECK_STREQ(sa.s, "first");
	ATF_CHECK_EQ(sa.len, 5);
	/* present but empty: no value, and no safe default */
	puts0("me", "");
	ATF_CHECK_EQ(ctl_line("me", &sa), -1);
	puts0("me", "# nothing\n   \n");
	ATF_CHECK_EQ(ctl_line("me", &sa), -1);
	sa_free(&sa);
}

ATF_TC_WITHOUT_HEAD(ints);
ATF_TC_BODY(ints, tc)
{
	static const struct {
		const char	*content;
		long long	 min, max;
		int		 want;
		long long	 val;
	} t[] = {
		{ "10\n", 1, 100, 1, 10 },
		{ " 10 \n", 1, 100, 1, 10 },
		{ "1", 1, 100, 1, 1 },
		{ "100", 1, 100, 1, 100 },
		{ "0", 1, 100, -1, 0 },
		{ "101", 1, 100, -1, 0 },
		{ "-5", -10, 10, 1, -5 },
		{ "-11", -10, 10, -1, 0 },
		{ "abc", 1, 100, -1, 0 },
		{ "10abc", 1, 100, -1, 0 },
		{ "10 20", 1, 100, -1, 0 },
		{ "1e3", 1, 10000, -1, 0 },
		{ "0x10", 1, 100, -1, 0 },
		{ "99999999999999999999999", 1, 100, -1, 0 },
		{ "", 1, 100, -1, 0 },
		{ "# just a comment\n", 1, 100, -1, 0 },
	};
	long long v;
	size_t i;

	setup();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		puts0("n", t[i].content);
		v = 4242;
		ATF_CHECK_EQ_MSG(ctl_int("n", t[i].min, t[i].max, &v),
		    t[i].want, "case %zu (%s)", i, t[i].content);
		if (t[i].want == 1)
			ATF_CHECK_EQ_MSG(v, t[i].val, "case %zu", i);
	}
}

ATF_TC_WITHOUT_HEAD(broken);
ATF_TC_BODY(broken, tc)
{
	struct sa sa = SA_INIT;
	char big[CTL_LINE_MAX * 3];
	long long v;

	setup();
	/* a NUL byte anywhere */
	put("f", "a\0b\n", 4);
	ATF_CHECK_EQ(ctl_list("f", &sa), -1);
	ATF_CHECK_EQ(ctl_line("f", &sa), -1);
	ATF_CHECK_EQ(ctl_read("f", &sa), -1);
	put("f", "ok\n\0", 4);
	ATF_CHECK_EQ(ctl_list("f", &sa), -1);
	put("f", "5\0", 2);
	ATF_CHECK_EQ(ctl_int("f", 0, 10, &v), -1);

	/* a line over CTL_LINE_MAX, first, last or between */
	memset(big, 'x', sizeof(big));
	big[CTL_LINE_MAX + 1] = '\n';
	put("f", big, CTL_LINE_MAX + 2);
	ATF_CHECK_EQ(ctl_list("f", &sa), -1);
	put("f", big, sizeof(big));	/* no LF at all */
	ATF_CHECK_EQ(ctl_list("f", &sa), -1);
	memcpy(big, "a\n", 2);
	put("f", big, sizeof(big));
	ATF_CHECK_EQ(ctl_list("f", &sa), -1);
	/* a long line made of blanks is still too long */
	memset(big, ' ', sizeof(big));
	big[0] = 'a';
	big[1] = '\n';
	put("f", big, sizeof(big));
	ATF_CHECK_EQ(ctl_list("f", &sa), -1);
	/* just under the limit is fine */
	memset(big, 'y', CTL_LINE_MAX - 1);
	big[CTL_LINE_MAX - 1] = '\n';
	put("f", big, CTL_LINE_MAX);
	ATF_CHECK_EQ(ctl_list("f", &sa), 1);
	ATF_CHECK_EQ(strlen(sa.s), CTL_LINE_MAX - 1);

	/* a directory instead of a file */
	ATF_REQUIRE_EQ(mkdir("control/d", 0755), 0);
	ATF_CHECK_EQ(ctl_list("d", &sa), -1);
	ATF_CHECK_EQ(ctl_line("d", &sa), -1);
	ATF_CHECK_EQ(ctl_int("d", 0, 1, &v), -1);

	/* a FIFO must not hang the reader */
	ATF_REQUIRE_EQ(mkfifo("control/fifo", 0644), 0);
	ATF_CHECK_EQ(ctl_list("fifo", &sa), -1);

	/* a dangling symlink is absent; a symlink to a file is read */
	ATF_REQUIRE_EQ(symlink("nowhere", "control/dangling"), 0);
	ATF_CHECK_EQ(ctl_list("dangling", &sa), 0);
	sa_free(&sa);
}

ATF_TC_WITHOUT_HEAD(sizes);
ATF_TC_BODY(sizes, tc)
{
	struct sa sa = SA_INIT;
	char big[3 * 4096 + 100];
	size_t i;

	setup();
	/* longer than one read: all of it */
	for (i = 0; i < sizeof(big); i++)
		big[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
	put("big", big, sizeof(big));
	ATF_CHECK_EQ(ctl_read("big", &sa), 1);
	ATF_CHECK_EQ(sa.len, sizeof(big));
	ATF_CHECK(sa.len == sizeof(big) && memcmp(sa.s, big, sa.len) == 0);
	/* empty */
	put("empty", "", 0);
	ATF_CHECK_EQ(ctl_read("empty", &sa), 1);
	ATF_CHECK_EQ(sa.len, 0);
	/* a file of /proc says its size is 0 but has text: read to its end */
	ATF_REQUIRE_EQ(symlink("/proc/sys/kernel/ostype", "control/ostype"), 0);
	ATF_CHECK_EQ(ctl_line("ostype", &sa), 1);
	ATF_CHECK_STREQ(sa.s, "Linux");
	sa_free(&sa);
}

ATF_TC(unreadable);
ATF_TC_HEAD(unreadable, tc)
{
	atf_tc_set_md_var(tc, "descr", "an unreadable file is broken, "
	    "not absent");
	atf_tc_set_md_var(tc, "require.user", "unprivileged");
}
ATF_TC_BODY(unreadable, tc)
{
	struct sa sa = SA_INIT;
	long long v;

	if (geteuid() == 0)
		atf_tc_skip("root reads any file");
	setup();
	puts0("f", "5\n");
	ATF_REQUIRE_EQ(chmod("control/f", 0), 0);
	ATF_CHECK_EQ(ctl_list("f", &sa), -1);
	ATF_CHECK_EQ(ctl_line("f", &sa), -1);
	ATF_CHECK_EQ(ctl_int("f", 0, 10, &v), -1);
	/* an unsearchable control directory too */
	ATF_REQUIRE_EQ(chmod("control/f", 0644), 0);
	ATF_REQUIRE_EQ(chmod("control", 0), 0);
	ATF_CHECK_EQ(ctl_list("f", &sa), -1);
	ATF_REQUIRE_EQ(chmod("control", 0755), 0);
	sa_free(&sa);
}

ATF_TC_WITHOUT_HEAD(list_has);
ATF_TC_BODY(list_has, tc)
{
	struct sa sa = SA_INIT, empty = SA_INIT;

	setup();
	puts0("locals", "Example.TEST\nlocalhost\n# other.test\n");
	ATF_REQUIRE_EQ(ctl_list("locals", &sa), 1);
	ATF_CHECK_EQ(ctl_list_has(&sa, "example.test"), 1);
	ATF_CHECK_EQ(ctl_list_has(&sa, "EXAMPLE.test"), 1);
	ATF_CHECK_EQ(ctl_list_has(&sa, "LOCALHOST"), 1);
	ATF_CHECK_EQ(ctl_list_has(&sa, "other.test"), 0);
	ATF_CHECK_EQ(ctl_list_has(&sa, "# other.test"), 0);
	ATF_CHECK_EQ(ctl_list_has(&sa, "example"), 0);
	ATF_CHECK_EQ(ctl_list_has(&sa, "example.test."), 0);
	ATF_CHECK_EQ(ctl_list_has(&sa, ""), 0);
	ATF_CHECK_EQ(ctl_list_has(&empty, "x"), 0);
	sa_free(&sa);
}

ATF_TC_WITHOUT_HEAD(relative_env);
ATF_TC_BODY(relative_env, tc)
{
	char path[64];

	/* a relative QPOST_CONTROL is ignored: the default stands */
	ATF_REQUIRE_EQ(setenv("QPOST_CONTROL", "control", 1), 0);
	ATF_REQUIRE_EQ(ctl_path(path, sizeof(path), "me"), 0);
	ATF_CHECK(path[0] == '/');
	ATF_CHECK(strcmp(path, "control/me") != 0);
	ATF_REQUIRE_EQ(setenv("QPOST_CONTROL", "/x", 1), 0);
	ATF_REQUIRE_EQ(ctl_path(path, sizeof(path), "me"), 0);
	ATF_CHECK_STREQ(path, "/x/me");
	ATF_CHECK_EQ(ctl_path(path, 5, "me"), -1);
	ATF_CHECK_EQ(ctl_path(path, 6, "me"), 0);
}

/* knobs - ctl_knob.c's table is sorted, sane, and applies itself. */
ATF_TC_WITHOUT_HEAD(knobs);
ATF_TC_BODY(knobs, tc)
{
	const struct ctl_knob *k;
	size_t i;
	long long v = 77;
	FILE *f;

	for (i = 0; i < ctl_nknobs; i++) {
		k = &ctl_knobs[i];
		ATF_CHECK_MSG(k->min <= k->max, "%s", k->name);
		/* a default out of range is "none" (0): say so in the table */
		ATF_CHECK_MSG((k->dflt >= k->min && k->dflt <= k->max) ||
		    k->dflt == 0, "%s", k->name);
		if (i > 0)
			ATF_CHECK_MSG(strcmp(ctl_knobs[i - 1].name, k->name) <
			    0, "not sorted at %s", k->name);
		ATF_CHECK_EQ(ctl_knob_find(k->name), k);
	}
	ATF_CHECK(ctl_knob_find("me") == NULL);
	ATF_CHECK(ctl_knob_find("") == NULL);
	setup();
	ATF_CHECK_EQ(ctl_knob("remoteport", &v), 0);
	ATF_CHECK_EQ(v, 25);
	ATF_REQUIRE((f = fopen("control/remoteport", "w")) != NULL);
	fputs("65536\n", f);
	fclose(f);
	ATF_CHECK_EQ(ctl_knob("remoteport", &v), -1);
	ATF_REQUIRE((f = fopen("control/remoteport", "w")) != NULL);
	fputs("2525\n", f);
	fclose(f);
	ATF_CHECK_EQ(ctl_knob("remoteport", &v), 1);
	ATF_CHECK_EQ(v, 2525);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, absent);
	ATF_TP_ADD_TC(tp, lists);
	ATF_TP_ADD_TC(tp, line);
	ATF_TP_ADD_TC(tp, ints);
	ATF_TP_ADD_TC(tp, broken);
	ATF_TP_ADD_TC(tp, sizes);
	ATF_TP_ADD_TC(tp, unreadable);
	ATF_TP_ADD_TC(tp, list_has);
	ATF_TP_ADD_TC(tp, relative_env);
	ATF_TP_ADD_TC(tp, knobs);
	return atf_no_error();
}
