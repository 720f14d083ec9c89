/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * aliases_test - tests of lookup/aliases_parse.c (the text of
 * control/aliases and :include: files), lookup/vdomains.c and
 * send/lresolve.c (one recipient to its deliveries) against control
 * files compiled by the qcdb of this tree.  The parser meets good
 * forms, every kind of bad line (each reported with its line and
 * alias), oversize lines and lists, truncation at every byte, control
 * and 8-bit bytes and random garbage; the resolver meets nesting,
 * loops, depth, includes (safe and unsafe), extensions, virtual
 * domains, the built-in defaults and uid 0.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <atf-c.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aliases.h"
#include "ctl.h"
#include "local.h"
#include "lresolve.h"
#include "sa.h"
#include "spawn_rec.h"
#include "vdomains.h"
#include "lsan_atf.h"
#include "control_fixture.h"

/* what the parser handed over: "key=t1|t2|...;" per alias */
struct got {
	char	text[8192];
	size_t	entries;
	size_t	last_line;
};

static int
collect(void *arg, const struct aliases_entry *e, struct aliases_error *err)
{
	struct got *g = arg;
	const char *t;

	(void)err;
	(void)strlcat(g->text, e->key, sizeof(g->text));
	(void)strlcat(g->text, "=", sizeof(g->text));
	for (t = e->val; t < e->val + e->vlen; t += strlen(t) + 1) {
		if (t != e->val)
			(void)strlcat(g->text, "|", sizeof(g->text));
		(void)strlcat(g->text, t, sizeof(g->text));
	}
	(void)strlcat(g->text, ";", sizeof(g->text));
	g->entries++;
	g->last_line = e->line;
	return ALIASES_OK;
}

/* parse - aliases_parse over a string into g; the result code. */
static int
parse(const char *s, struct got *g, struct aliases_error *err)
{
	memset(g, 0, sizeof(*g));
	return aliases_parse(s, strlen(s), collect, g, err);
}

ATF_TC_WITHOUT_HEAD(parse_good);
ATF_TC_BODY(parse_good, tc)
{
	static const struct {
		const char	*in;
		const char	*want;
	} t[] = {
		{ "a: b\n", "a=b;" },
		{ "A: b, c@example.test\n", "a=b|c@example.test;" },
		{ "# comment\n\na:b\n", "a=b;" },
		{ "a: b,\n  c\n\tD\nx: y", "a=b|c|D;x=y;" },
		{ "a: b\r\n", "a=b;" },
		{ "\"a b\": x\n", "a b=x;" },
		{ "\"A:B\": x\n", "a:b=x;" },
		{ "l: \"|cmd with, comma\", /var/mail/l\n",
		    "l=|cmd with, comma|/var/mail/l;" },
		{ "l: |/usr/bin/prog arg\n", "l=|/usr/bin/prog arg;" },
		{ "l: /srv/Maildir/, \"/path with space\"\n",
		    "l=/srv/Maildir/|/path with space;" },
		{ "l: :include:/etc/qpost/list\n",
		    "l=:include:/etc/qpost/list;" },
		{ "l: lmtp:unix:/run/dovecot/lmtp, lmtp:127.0.0.1:24\n",
		    "l=lmtp:unix:/run/dovecot/lmtp|lmtp:127.0.0.1:24;" },
		{ "root: \\root, admin\n", "root=\\root|admin;" },
		{ "q: \"x y\"@example.test\n", "q=\"x y\"@example.test;" },
		{ "mailer-daemon: postmaster\n", "mailer-daemon=postmaster;" },
		{ "", "" },
		{ "# only a comment", "" },
	};
	struct aliases_error err;
	struct got g;
	size_t i;
	int r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = parse(t[i].in, &g, &err);
		ATF_CHECK_EQ_MSG(r, ALIASES_OK, "case %zu: %d line %zu: %s",
		    i, r, err.line, err.text);
		ATF_CHECK_STREQ_MSG(g.text, t[i].want, "case %zu", i);
	}
	ATF_CHECK_EQ(aliases_kind("bob"), ALIASES_ADDRESS);
	ATF_CHECK_EQ(aliases_kind("bob@example.test"), ALIASES_ADDRESS);
	ATF_CHECK_EQ(aliases_kind("\\bob"), ALIASES_MAILBOX);
	ATF_CHECK_EQ(aliases_kind("/a"), ALIASES_FILE);
	ATF_CHECK_EQ(aliases_kind("/a/"), ALIASES_FILE);
	ATF_CHECK_EQ(aliases_kind("|x"), ALIASES_PROGRAM);
	ATF_CHECK_EQ(aliases_kind("lmtp:x"), ALIASES_LMTP);
	ATF_CHECK_EQ(aliases_kind(":include:/x"), ALIASES_INCLUDE);
}

