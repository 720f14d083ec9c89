/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * policy_test - tests of lookup/rcpthosts.c, lookup/relay.c,
 * lookup/relayrcpt.c, lookup/clientaccess.c and lookup/local.c against
 * real cdb files: the
 * text control files are written in the test case's work directory and
 * compiled by the qcdb just built (so the writer and the readers are
 * tested together), and hostile cdb files are written byte by byte or
 * with tinycdb's cdb_make.  The point of most cases: a broken, stale or corrupt
 * policy is never a match (never an open relay), and hostile strings
 * are a plain "no".
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <atf-c.h>
#include <cdb.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clientaccess.h"
#include "local.h"
#include "policy_cdb.h"
#include "rcpthosts.h"
#include "relay.h"
#include "relayrcpt.h"
#include "badaddr.h"
#include "lsan_atf.h"
#include "control_fixture.h"


/* age - set the mtime of control/name to secs seconds ago. */
static void
age(const char *name, int secs)
{
	char path[PATH_MAX];
	struct timespec ts[2];

	snprintf(path, sizeof(path), "control/%s", name);
	ATF_REQUIRE_EQ(clock_gettime(CLOCK_REALTIME, &ts[0]), 0);
	ts[0].tv_sec -= secs;
	ts[1] = ts[0];
	ATF_REQUIRE_EQ(utimensat(AT_FDCWD, path, ts, 0), 0);
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

/* make_cdb - write control/name with cdb_make: key/value pairs. */
static void
make_cdb(const char *name, const char *const *kv, size_t n)
{
	char path[PATH_MAX];
	struct cdb_make cm;
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "control/%s", name);
	ATF_REQUIRE((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) !=
	    -1);
	ATF_REQUIRE_EQ(cdb_make_start(&cm, fd), 0);
	for (i = 0; i + 1 < n; i += 2)
		ATF_REQUIRE_EQ(cdb_make_add(&cm, kv[i],
		    (unsigned)strlen(kv[i]), kv[i + 1],
		    (unsigned)strlen(kv[i + 1])), 0);
	ATF_REQUIRE_EQ(cdb_make_finish(&cm), 0);
	ATF_REQUIRE_EQ(close(fd), 0);
}

/* rnd - a small deterministic generator (xorshift32), for corrupt files. */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* strings no caller should pass, but a hostile client might cause */
static const char *const garbage[] = {
	"", " ", ".", "..", ":", "::::", ":::1", "10", "10.0.0", "10.0.0.0.0",
	"10.0.0.256", "010.0.0.1", "0x0a.0.0.1", "10.1", " 10.0.0.1",
	"10.0.0.1 ", "10.0.0.1\n", "10.0.0.1\r\n", "10.0.0.1/8", "10.0.0.1/32",
	"[10.0.0.1]", "[::1]", "::1%lo", "fe80::1%eth0", "::ffff:", "::ffff:1.2.3",
	"::ffff:1.2.3.4.5", "::ffff:256.1.1.1", "1::2::3", "1:2:3:4:5:6:7:8:9",
	"%s%s%n%n", "10.0.0.1x", "ip6-localhost", "\xff\xfe", "-1", "4294967295",
	"1.2.3.4::", "12345::", "g::1",
};

ATF_TC_WITHOUT_HEAD(rcpthosts_table);
ATF_TC_BODY(rcpthosts_table, tc)
{
	static const struct {
		const char	*domain;
		int		 want;
	} t[] = {
		{ "example.org", 1 },
		{ "EXAMPLE.ORG", 1 },
		{ "Example.Org", 1 },
		{ "a.example.org", 0 },		/* no ".example.org" */
		{ "example.net", 0 },		/* only below it */
		{ "a.example.net", 1 },
		{ "a.b.example.net", 1 },
		{ "A.B.C.D.Example.NET", 1 },
		{ "example.net.evil", 0 },
		{ "evilexample.net", 0 },
		{ "xexample.org", 0 },
		{ "upper.test", 1 },
		{ "UPPER.test", 1 },
		{ "deep.a.test", 0 },
		{ "x.deep.a.test", 1 },
		{ "a.test", 0 },
		{ "test", 0 },
		{ "org", 0 },
		{ "localhost", 1 },
		{ "", 0 },
		{ ".", 0 },
		{ ".example.net", 0 },		/* an entry, but no domain */
		{ "..example.net", 0 },
		{ "a..example.net", 0 },
		{ "example.org.", 0 },
		{ "a.example.net.", 0 },
		{ "example.org\n", 0 },
		{ " example.org", 0 },
		{ "[127.0.0.1]", 0 },
		{ "%s%n", 0 },
	};
	char big[4096];
	size_t i;

	setup();
	puts0("rcpthosts", "# domains we take mail for\n"
	    "example.org\n.example.net\n  UPPER.Test  \n.deep.a.test\n"
	    "localhost\nexample.org\n");
	qcdb(tc, "rcpthosts", 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(rcpthosts_match(t[i].domain), t[i].want,
		    "case %zu: \"%s\"", i, t[i].domain);
	ATF_CHECK_EQ(rcpthosts_match(NULL), 0);
	/* longer than any domain, and ending in a listed one */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big + sizeof(big) - 1 - strlen(".example.net"), ".example.net",
	    strlen(".example.net"));
	ATF_CHECK_EQ(rcpthosts_match(big), 0);
	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
		ATF_CHECK_EQ_MSG(rcpthosts_match(garbage[i]), 0, "garbage %zu",
		    i);
}

