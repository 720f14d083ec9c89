/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * check_log_test - control/check_log.c: the log lines of every control
 * file reader come apart into file, line or entry, and text; anything
 * else, however hostile, is a problem of the file being checked with
 * no line, and the parser never reads past the text.
 */
#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_log.h"
#include "lsan_atf.h"

ATF_TC_WITHOUT_HEAD(readers);
ATF_TC_BODY(readers, tc)
{
	static const struct {
		const char	*dflt, *text, *file;
		size_t		 line, entry;
		const char	*what;
	} t[] = {
		{ "x", "qpost-check: warning: control file concurrencylocal: "
		    "line 1: \"ten\" is invalid (want 1 to 1000)",
		    "concurrencylocal", 1, 0,
		    "\"ten\" is invalid (want 1 to 1000)" },
		{ "aliases", "qcdb: control/aliases: line 12: want name: "
		    "target, target", "aliases", 12, 0,
		    "want name: target, target" },
		{ "x", "qcdb: warning: control/relay: line 3: 10.1.2.3/8 has "
		    "host bits set; stored as 10.0.0.0/8", "relay", 3, 0,
		    "10.1.2.3/8 has host bits set; stored as 10.0.0.0/8" },
		{ "remote", "qpost-check: warning: control file smtproutes: "
		    "entry 2: want domain:host[:port], not \"a:b:c\"",
		    "smtproutes", 0, 2, "want domain:host[:port], not \"a:b:c\"" },
		{ "x", "p: warning: control file me has no value", "me", 0, 0,
		    "has no value" },
		{ "x", "p: warning: control file /etc/qpost/me is not a regular "
		    "file under 16777216 bytes", "me", 0, 0,
		    "is not a regular file under 16777216 bytes" },
		{ "rcpthosts", "p: warning: control/rcpthosts.cdb is older than "
		    "control/rcpthosts: run qcdb rcpthosts", "rcpthosts.cdb",
		    0, 0, "is older than control/rcpthosts: run qcdb rcpthosts" },
		{ "me", "p: warning: unable to open control file /x/me: "
		    "Permission denied", "me", 0, 0,
		    "unable to open control file /x/me: Permission denied" },
		/* not ours: the file being checked, the whole text */
		{ "tls.key", "p: something else", "tls.key", 0, 0,
		    "something else" },
		{ "f", "no program name", "f", 0, 0, "no program name" },
		{ "f", "", "f", 0, 0, "" },
		{ "f", "p: control file ", "f", 0, 0, "control file " },
		{ "f", "p: control file a/", "f", 0, 0, "control file a/" },
		/* numbers that are not: kept as text */
		{ "f", "p: control file g: line x: y", "g", 0, 0, "line x: y" },
		{ "f", "p: control file g: line 0: y", "g", 0, 0, "line 0: y" },
		{ "f", "p: control file g: line 7", "g", 0, 0, "line 7" },
		{ "f", "p: control file g: line 99999999999999999999999: y",
		    "g", 0, 0, "line 99999999999999999999999: y" },
		{ "f", "p: control file g: entry -1: y", "g", 0, 0,
		    "entry -1: y" },
	};
	struct check_log l;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		check_log_parse(t[i].dflt, t[i].text, &l);
		ATF_CHECK_STREQ_MSG(l.file, t[i].file, "case %zu", i);
		ATF_CHECK_EQ_MSG(l.line, t[i].line, "case %zu", i);
		ATF_CHECK_EQ_MSG(l.entry, t[i].entry, "case %zu", i);
		ATF_CHECK_STREQ_MSG(l.what, t[i].what, "case %zu", i);
	}
}

ATF_TC_WITHOUT_HEAD(hostile);
ATF_TC_BODY(hostile, tc)
{
	char text[4096], name[200];
	struct check_log l;
	size_t i, n;

	/* a name too long for a control file: the checked file's */
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(text, sizeof(text), "p: control file %s: line 2: x", name);
	check_log_parse("f", text, &l);
	ATF_CHECK_STREQ(l.file, "f");
	ATF_CHECK(l.what >= text && l.what <= text + strlen(text));
	/* random bytes: never past the text, the file always a string */
	srandom(8);
	for (i = 0; i < 20000; i++) {
		n = (size_t)random() % 80;
		for (size_t k = 0; k < n; k++)
			text[k] = "control file /: line entry 0123456789x\001\377"
			    [random() % 41];
		text[n] = '\0';
		if (i % 3 == 0 && n > 20)
			memcpy(text, "p: control file ", 16);
		check_log_parse("dflt", text, &l);
		ATF_REQUIRE(l.what >= text && l.what <= text + n);
		ATF_REQUIRE(strlen(l.file) <= CHECK_NAME_MAX);
		ATF_REQUIRE(strlen(l.file) > 0);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, readers);
	ATF_TP_ADD_TC(tp, hostile);
	return atf_no_error();
}