ATF_TC_WITHOUT_HEAD(parse_bad);
ATF_TC_BODY(parse_bad, tc)
{
	static const struct {
		const char	*in;
		size_t		 line;
		const char	*name;
		const char	*why;
	} t[] = {
		{ "ok: x\nnocolon\n", 2, "", "want name" },
		{ "ok: x\nbad: a,,b\n", 2, "bad", "empty target" },
		{ "  x\n", 1, "", "continuation" },
		{ "ok: x\n\"open: y\n", 2, "", "quote" },
		{ "ok: x\nbad: \"|open\n", 2, "bad", "quote" },
		{ "a@b: x\n", 1, "", "not a name" },
		{ ": x\n", 1, "", "not a name" },
		{ "bad:\n", 1, "bad", "no targets" },
		{ "bad: |\n", 1, "bad", "command" },
		{ "bad: /\n", 1, "bad", "\"/\"" },
		{ "bad: \\\n", 1, "bad", "user name" },
		{ "bad: \\a@b\n", 1, "bad", "user name" },
		{ "bad: :include:rel/file\n", 1, "bad", "absolute" },
		{ "bad: :include:\n", 1, "bad", "absolute" },
		{ "bad: lmtp:\n", 1, "bad", "server" },
		{ "bad: a b c\n", 1, "bad", "neither" },
		{ "bad: <>\n", 1, "bad", "neither" },
		{ "bad: x\x1by\n", 1, "bad", "control byte" },
		{ "bad: |x\ty\n", 1, "bad", "control byte" },
		{ "bad: x\rz\n", 1, "bad", "control byte" },
		{ "ok: x\nbad: x,\n y\x7f\n", 3, "bad", "control byte" },
		{ "bad: \xff\xfe\n", 1, "bad", "neither" },
	};
	struct aliases_error err;
	struct got g;
	size_t i;
	int r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = parse(t[i].in, &g, &err);
		ATF_CHECK_EQ_MSG(r, ALIASES_SYNTAX, "case %zu: %d", i, r);
		ATF_CHECK_EQ_MSG(err.line, t[i].line, "case %zu: line %zu",
		    i, err.line);
		ATF_CHECK_STREQ_MSG(err.name, t[i].name, "case %zu", i);
		ATF_CHECK_MSG(strstr(err.text, t[i].why) != NULL,
		    "case %zu: \"%s\" lacks \"%s\"", i, err.text, t[i].why);
	}
	/* a NUL byte, which strlen-based input cannot hold */
	memset(&g, 0, sizeof(g));
	ATF_CHECK_EQ(aliases_parse("a: b\nc: d\0e\n", 12, collect, &g, &err),
	    ALIASES_SYNTAX);
	ATF_CHECK_EQ(err.line, 2);
	ATF_CHECK(strstr(err.text, "NUL") != NULL);
}