/*
 * states - the broken states of a policy file name (rcpthosts or
 * relay), checked through match(probe), where probe is listed by line.
 */
static void
states(const atf_tc_t *tc, const char *name, const char *line,
    int (*match)(const char *), const char *probe)
{
	char cdbname[64], path[PATH_MAX], text[256];

	snprintf(cdbname, sizeof(cdbname), "%s.cdb", name);
	snprintf(text, sizeof(text), "%s\n", line);
	setup();
	/* neither file: nothing listed */
	ATF_CHECK_EQ(match(probe), 0);
	/* the text with no cdb: edited, never compiled */
	puts0(name, text);
	ATF_CHECK_EQ(match(probe), -1);
	qcdb(tc, name, 0);
	ATF_CHECK_EQ(match(probe), 1);
	/* the cdb older than the text: edited after the last qcdb */
	age(cdbname, 10);
	ATF_CHECK_EQ(match(probe), -1);
	/* an older text is fine, and so are equal times */
	age(name, 20);
	ATF_CHECK_EQ(match(probe), 1);
	age(name, 10);
	age(cdbname, 10);
	snprintf(path, sizeof(path), "control/%s", name);
	{
		struct stat st;
		struct timespec ts[2];

		ATF_REQUIRE_EQ(stat(path, &st), 0);
		ts[0] = ts[1] = st.st_mtim;
		snprintf(path, sizeof(path), "control/%s", cdbname);
		ATF_REQUIRE_EQ(utimensat(AT_FDCWD, path, ts, 0), 0);
	}
	ATF_CHECK_EQ(match(probe), 1);
	/* the cdb alone (the text removed) is in force */
	snprintf(path, sizeof(path), "control/%s", name);
	ATF_REQUIRE_EQ(unlink(path), 0);
	ATF_CHECK_EQ(match(probe), 1);
	/* an empty text compiles to an empty cdb: nothing listed */
	puts0(name, "# nothing\n");
	qcdb(tc, name, 0);
	ATF_CHECK_EQ(match(probe), 0);
	/* a cdb that is a directory, or a symbolic link: broken */
	snprintf(path, sizeof(path), "control/%s", cdbname);
	ATF_REQUIRE_EQ(unlink(path), 0);
	ATF_REQUIRE_EQ(mkdir(path, 0755), 0);
	ATF_CHECK_EQ(match(probe), -1);
	ATF_REQUIRE_EQ(rmdir(path), 0);
	puts0(name, text);
	qcdb(tc, name, 0);
	snprintf(text, sizeof(text), "control/%s.real", cdbname);
	ATF_REQUIRE_EQ(rename(path, text), 0);
	ATF_REQUIRE_EQ(symlink(text + strlen("control/"), path), 0);
	ATF_CHECK_EQ(match(probe), -1);
	ATF_REQUIRE_EQ(unlink(path), 0);
	ATF_REQUIRE_EQ(rename(text, path), 0);
	ATF_CHECK_EQ(match(probe), 1);
	/* a dangling link as the text: no text, as if it were removed */
	snprintf(path, sizeof(path), "control/%s", name);
	ATF_REQUIRE_EQ(unlink(path), 0);
	ATF_REQUIRE_EQ(symlink("nowhere", path), 0);
	ATF_CHECK_EQ(match(probe), 1);
}

ATF_TC_WITHOUT_HEAD(rcpthosts_states);
ATF_TC_BODY(rcpthosts_states, tc)
{
	states(tc, "rcpthosts", ".example.org", rcpthosts_match,
	    "a.b.example.org");
}

ATF_TC_WITHOUT_HEAD(relay_states);
ATF_TC_BODY(relay_states, tc)
{
	states(tc, "relay", "10.0.0.0/8", relay_allowed, "10.9.8.7");
}