ATF_TC_WITHOUT_HEAD(parse_oversize);
ATF_TC_BODY(parse_oversize, tc)
{
	struct aliases_error err;
	struct sa s = SA_INIT;
	struct got g;
	char *line;
	size_t i;

	/* a line one byte over the limit */
	ATF_REQUIRE((line = malloc(CTL_LINE_MAX + 2)) != NULL);
	memset(line, 'x', CTL_LINE_MAX + 1);
	memcpy(line, "a: ", 3);
	line[CTL_LINE_MAX + 1] = '\0';
	ATF_CHECK_EQ(parse(line, &g, &err), ALIASES_SYNTAX);
	ATF_CHECK(strstr(err.text, "longer than") != NULL);
	/* a target one byte over ALIASES_TARGET_MAX (a line fits it) */
	line[ALIASES_TARGET_MAX + 4] = '\0';
	ATF_CHECK_EQ(parse(line, &g, &err), ALIASES_SYNTAX);
	ATF_CHECK(strstr(err.text, "longer than") != NULL);
	line[ALIASES_TARGET_MAX + 3] = '\0';
	ATF_CHECK_EQ(parse(line, &g, &err), ALIASES_SYNTAX);	/* > 64 */
	free(line);
	/* more than ALIASES_TARGETS_MAX targets, on continuation lines */
	ATF_REQUIRE_EQ(sa_copys(&s, "big: t0"), 0);
	for (i = 1; i <= ALIASES_TARGETS_MAX; i++) {
		ATF_REQUIRE_EQ(sa_cats(&s, ",\n t"), 0);
		ATF_REQUIRE_EQ(sa_catc(&s, (char)('0' + i % 10)), 0);
	}
	ATF_CHECK_EQ(aliases_parse(s.s, s.len, collect, &g, &err),
	    ALIASES_SYNTAX);
	ATF_CHECK(strstr(err.text, "more than") != NULL);
	ATF_CHECK_STREQ(err.name, "big");
	sa_free(&s);
}

/* a add callback that refuses, as qcdb's does for a duplicate */
static int
refuse(void *arg, const struct aliases_entry *e, struct aliases_error *err)
{
	(void)arg;
	err->line = e->line;
	(void)strlcpy(err->text, "refused", sizeof(err->text));
	return ALIASES_SYNTAX;
}

ATF_TC_WITHOUT_HEAD(parse_truncated);
ATF_TC_BODY(parse_truncated, tc)
{
	static const char text[] = "# list\n\"a b\": \"|cmd, x\", c@d.test,\n"
	    "  /m/Maildir/, :include:/l\nroot: \\root\nx: lmtp:h:24\n";
	struct aliases_error err;
	struct got g;
	size_t n;
	int r;

	for (n = 0; n <= sizeof(text) - 1; n++) {
		memset(&g, 0, sizeof(g));
		r = aliases_parse(text, n, collect, &g, &err);
		ATF_CHECK_MSG(r == ALIASES_OK || r == ALIASES_SYNTAX,
		    "cut at %zu: %d", n, r);
		ATF_CHECK(g.entries <= 3);
	}
	ATF_CHECK_EQ(aliases_parse(text, sizeof(text) - 1, refuse, NULL,
	    &err), ALIASES_SYNTAX);
	ATF_CHECK_EQ(err.line, 2);
}

ATF_TC_WITHOUT_HEAD(parse_garbage);
ATF_TC_BODY(parse_garbage, tc)
{
	static const char alphabet[] = "ab:,\"\\|/# \t\n\r@.\x01\xff:include:";
	unsigned long seed = 7;
	char buf[512];
	struct aliases_error err;
	struct sa out = SA_INIT;
	struct got g;
	size_t round, i, n, count;
	int r;

	for (round = 0; round < 3000; round++) {
		n = round % sizeof(buf);
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			buf[i] = round % 3 == 0 ? (char)(seed >> 16) :
			    alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		memset(&g, 0, sizeof(g));
		r = aliases_parse(buf, n, collect, &g, &err);
		ATF_CHECK(r == ALIASES_OK || r == ALIASES_SYNTAX);
		r = aliases_parse_list(buf, n, &out, &count, &err);
		ATF_CHECK(r == ALIASES_OK || r == ALIASES_SYNTAX);
		if (r == ALIASES_OK)
			ATF_CHECK(count <= ALIASES_TARGETS_MAX);
	}
	sa_free(&out);
}

ATF_TC_WITHOUT_HEAD(parse_list);
ATF_TC_BODY(parse_list, tc)
{
	static const char text[] = "# members\nalice\nbob, carol@x.test\n\n"
	    "\"|prog, arg\"\n";
	struct aliases_error err;
	struct sa out = SA_INIT;
	size_t count;

	ATF_REQUIRE_EQ(aliases_parse_list(text, sizeof(text) - 1, &out,
	    &count, &err), ALIASES_OK);
	ATF_CHECK_EQ(count, 4);
	ATF_REQUIRE_EQ(out.len, 6 + 4 + 13 + 11);
	ATF_CHECK(memcmp(out.s, "alice\0bob\0carol@x.test\0|prog, arg\0",
	    out.len) == 0);
	ATF_CHECK_EQ(aliases_parse_list("a\nb: c\n", 7, &out, &count, &err),
	    ALIASES_SYNTAX);
	ATF_CHECK_EQ(err.line, 2);
	ATF_CHECK_STREQ(err.name, "");
	sa_free(&out);
}

ATF_TC_WITHOUT_HEAD(vdomains);
ATF_TC_BODY(vdomains, tc)
{
	static const char text[] = "# virtual\nv.test:VD\n.test:wild\n"
	    ".sub.test:deeper\nexact.sub.test:ex\n";
	static const struct {
		const char	*domain;
		int		 want;
		const char	*prefix;
	} t[] = {
		{ "v.test", 1, "vd" },
		{ "V.TEST", 1, "vd" },
		{ "other.test", 1, "wild" },
		{ "a.sub.test", 1, "deeper" },
		{ "sub.test", 1, "wild" },
		{ "exact.sub.test", 1, "ex" },
		{ "test", 0, "" },
		{ "v.testx", 0, "" },
		{ "example.org", 0, "" },
		{ "", 0, "" },
	};
	static const char *const bad[] = {
		"nocolon\n", "v.test:\n", ":p\n", ".:p\n", "v..test:p\n",
		"v.test:a b\n", "v.test:a@b\n", "v.test:a/b\n",
		"v.test:\x01\n",
	};
	char prefix[VDOM_PREFIX_MAX + 1];
	size_t i, line;
	int r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		prefix[0] = '\0';
		r = vdom_match(text, sizeof(text) - 1, t[i].domain, prefix,
		    sizeof(prefix), &line);
		ATF_CHECK_EQ_MSG(r, t[i].want, "%s: %d", t[i].domain, r);
		if (r == 1)
			ATF_CHECK_STREQ_MSG(prefix, t[i].prefix, "%s",
			    t[i].domain);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ATF_CHECK_EQ_MSG(vdom_match(bad[i], strlen(bad[i]), "x.test",
		    prefix, sizeof(prefix), &line), -1, "bad %zu", i);
		ATF_CHECK_EQ(line, 1);
	}
	ATF_CHECK_EQ(vdom_match(NULL, 0, "v.test", prefix, sizeof(prefix),
	    &line), 0);
}

/* ---- the resolver ------------------------------------------------ */

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