ATF_TC_WITHOUT_HEAD(relay_table);
ATF_TC_BODY(relay_table, tc)
{
	static const struct {
		const char	*ip;
		int		 want;
	} t[] = {
		{ "127.0.0.1", 1 },
		{ "127.0.0.2", 0 },
		{ "10.0.0.0", 1 },
		{ "10.0.0.1", 1 },
		{ "10.255.255.255", 1 },
		{ "11.0.0.0", 0 },
		{ "9.255.255.255", 0 },
		{ "192.168.1.128", 1 },
		{ "192.168.1.255", 1 },
		{ "192.168.1.127", 0 },
		{ "192.168.2.128", 0 },
		{ "172.16.5.4", 1 },		/* written with host bits */
		{ "172.31.255.255", 1 },
		{ "172.32.0.0", 0 },
		{ "0.0.0.0", 0 },
		{ "255.255.255.255", 0 },
		{ "2001:db8::1", 1 },
		{ "2001:DB8:FFFF:FFFF::1", 1 },
		{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
		{ "2001:db9::", 0 },
		{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
		{ "2001:0db8:0000:0000:0000:0000:0000:0001", 1 },
		{ "::1", 1 },
		{ "0:0:0:0:0:0:0:1", 1 },
		{ "::2", 0 },
		{ "::", 0 },
		{ "fd00:1:2:3::4", 1 },
		{ "fd00:1:2:4::4", 0 },
		{ "::ffff:10.1.2.3", 1 },	/* IPv4-mapped */
		{ "::FFFF:127.0.0.1", 1 },
		{ "::ffff:11.0.0.1", 0 },
		{ "::ffff:a01:203", 1 },	/* mapped, in hex */
		{ "0:0:0:0:0:ffff:0a01:0203", 1 },
		{ "::10.1.2.3", 0 },		/* IPv4-compatible: not mapped */
		{ "::ffff:0:10.1.2.3", 0 },	/* IPv4-translated: not mapped */
		{ "64:ff9b::10.1.2.3", 0 },
	};
	char big[10000];
	size_t i;

	setup();
	puts0("relay", "127.0.0.1\n10.0.0.0/8\n192.168.1.128/25\n"
	    "172.16.5.4/12\n[2001:db8::]/32\n[::1]\n[fd00:1:2:3::]/64\n"
	    "10.0.0.0/8\n10.1.2.3\n");
	qcdb(tc, "relay", 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(relay_allowed(t[i].ip), t[i].want,
		    "case %zu: \"%s\"", i, t[i].ip);
	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
		ATF_CHECK_EQ_MSG(relay_allowed(garbage[i]), 0, "garbage %zu",
		    i);
	ATF_CHECK_EQ(relay_allowed(NULL), 0);
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ATF_CHECK_EQ(relay_allowed(big), 0);
}

ATF_TC_WITHOUT_HEAD(relay_everyone);
ATF_TC_BODY(relay_everyone, tc)
{
	static const char *const ok[] = {
		"0.0.0.0", "1.2.3.4", "255.255.255.255", "::", "::1",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:1.2.3.4",
	};
	size_t i;

	/* even with every address listed, garbage is no address */
	setup();
	puts0("relay", "0.0.0.0/0\n[::]/0\n");
	qcdb(tc, "relay", 0);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ATF_CHECK_EQ_MSG(relay_allowed(ok[i]), 1, "ok %zu", i);
	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
		ATF_CHECK_EQ_MSG(relay_allowed(garbage[i]), 0, "garbage %zu",
		    i);
	/* an IPv4 /0 alone: IPv6 clients are not in it */
	puts0("relay", "0.0.0.0/0\n");
	qcdb(tc, "relay", 0);
	ATF_CHECK_EQ(relay_allowed("::1"), 0);
	ATF_CHECK_EQ(relay_allowed("::ffff:8.8.8.8"), 1);
}

ATF_TC_WITHOUT_HEAD(relay_keys);
ATF_TC_BODY(relay_keys, tc)
{
	static const struct {
		const char	*ip;
		unsigned	 len;
		const char	*want;
	} t[] = {
		{ "10.1.2.3", 32, "10.1.2.3/32" },
		{ "10.1.2.3", 8, "10.0.0.0/8" },
		{ "10.1.2.3", 0, "0.0.0.0/0" },
		{ "192.168.1.255", 25, "192.168.1.128/25" },
		{ "255.255.255.255", 31, "255.255.255.254/31" },
		{ "2001:db8::1", 32, "2001:db8::/32" },
		{ "2001:db8::1", 128, "2001:db8::1/128" },
		{ "ffff::ffff", 1, "8000::/1" },
		{ "::1", 0, "::/0" },
	};
	unsigned char a[16];
	char key[RELAY_KEY_MAX];
	size_t i;
	int af;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		af = strchr(t[i].ip, ':') ? AF_INET6 : AF_INET;
		ATF_REQUIRE(inet_pton(af, t[i].ip, a) == 1);
		ATF_CHECK_EQ(relay_key(af, a, t[i].len, key, sizeof(key)), 0);
		ATF_CHECK_STREQ_MSG(key, t[i].want, "case %zu", i);
	}
	ATF_CHECK_EQ(relay_key(AF_INET, a, 33, key, sizeof(key)), -1);
	ATF_CHECK_EQ(relay_key(AF_INET6, a, 129, key, sizeof(key)), -1);
	ATF_CHECK_EQ(relay_key(AF_UNIX, a, 0, key, sizeof(key)), -1);
	ATF_CHECK_EQ(relay_key(AF_INET6, a, 128, key, 7), -1);
}

ATF_TC_WITHOUT_HEAD(relayrcpt_table);
ATF_TC_BODY(relayrcpt_table, tc)
{
	static const struct {
		const char	*local, *domain;
		char		 sep;
		int		 want;
	} t[] = {
		{ "alice", "example.org", '+', 1 },
		{ "ALICE", "Example.ORG", '+', 1 },
		{ "bob", "example.org", '+', 1 },
		{ "b c", "example.org", '+', 1 },	/* "b c"@, unquoted */
		{ "carol", "example.org", '+', 0 },
		{ "alice+list", "example.org", '+', 1 },
		{ "alice+a+b", "example.org", '+', 1 },
		{ "alice-list", "example.org", '+', 0 },
		{ "alice-list", "example.org", '-', 1 },
		{ "+alice", "example.org", '+', 0 },
		{ "alicex", "example.org", '+', 0 },
		{ "alice", "example.net", '+', 0 },
		{ "anyone", "all.example", '+', 1 },
		{ "anyone", "ALL.EXAMPLE", '+', 1 },
		{ "anyone", "sub.all.example", '+', 0 },
		{ "", "example.org", '+', 0 },
		{ "", "all.example", '+', 1 },
		{ "alice@example.org", "x", '+', 0 },
		{ "%s%n", "example.org", '+', 0 },
	};
	static const char *const valued[] = { "alice@example.org", "x" };
	size_t i;

	setup();
	/* neither file: no list, every address taken */
	ATF_CHECK_EQ(relayrcpt_match("anyone", "example.org", '+'), 1);
	/* the text with no cdb: edited, never compiled */
	puts0("relayrecipients", "alice@example.org\nBob@Example.ORG\n"
	    "@all.example\n\"b c\"@example.org\n");
	ATF_CHECK_EQ(relayrcpt_match("alice", "example.org", '+'), -1);
	qcdb(tc, "relayrecipients", 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(relayrcpt_match(t[i].local, t[i].domain,
		    t[i].sep), t[i].want, "case %zu: %s@%s", i, t[i].local,
		    t[i].domain);
	/* edited after the last qcdb */
	age("relayrecipients.cdb", 10);
	ATF_CHECK_EQ(relayrcpt_match("alice", "example.org", '+'), -1);
	/* a value qcdb never writes: not ours, broken */
	make_cdb("relayrecipients.cdb", valued, 2);
	ATF_CHECK_EQ(relayrcpt_match("alice", "example.org", '+'), -1);
}

/* access_find - clientaccess_find over control/clientaccess.cdb */
static int
access_find(const char *ip, const char *host, struct clientaccess_rule *r)
{
	int fd, rc;

	ATF_REQUIRE_EQ(policy_cdb_open("clientaccess", &fd), 1);
	rc = clientaccess_find(fd, ip, host, r);
	ATF_REQUIRE_EQ(close(fd), 0);
	return rc;
}

/* access_names - clientaccess_wants_names over the cdb */
static int
access_names(void)
{
	int fd, rc;

	ATF_REQUIRE_EQ(policy_cdb_open("clientaccess", &fd), 1);
	rc = clientaccess_wants_names(fd);
	ATF_REQUIRE_EQ(close(fd), 0);
	return rc;
}

ATF_TC_WITHOUT_HEAD(clientaccess_table);
ATF_TC_BODY(clientaccess_table, tc)
{
	static const struct {
		const char	*ip, *host;
		int		 action;
		const char	*key, *text;
	} t[] = {
		{ "10.1.2.3", NULL, CLIENTACCESS_REJECT, "10.0.0.0/8", "" },
		{ "10.9.9.9", "unknown", CLIENTACCESS_OK, "10.9.0.0/16", "" },
		{ "10.9.9.1", NULL, CLIENTACCESS_DEFER, "10.9.9.1/32",
		    "Later,  please" },
		{ "::ffff:10.9.9.1", NULL, CLIENTACCESS_DEFER, "10.9.9.1/32",
		    "Later,  please" },
		{ "2001:db8::5", NULL, CLIENTACCESS_REJECT, "2001:db8::/32",
		    "" },
		/* the name before the address, nearest domain first */
		{ "10.1.2.3", "mx.Partner.example", CLIENTACCESS_OK,
		    ".partner.example", "" },
		{ "10.1.2.3", "a.b.dyn.example", CLIENTACCESS_REJECT,
		    ".dyn.example", "No dynamic clients" },
		{ "10.1.2.3", "static.dyn.example", CLIENTACCESS_OK,
		    "static.dyn.example", "" },
		{ "192.0.2.1", "dyn.example", CLIENTACCESS_NONE, "", "" },
		{ "192.0.2.1", "x.static.dyn.example", CLIENTACCESS_REJECT,
		    ".dyn.example", "No dynamic clients" },
		{ "192.0.2.1", "example", CLIENTACCESS_NONE, "", "" },
		{ "192.0.2.1", "unknown", CLIENTACCESS_NONE, "", "" },
		{ "192.0.2.1", NULL, CLIENTACCESS_NONE, "", "" },
		{ "11.0.0.1", NULL, CLIENTACCESS_NONE, "", "" },
	};
	struct clientaccess_rule r;
	char big[600];
	size_t i;
	int want;

	setup();
	puts0("clientaccess", "# rules\n10.0.0.0/8 reject\n"
	    "10.9.0.0/16 OK\n10.9.9.1 defer   Later,  please  \n"
	    "[2001:db8::]/32 reject\n.partner.example ok\n"
	    ".DYN.example reject No dynamic clients\n"
	    "static.dyn.example ok\n");
	qcdb(tc, "clientaccess", 0);
	ATF_CHECK_EQ(access_names(), 1);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		want = t[i].action != CLIENTACCESS_NONE;
		ATF_CHECK_EQ_MSG(access_find(t[i].ip, t[i].host, &r), want,
		    "case %zu", i);
		ATF_CHECK_EQ_MSG((int)r.action, t[i].action, "case %zu", i);
		ATF_CHECK_STREQ_MSG(r.key, t[i].key, "case %zu", i);
		ATF_CHECK_STREQ_MSG(r.text, t[i].text, "case %zu", i);
	}
	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		ATF_CHECK_EQ_MSG(access_find(garbage[i], garbage[i], &r), 0,
		    "garbage %zu", i);
		ATF_CHECK_EQ((int)r.action, CLIENTACCESS_NONE);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ATF_CHECK_EQ(access_find(big, big, &r), 0);
	ATF_CHECK_EQ(access_find(NULL, NULL, &r), 0);
	/* addresses only: no name lookups wanted */
	puts0("clientaccess", "10.0.0.0/8 reject\n");
	qcdb(tc, "clientaccess", 0);
	ATF_CHECK_EQ(access_names(), 0);
}

ATF_TC_WITHOUT_HEAD(clientaccess_lines);
ATF_TC_BODY(clientaccess_lines, tc)
{
	static const struct {
		const char	*line, *key, *value;
		int		 is_name, masked;
	} good[] = {
		{ "10.1.2.3 reject", "10.1.2.3/32", "r", 0, 0 },
		{ "10.1.2.3/8\tDEFER\tnot now", "10.0.0.0/8", "dnot now", 0,
		    1 },
		{ "0.0.0.0/0 ok", "0.0.0.0/0", "o", 0, 0 },
		{ "[::1] Ok", "::1/128", "o", 0, 0 },
		{ "[2001:DB8::]/32 reject  a  b ", "2001:db8::/32", "ra  b",
		    0, 0 },
		{ "Host.Example reject", "host.example", "r", 1, 0 },
		{ ".Example ok", ".example", "o", 1, 0 },
		{ "x reject", "x", "r", 1, 0 },
	};
	static const char *const bad[] = {
		"", "10.0.0.1", "reject", "10.0.0.1 refuse", "10.0.0.1 ok x",
		"1.2.3 reject", "10.0.0.0/33 reject", "10.0.0.0/ reject",
		"::1 reject", "[::ffff:10.0.0.1] reject", "[::1 reject",
		"a..b reject", ". reject", ".. reject", "a.b. reject",
		"-a.b reject", "a_b.c reject", "[a.b] reject",
		"a.b reject \001", "a.b reject \xc3\xa9", "a.b reject \x7f",
	};
	struct clientaccess_line l;
	char longer[400];
	size_t i;

	(void)tc;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ATF_CHECK_MSG(clientaccess_parse(good[i].line,
		    strlen(good[i].line), &l) == NULL, "good %zu", i);
		ATF_CHECK_STREQ_MSG(l.key, good[i].key, "good %zu", i);
		ATF_CHECK_STREQ_MSG(l.value, good[i].value, "good %zu", i);
		ATF_CHECK_EQ_MSG(l.is_name, good[i].is_name, "good %zu", i);
		ATF_CHECK_EQ_MSG(l.masked, good[i].masked, "good %zu", i);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_MSG(clientaccess_parse(bad[i], strlen(bad[i]), &l) !=
		    NULL, "bad %zu: %s", i, bad[i]);
	/* the text: 200 bytes at most */
	snprintf(longer, sizeof(longer), "a.b reject %0200d", 0);
	ATF_CHECK(clientaccess_parse(longer, strlen(longer), &l) == NULL);
	ATF_CHECK_EQ(strlen(l.value), 201);
	snprintf(longer, sizeof(longer), "a.b reject %0201d", 0);
	ATF_CHECK(clientaccess_parse(longer, strlen(longer), &l) != NULL);
	/* a name: at most 253 bytes, and its dot */
	memset(longer, 'a', sizeof(longer));
	for (i = 63; i < 300; i += 64)
		longer[i] = '.';
	longer[0] = '.';
	memcpy(longer + 254, " ok", 3);
	ATF_CHECK(clientaccess_parse(longer, 257, &l) == NULL);
	longer[254] = 'a';
	memcpy(longer + 255, " ok", 3);
	ATF_CHECK(clientaccess_parse(longer, 258, &l) != NULL);
}

ATF_TC_WITHOUT_HEAD(clientaccess_not_from_qcdb);
ATF_TC_BODY(clientaccess_not_from_qcdb, tc)
{
	static const char *const empty[] = { "10.0.0.1/32", "" };
	static const char *const letter[] = { "10.0.0.1/32", "x" };
	static const char *const ctrl[] = { "10.0.0.1/32", "rbad\ntext" };
	static const char *const names[] = { "=names", "", "a.b", "o" };
	char longv[300];
	const char *const lng[] = { "10.0.0.1/32", longv };
	struct clientaccess_rule r;

	(void)tc;
	setup();
	make_cdb("clientaccess.cdb", empty, 2);
	ATF_CHECK_EQ(access_find("10.0.0.1", NULL, &r), -1);
	ATF_CHECK_EQ(access_find("10.0.0.2", NULL, &r), 0);
	make_cdb("clientaccess.cdb", letter, 2);
	ATF_CHECK_EQ(access_find("10.0.0.1", NULL, &r), -1);
	make_cdb("clientaccess.cdb", ctrl, 2);
	ATF_CHECK_EQ(access_find("10.0.0.1", NULL, &r), -1);
	memset(longv, 'x', sizeof(longv) - 1);
	longv[0] = 'r';
	longv[sizeof(longv) - 1] = '\0';
	make_cdb("clientaccess.cdb", lng, 2);
	ATF_CHECK_EQ(access_find("10.0.0.1", NULL, &r), -1);
	longv[1 + CLIENTACCESS_TEXT_MAX] = '\0';
	make_cdb("clientaccess.cdb", lng, 2);
	ATF_CHECK_EQ(access_find("10.0.0.1", NULL, &r), 1);
	ATF_CHECK_EQ(strlen(r.text), CLIENTACCESS_TEXT_MAX);
	make_cdb("clientaccess.cdb", names, 4);
	ATF_CHECK_EQ(access_names(), 1);
	ATF_CHECK_EQ(access_find("10.0.0.1", "A.B", &r), 1);
	ATF_CHECK_EQ((int)r.action, CLIENTACCESS_OK);
	/* stale: the text newer than its cdb is no table at all */
	puts0("clientaccess", "10.0.0.1 ok\n");
	age("clientaccess.cdb", 60);
	{
		int fd;

		ATF_CHECK_EQ(policy_cdb_open("clientaccess", &fd), -1);
		ATF_CHECK_EQ(fd, -1);
	}
}

ATF_TC_WITHOUT_HEAD(badaddr);
ATF_TC_BODY(badaddr, tc)
{
	static const char entries[] = "spammer@bad.test\0@Spam.Test\0"
	    "\0x\0";
	struct sa list = SA_INIT, empty = SA_INIT;

	(void)tc;
	ATF_REQUIRE(sa_catb(&list, entries, sizeof(entries) - 1) == 0);
	ATF_CHECK(badaddr_listed(&list, "spammer@bad.test"));
	ATF_CHECK(badaddr_listed(&list, "SPAMMER@Bad.Test"));
	ATF_CHECK(badaddr_listed(&list, "anyone@spam.test"));
	ATF_CHECK(!badaddr_listed(&list, "anyone@a.spam.test"));
	ATF_CHECK(!badaddr_listed(&list, "ok@bad.test"));
	ATF_CHECK(!badaddr_listed(&list, "spammer@bad.test.evil"));
	ATF_CHECK(!badaddr_listed(&list, ""));
	ATF_CHECK(!badaddr_listed(&list, "spam.test"));
	ATF_CHECK(!badaddr_listed(&empty, "spammer@bad.test"));
	sa_free(&list);
}

ATF_TC_WITHOUT_HEAD(not_from_qcdb);
ATF_TC_BODY(not_from_qcdb, tc)
{
	static const char *const hosts[] = { "example.org", "x" };
	static const char *const nets[] = { "10.0.0.0/8", "yes" };
	static const char *const loose[] = {
		"10.0.0.0/08", "", "10.0.0.1", "", "::1", "",
		"::ffff:10.0.0.2/128", "", "example.org", "",
	};

	(void)tc;
	setup();
	/* a value qcdb never writes: the cdb is not ours, so broken */
	make_cdb("rcpthosts.cdb", hosts, 2);
	ATF_CHECK_EQ(rcpthosts_match("example.org"), -1);
	ATF_CHECK_EQ(rcpthosts_match("example.net"), 0);
	make_cdb("relay.cdb", nets, 2);
	ATF_CHECK_EQ(relay_allowed("10.1.1.1"), -1);
	ATF_CHECK_EQ(relay_allowed("11.1.1.1"), 0);
	/* keys that are not canonical never match */
	make_cdb("relay.cdb", loose, sizeof(loose) / sizeof(loose[0]));
	ATF_CHECK_EQ(relay_allowed("10.0.0.9"), 0);
	ATF_CHECK_EQ(relay_allowed("10.0.0.1"), 0);
	ATF_CHECK_EQ(relay_allowed("::1"), 0);
	ATF_CHECK_EQ(relay_allowed("::ffff:10.0.0.2"), 0);
}

/* corrupt_probe - probe every lookup against the current corrupt files. */
static void
corrupt_probe(const char *what, size_t n)
{
	static const char *const domains[] = {
		"example.org", "a.example.org", "x", "org", "a.b.c.d.e",
	};
	static const char *const ips[] = {
		"10.0.0.1", "127.0.0.1", "0.0.0.0", "::1", "2001:db8::1",
		"::ffff:10.0.0.1", "255.255.255.255",
	};
	size_t i;
	int r;

	for (i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		r = rcpthosts_match(domains[i]);
		ATF_CHECK_MSG(r == 0 || r == -1, "%s %zu bytes: rcpthosts %s "
		    "gave %d", what, n, domains[i], r);
	}
	for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		r = relay_allowed(ips[i]);
		ATF_CHECK_MSG(r == 0 || r == -1, "%s %zu bytes: relay %s gave "
		    "%d", what, n, ips[i], r);
	}
	for (i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		r = local_exists(domains[i], "example.test");
		ATF_CHECK_MSG(r == 0 || r == -1, "%s %zu bytes: local %s gave "
		    "%d", what, n, domains[i], r);
	}
}

ATF_TC_WITHOUT_HEAD(corrupt);
ATF_TC_BODY(corrupt, tc)
{
	static const size_t sizes[] = {
		0, 1, 7, 8, 100, 2047, 2048, 2049, 2056, 4096, 10000, 65536,
	};
	static const char *const names[] = {
		"rcpthosts.cdb", "relay.cdb", "aliases.cdb", "users.cdb",
	};
	unsigned char *p;
	uint32_t seed = 0x9e3779b9;
	size_t i, j, k, n;

	(void)tc;
	setup();
	ATF_REQUIRE((p = malloc(65536)) != NULL);
	/* random bytes of every size, with no text beside them */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (k = 0; k < 4; k++) {
			n = sizes[i];
			for (j = 0; j < n; j++)
				p[j] = (unsigned char)rnd(&seed);
			for (j = 0; j < sizeof(names) / sizeof(names[0]); j++)
				put(names[j], p, n);
			corrupt_probe("random", n);
		}
	}
	/*
	 * Plausible headers: every table starts at 2048 and claims a
	 * huge size, so cdb_seek walks random slots up to the end of the
	 * file; the walk must end there, not loop or read past it.
	 */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = sizes[i] < 4096 ? 4096 : sizes[i];
		for (j = 0; j < n; j++)
			p[j] = (unsigned char)rnd(&seed);
		for (j = 0; j < 256; j++) {
			p[j * 8] = 0x00;
			p[j * 8 + 1] = 0x08;
			p[j * 8 + 2] = p[j * 8 + 3] = 0;
			p[j * 8 + 4] = p[j * 8 + 5] = p[j * 8 + 6] = 0xff;
			p[j * 8 + 7] = 0x3f;
		}
		for (j = 0; j < sizeof(names) / sizeof(names[0]); j++)
			put(names[j], p, n);
		corrupt_probe("plausible", n);
	}
	free(p);
}