/* instance - control files for the resolver cases. */
static void
instance(const atf_tc_t *tc)
{
	char cwd[PATH_MAX], buf[4 * PATH_MAX];
	unsigned long uid = (unsigned long)getuid();

	setup();
	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	puts0("me", "example.test\n");
	puts0("locals", "example.test\n");
	puts0("virtualdomains", "virt.test:vd\n");
	puts0("aliasuser", "nobody\n");
	/* uid 0 for the alias user would be refused: these never run */
	snprintf(buf, sizeof(buf), "qpt7al:%lu:%lu:/h/al\n"
	    "qpt7bo:%lu:%lu:/h/bo\nqpt7zed:0:0:/root\n"
	    "vd+joe:%lu:%lu:/h/joe\nqpt7cy:%lu:%lu:/h/cy\n",
	    uid ? uid : 1, uid ? uid : 1, uid ? uid : 1, uid ? uid : 1,
	    uid ? uid : 1, uid ? uid : 1, uid ? uid : 1, uid ? uid : 1);
	puts0("users", buf);
	snprintf(buf, sizeof(buf),
	    "team: qpt7al, qpt7bo@example.test, \\qpt7bo\n"
	    "nest1: nest2\nnest2: nest3\nnest3: qpt7al+n\n"
	    "loopa: loopb\nloopb: loopc\nloopc: loopa\n"
	    "d0: d1\nd1: d2\nd2: d3\nd3: d4\nd4: d5\nd5: d6\nd6: d7\n"
	    "d7: d8\nd8: d9\nd9: d10\nd10: d11\nd11: qpt7al\n"
	    "prog: \"|cat > /dev/null\", /tmp/mbox, /tmp/Maildir/,\n"
	    "  lmtp:unix:/run/x, someone@remote.test, joe@virt.test\n"
	    "inc: :include:%s/list\n"
	    "unsafe: :include:%s/unsafe\n"
	    "toroot: qpt7zed\n"
	    "qpt7cy: qpt7cy, qpt7al\n"
	    "ghost: qpt7nobody\n", cwd, cwd);
	puts0("aliases", buf);
	qcdb(tc, "users", 0);
	qcdb(tc, "aliases", 0);
	atf_utils_create_file("list", "# members\nqpt7al\nqpt7bo, /tmp/x/\n");
	atf_utils_create_file("unsafe", "qpt7al\n");
	ATF_REQUIRE_EQ(chmod("list", 0644), 0);
	ATF_REQUIRE_EQ(chmod("unsafe", 0666), 0);
}

/* ok - resolve rcpt, which must give n deliveries. */
static void
ok(struct lres *r, const char *rcpt, size_t n)
{
	int rc = lres_resolve(r, rcpt);

	ATF_REQUIRE_MSG(rc == 0, "%s: %c %s", rcpt, r->status, r->text);
	ATF_REQUIRE_EQ_MSG(r->n, n, "%s: %zu deliveries", rcpt, r->n);
}

/* no - resolve rcpt, which must fail with status and text. */
static void
no(const char *rcpt, char status, const char *text)
{
	struct lres r;

	ATF_CHECK_EQ_MSG(lres_resolve(&r, rcpt), -1, "%s resolved", rcpt);
	ATF_CHECK_EQ_MSG(r.status, status, "%s: %c", rcpt, r.status);
	ATF_CHECK_MSG(strstr(r.text, text) != NULL, "%s: \"%s\" lacks "
	    "\"%s\"", rcpt, r.text, text);
	ATF_CHECK_EQ(r.n, 0);
	lres_free(&r);
}

ATF_TC(resolve);
ATF_TC_HEAD(resolve, tc)
{
	atf_tc_set_md_var(tc, "descr", "lresolve: mailboxes, extensions, "
	    "nested aliases, every target kind, virtual domains");
}
ATF_TC_BODY(resolve, tc)
{
	struct lres r;
	size_t i;

	instance(tc);
	ok(&r, "qpt7al@example.test", 1);
	ATF_CHECK(r.d[0].is_mailbox);
	ATF_CHECK_STREQ(r.d[0].name, "qpt7al");
	ATF_CHECK_STREQ(r.d[0].rcpt, "qpt7al@example.test");
	ATF_CHECK_STREQ(r.d[0].local, "qpt7al");
	ATF_CHECK_STREQ(r.d[0].ext, "");
	ATF_CHECK_STREQ(r.d[0].user.home, "/h/al");
	lres_free(&r);

	ok(&r, "QPT7AL+Foo+Bar@example.test", 1);
	ATF_CHECK_STREQ(r.d[0].name, "qpt7al");
	ATF_CHECK_STREQ(r.d[0].local, "qpt7al+foo+bar");
	ATF_CHECK_STREQ(r.d[0].ext, "foo+bar");
	ATF_CHECK_STREQ(r.d[0].rcpt, "QPT7AL+Foo+Bar@example.test");
	lres_free(&r);

	ok(&r, "team@example.test", 2);		/* bob once, not twice */
	ATF_CHECK_STREQ(r.d[0].name, "qpt7al");
	ATF_CHECK_STREQ(r.d[0].rcpt, "qpt7al@example.test");
	ATF_CHECK_STREQ(r.d[0].alias, "team");
	ATF_CHECK_STREQ(r.d[1].name, "qpt7bo");
	ATF_CHECK_STREQ(r.d[1].rcpt, "qpt7bo@example.test");
	lres_free(&r);

	ok(&r, "nest1@example.test", 1);
	ATF_CHECK_STREQ(r.d[0].name, "qpt7al");
	ATF_CHECK_STREQ(r.d[0].ext, "n");
	ATF_CHECK_STREQ(r.d[0].alias, "nest3");
	lres_free(&r);

	ok(&r, "prog+x@example.test", 6);
	ATF_CHECK_STREQ(r.d[0].target, "|cat > /dev/null");
	ATF_CHECK_STREQ(r.d[1].target, "/tmp/mbox");
	ATF_CHECK_STREQ(r.d[2].target, "/tmp/Maildir/");
	ATF_CHECK_STREQ(r.d[3].target, "lmtp:unix:/run/x");
	ATF_CHECK_STREQ(r.d[4].target, "&someone@remote.test");
	ATF_CHECK(r.d[5].is_mailbox);
	ATF_CHECK_STREQ(r.d[5].name, "vd+joe");
	ATF_CHECK_STREQ(r.d[5].rcpt, "joe@virt.test");	/* as named */
	for (i = 0; i < 5; i++) {
		ATF_CHECK(!r.d[i].is_mailbox);
		ATF_CHECK(r.d[i].user.uid != 0);
		ATF_CHECK_STREQ(r.d[i].rcpt, "prog+x@example.test");
		ATF_CHECK_STREQ(r.d[i].local, "prog+x");
		ATF_CHECK_STREQ(r.d[i].ext, "x");
		ATF_CHECK_STREQ(r.d[i].alias, "prog");
	}
	lres_free(&r);

	ok(&r, "inc@example.test", 3);
	ATF_CHECK_STREQ(r.d[0].name, "qpt7al");
	ATF_CHECK_STREQ(r.d[1].name, "qpt7bo");
	ATF_CHECK_STREQ(r.d[2].target, "/tmp/x/");
	lres_free(&r);

	ok(&r, "joe@VIRT.test", 1);
	ATF_CHECK_STREQ(r.d[0].name, "vd+joe");
	ATF_CHECK_STREQ(r.d[0].rcpt, "joe@VIRT.test");
	lres_free(&r);
}