ATF_TC_WITHOUT_HEAD(truncated);
ATF_TC_BODY(truncated, tc)
{
	char line[64], path[PATH_MAX];
	struct stat st;
	size_t i, cut;
	int r, fd;
	FILE *f;

	/* a real cdb cut short: no crash, and what is not listed never is */
	setup();
	ATF_REQUIRE((f = fopen("control/relay", "w")) != NULL);
	for (i = 0; i < 200; i++)
		fprintf(f, "10.%zu.0.0/16\n", i);
	ATF_REQUIRE_EQ(fclose(f), 0);
	qcdb(tc, "relay", 0);
	ATF_REQUIRE(unlink("control/relay") == 0);
	snprintf(path, sizeof(path), "control/relay.cdb");
	ATF_REQUIRE_EQ(stat(path, &st), 0);
	for (cut = (size_t)st.st_size; cut > 0; cut = cut * 7 / 8) {
		ATF_REQUIRE((fd = open(path, O_WRONLY)) != -1);
		ATF_REQUIRE_EQ(ftruncate(fd, (off_t)cut), 0);
		ATF_REQUIRE_EQ(close(fd), 0);
		for (i = 195; i < 205; i++) {
			snprintf(line, sizeof(line), "10.%zu.1.1", i);
			r = relay_allowed(line);
			ATF_CHECK_MSG(r >= -1 && r <= (i < 200 ? 1 : 0),
			    "cut %zu: %s gave %d", cut, line, r);
		}
		ATF_CHECK_MSG((r = relay_allowed("11.0.0.1")) != 1,
		    "cut %zu: 11.0.0.1 gave %d", cut, r);
	}
}