ATF_TC(resolve_fail);
ATF_TC_HEAD(resolve_fail, tc)
{
	atf_tc_set_md_var(tc, "descr", "lresolve: loops, depth, unknown "
	    "users, uid 0, unsafe includes, defaults and control/admin");
}
ATF_TC_BODY(resolve_fail, tc)
{
	struct lres r;

	instance(tc);
	no("loopa@example.test", SPAWN_PERM, "5.4.6 <loopa@example.test>: "
	    "alias loop at loopa");
	no("loopb+x@example.test", SPAWN_PERM, "alias loop at loopb");
	/* an alias naming itself means its mailbox, as in sendmail */
	ok(&r, "qpt7cy@example.test", 2);
	ATF_CHECK_STREQ(r.d[0].name, "qpt7cy");
	ATF_CHECK_STREQ(r.d[1].name, "qpt7al");
	lres_free(&r);
	no("d0@example.test", SPAWN_PERM, "5.4.6");
	ok(&r, "d2@example.test", 1);		/* ten levels are fine */
	lres_free(&r);
	no("nosuch@example.test", SPAWN_PERM, "5.1.1 <nosuch@example.test>");
	no("nosuch+qpt7al@example.test", SPAWN_PERM, "5.1.1");
	no("ghost@example.test", SPAWN_PERM, "5.1.1 <qpt7nobody>");
	no("qpt7zed@example.test", SPAWN_PERM, "5.7.1");
	no("toroot@example.test", SPAWN_PERM, "5.7.1");
	no("unsafe@example.test", SPAWN_TEMP, "4.7.0");
	no("nobody@virt.test", SPAWN_PERM, "5.1.1");
	no("root@example.test", SPAWN_TEMP, "set control/admin");
	no("postmaster@example.test", SPAWN_TEMP, "set control/admin");
	no("Mailer-Daemon@example.test", SPAWN_TEMP, "set control/admin");
	no("postmaster@virt.test", SPAWN_TEMP, "set control/admin");
	puts0("admin", "qpt7bo\n");
	ok(&r, "postmaster@example.test", 1);
	ATF_CHECK_STREQ(r.d[0].name, "qpt7bo");
	ATF_CHECK_STREQ(r.d[0].rcpt, "qpt7bo@example.test");
	lres_free(&r);
	ok(&r, "postmaster@virt.test", 1);
	lres_free(&r);
	/* root's own name: its mailbox, which is uid 0's, never a loop */
	puts0("admin", "root\n");
	no("root@example.test", SPAWN_PERM, "5.7.1");
	/* broken control files are temporary */
	puts0("extsep", "ab\n");
	no("qpt7al@example.test", SPAWN_TEMP, "extsep");
	puts0("extsep", "-\n");
	ok(&r, "qpt7al-x@example.test", 1);
	ATF_CHECK_STREQ(r.d[0].ext, "x");
	lres_free(&r);
	puts0("virtualdomains", "broken\n");
	no("joe@virt.test", SPAWN_TEMP, "virtualdomains");
	no("bad syntax@example.test", SPAWN_PERM, "5.1.3");
}

ATF_TC(exists);
ATF_TC_HEAD(exists, tc)
{
	atf_tc_set_md_var(tc, "descr", "local_exists (smtpd's RCPT check) "
	    "agrees with lresolve on virtual domains, extensions, defaults");
}
ATF_TC_BODY(exists, tc)
{
	static const struct {
		const char	*local, *domain;
		int		 want;
	} t[] = {
		{ "joe", "virt.test", 1 },
		{ "JOE", "VIRT.TEST", 1 },
		{ "joe+x", "virt.test", 1 },
		{ "nobody", "virt.test", 0 },
		{ "postmaster", "virt.test", 1 },
		{ "qpt7al", "virt.test", 0 },
		{ "qpt7al", "example.test", 1 },
		{ "qpt7al+x+y", "example.test", 1 },
		{ "team", "example.test", 1 },
		{ "loopa", "example.test", 1 },	/* bounces at delivery */
		{ "root", "example.test", 1 },	/* waits for control/admin */
		{ "mailer-daemon", "example.test", 1 },
		{ "qpt7zed", "example.test", 0 },	/* uid 0 */
		{ "nosuch", "example.test", 0 },
		{ "+qpt7al", "example.test", 0 },
	};
	size_t i;

	instance(tc);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(local_exists(t[i].local, t[i].domain),
		    t[i].want, "%s@%s", t[i].local, t[i].domain);
	puts0("virtualdomains", "broken\n");
	ATF_CHECK_EQ(local_exists("joe", "virt.test"), -1);
}