ATF_TC_WITHOUT_HEAD(local);
ATF_TC_BODY(local, tc)
{
	static const struct {
		const char	*localpart;
		int		 want;
	} t[] = {
		{ "demo", 1 },
		{ "DEMO", 1 },
		{ "Demo", 1 },
		{ "bob", 1 },
		{ "BOB", 1 },
		{ "postmaster", 1 },		/* an alias */
		{ "PostMaster", 1 },
		{ "list", 1 },
		{ "toroot", 1 },		/* an alias, even to root */
		{ "root", 1 },			/* built in: to control/admin */
		{ "mailer-daemon", 1 },		/* built in: to root */
		{ "qp-no-such-user", 0 },
		{ "demo-ext", 0 },		/* the separator is + */
		{ "demo+ext", 1 },		/* demo, EXT "ext" */
		{ "demo+a+b", 1 },
		{ "nosuch+ext", 0 },
		{ "", 0 },
		{ "demo\n", 0 },
		{ " demo", 0 },
		{ "demo@example.org", 0 },
		{ "%s%n", 0 },
		{ "\xff", 0 },
	};
	char big[1000];
	size_t i;

	setup();
	/* nothing at all yet */
	ATF_CHECK_EQ(local_exists("demo", "example.test"), 0);
	puts0("users", "Demo:1000:1000:/home/demo\nroot:0:0:/root\n"
	    "bob:1001:1001:/home/bob\n");
	puts0("aliases", "postmaster: demo\nList: demo, bob\n"
	    "toroot: root\n");
	qcdb(tc, "users", 0);
	qcdb(tc, "aliases", 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(local_exists(t[i].localpart, "example.test"),
		    t[i].want,
		    "case %zu: \"%s\"", i, t[i].localpart);
	ATF_CHECK_EQ(local_exists(NULL, "example.test"), 0);
	memset(big, 'd', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ATF_CHECK_EQ(local_exists(big, "example.test"), 0);

	/* an unreadable cdb is a temporary error, not "no such user" */
	ATF_REQUIRE_EQ(rename("control/aliases.cdb", "control/a.cdb"), 0);
	ATF_REQUIRE_EQ(mkdir("control/aliases.cdb", 0755), 0);
	ATF_CHECK_EQ(local_exists("postmaster", "example.test"), -1);
	ATF_CHECK_EQ(local_exists("demo", "example.test"), -1);
	ATF_REQUIRE_EQ(rmdir("control/aliases.cdb"), 0);
	ATF_REQUIRE_EQ(rename("control/a.cdb", "control/aliases.cdb"), 0);
	put("users.cdb", "0123456789", 10);
	ATF_CHECK_EQ(local_exists("postmaster", "example.test"), 1);
	ATF_CHECK_EQ(local_exists("demo", "example.test"), -1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, rcpthosts_table);
	ATF_TP_ADD_TC(tp, rcpthosts_states);
	ATF_TP_ADD_TC(tp, relay_table);
	ATF_TP_ADD_TC(tp, relay_everyone);
	ATF_TP_ADD_TC(tp, relay_keys);
	ATF_TP_ADD_TC(tp, relay_states);
	ATF_TP_ADD_TC(tp, relayrcpt_table);
	ATF_TP_ADD_TC(tp, clientaccess_table);
	ATF_TP_ADD_TC(tp, clientaccess_lines);
	ATF_TP_ADD_TC(tp, clientaccess_not_from_qcdb);
	ATF_TP_ADD_TC(tp, badaddr);
	ATF_TP_ADD_TC(tp, not_from_qcdb);
	ATF_TP_ADD_TC(tp, corrupt);
	ATF_TP_ADD_TC(tp, truncated);
	ATF_TP_ADD_TC(tp, local);
	return atf_no_error();
}