ATF_TC(domain);
ATF_TC_HEAD(domain, tc)
{
	atf_tc_set_md_var(tc, "descr", "local_domain (smtpd's RCPT) says "
	    "local or not with the virtual prefix, which smtpd then passes "
	    "to local_mailbox");
}
ATF_TC_BODY(domain, tc)
{
	char prefix[VDOM_PREFIX_MAX + 1];
	struct sa locals = SA_INIT;

	instance(tc);
	ATF_REQUIRE_EQ(ctl_list("locals", &locals), 1);
	ATF_CHECK_EQ(local_domain(&locals, "virt.test", prefix,
	    sizeof(prefix)), 1);
	ATF_CHECK_STREQ(prefix, "vd");
	ATF_CHECK_EQ(local_mailbox("joe", prefix), 1);
	ATF_CHECK_EQ(local_domain(&locals, "EXAMPLE.test", prefix,
	    sizeof(prefix)), 1);
	ATF_CHECK_STREQ(prefix, "");
	ATF_CHECK_EQ(local_mailbox("qpt7al", prefix), 1);
	ATF_CHECK_EQ(local_mailbox("joe", prefix), 0);
	ATF_CHECK_EQ(local_domain(&locals, "elsewhere.test", prefix,
	    sizeof(prefix)), 0);
	/* a domain in both is virtual: its addresses get the prefix */
	puts0("virtualdomains", "example.test:vd\n");
	ATF_CHECK_EQ(local_domain(&locals, "example.test", prefix,
	    sizeof(prefix)), 1);
	ATF_CHECK_STREQ(prefix, "vd");
	puts0("virtualdomains", "broken\n");
	ATF_CHECK_EQ(local_domain(&locals, "example.test", prefix,
	    sizeof(prefix)), -1);
	sa_free(&locals);
}

ATF_TC(cdb_open);
ATF_TC_HEAD(cdb_open, tc)
{
	atf_tc_set_md_var(tc, "descr", "a recipient's lookups open each "
	    "cdb once: one that cannot be opened fails what needs it, and "
	    "only that");
}
ATF_TC_BODY(cdb_open, tc)
{
	instance(tc);
	/* O_NOFOLLOW refuses a symbolic link, even to root */
	ATF_REQUIRE_EQ(rename("control/users.cdb", "control/users.real"), 0);
	ATF_REQUIRE_EQ(symlink("users.real", "control/users.cdb"), 0);
	ATF_CHECK_EQ(local_exists("team", "example.test"), 1);
	ATF_CHECK_EQ(local_exists("root", "example.test"), 1);
	ATF_CHECK_EQ(local_exists("qpt7al", "example.test"), -1);
	/* the whole name is asked of users.cdb before its base, team */
	ATF_CHECK_EQ(local_exists("team+x", "example.test"), -1);
	/* no users.cdb at all: the users of control/users are gone */
	ATF_REQUIRE_EQ(unlink("control/users.cdb"), 0);
	ATF_CHECK_EQ(local_exists("qpt7al+x", "example.test"), 0);
	ATF_CHECK_EQ(local_exists("team", "example.test"), 1);
	ATF_REQUIRE_EQ(rename("control/users.real", "control/users.cdb"), 0);
	ATF_CHECK_EQ(local_exists("qpt7al+x", "example.test"), 1);
	ATF_REQUIRE_EQ(rename("control/aliases.cdb", "control/aliases.real"),
	    0);
	ATF_REQUIRE_EQ(symlink("aliases.real", "control/aliases.cdb"), 0);
	ATF_CHECK_EQ(local_exists("qpt7al", "example.test"), -1);
	ATF_CHECK_EQ(local_exists("team", "example.test"), -1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, parse_good);
	ATF_TP_ADD_TC(tp, parse_bad);
	ATF_TP_ADD_TC(tp, parse_oversize);
	ATF_TP_ADD_TC(tp, parse_truncated);
	ATF_TP_ADD_TC(tp, parse_garbage);
	ATF_TP_ADD_TC(tp, parse_list);
	ATF_TP_ADD_TC(tp, vdomains);
	ATF_TP_ADD_TC(tp, resolve);
	ATF_TP_ADD_TC(tp, resolve_fail);
	ATF_TP_ADD_TC(tp, exists);
	ATF_TP_ADD_TC(tp, domain);
	ATF_TP_ADD_TC(tp, cdb_open);
	return atf_no_error();
}
