/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_cdb - libFuzzer target for our lookups over cdb files
 * (lookup/users.c, aliases.c, rcpthosts.c, relay.c, senders.c,
 * clientaccess.c, through
 * control/ctl.c's ctl_cdb_open and lookup/policy_cdb.c).  The cdb files
 * are written by root with qcdb only, and tinycdb's cdb_seek reads them
 * with pread (a short read is an error, so a lookup cannot run off the
 * file); what is fuzzed is our handling of what a lookup returns: any
 * value, of any length, for the key asked, and a file corrupted after
 * it was made.  The input is "key TAB value" lines, an empty line, then
 * (offset, byte) pairs that overwrite the made file; or, when the first
 * byte is 001, the rest is the cdb file as it is.  The cdb is made
 * with tinycdb's cdb_make from the records, patched, and installed
 * under each name in a private control directory ($QPOST_CONTROL, in
 * /dev/shm where there is one); the first record's key is asked of each
 * lookup.  Besides "no sanitizer report" it checks: each lookup answers
 * one of its documented values; an alias found is a run of
 * NUL-terminated targets; a user found has a NUL-terminated home.  A
 * broken property aborts.
 */
#include <sys/stat.h>

#include <cdb.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aliases.h"
#include "clientaccess.h"
#include "ctl.h"
#include "policy_cdb.h"
#include "rcpthosts.h"
#include "relay.h"
#include "sa.h"
#include "senders.h"
#include "users.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_cdb: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

static const char *const names[] = { "users.cdb", "aliases.cdb",
    "rcpthosts.cdb", "relay.cdb", "senders.cdb", "clientaccess.cdb" };
#define NNAMES	(sizeof(names) / sizeof(names[0]))

static char	dir[64];

static void
cleanup(void)
{
	char path[128];
	size_t i;

	for (i = 0; i < NNAMES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

static void
setup(void)
{
	if (dir[0] != '\0')
		return;
	snprintf(dir, sizeof(dir), "%s/fuzz_cdb.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") :
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	CHECK(strlen(dir) < 100 && mkdtemp(dir) != NULL);
	CHECK(setenv("QPOST_CONTROL", dir, 1) == 0);
	atexit(cleanup);
}

/* make - the cdb of the records in p[0..n) as the first file. */
static void
make(const char *path, const char *p, size_t n, char *probe, size_t psize)
{
	struct cdb_make cm;
	const char *line, *nl, *tab, *end = p + n;
	int fd;

	CHECK((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644)) != -1);
	CHECK(cdb_make_start(&cm, fd) == 0);
	probe[0] = '\0';
	for (line = p; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		if ((tab = memchr(line, '\t', (size_t)(nl - line))) == NULL)
			tab = nl;
		if (probe[0] == '\0' && (size_t)(tab - line) < psize &&
		    memchr(line, '\0', (size_t)(tab - line)) == NULL) {
			memcpy(probe, line, (size_t)(tab - line));
			probe[tab - line] = '\0';
		}
		CHECK(cdb_make_add(&cm, line, (unsigned)(tab - line),
		    tab < nl ? tab + 1 : tab,
		    tab < nl ? (unsigned)(nl - tab - 1) : 0) == 0);
		if (nl == end)
			break;
	}
	CHECK(cdb_make_finish(&cm) == 0);
	close(fd);
}

/* raw - the file is the n bytes at p, as they are. */
static void
raw(const char *path, const uint8_t *p, size_t n)
{
	int fd;

	CHECK((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) != -1);
	CHECK(n == 0 || write(fd, p, n) == (ssize_t)n);
	close(fd);
}

/* patch - overwrite bytes of the file: (offset, byte) pairs. */
static void
patch(const char *path, const uint8_t *p, size_t n)
{
	struct stat st;
	size_t i;
	int fd;

	CHECK((fd = open(path, O_RDWR)) != -1);
	CHECK(fstat(fd, &st) == 0);
	for (i = 0; i + 1 < n && st.st_size > 0; i += 2) {
		off_t at = (off_t)(p[i] * 131u) % st.st_size;

		CHECK(pwrite(fd, &p[i + 1], 1, at) == 1);
	}
	close(fd);
}

/*
 * client_access - the probe as a client's address and name: a rule found has
 * an action, a key and printable text; none leaves the rule empty.
 */
static void
client_access(const char *probe)
{
	struct clientaccess_rule rule;
	size_t i;
	int fd, r;

	if (policy_cdb_open("clientaccess", &fd) != 1)
		return;
	r = clientaccess_wants_names(fd);
	CHECK(r == -1 || r == 0 || r == 1);
	r = clientaccess_find(fd, probe, probe, &rule);
	close(fd);
	CHECK(r == -1 || r == 0 || r == 1);
	if (r == 0)
		CHECK(rule.action == CLIENTACCESS_NONE);
	if (r != 1)
		return;
	CHECK(rule.action == CLIENTACCESS_OK ||
	    rule.action == CLIENTACCESS_REJECT ||
	    rule.action == CLIENTACCESS_DEFER);
	CHECK(strnlen(rule.key, sizeof(rule.key)) < sizeof(rule.key));
	for (i = 0; rule.text[i] != '\0'; i++)
		CHECK(rule.text[i] >= 0x20 && rule.text[i] <= 0x7e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *sep;
	char first[128], path[128], probe[256], addr[300];
	struct user_entry u;
	struct sa out = SA_INIT;
	size_t recs, i;
	int fd, r;

	if (size > 8192)
		return 0;
	setup();
	snprintf(first, sizeof(first), "%s/%s", dir, names[0]);
	if (size > 0 && data[0] == '\001') {
		/* raw: the rest of the input is the cdb file itself */
		raw(first, data + 1, size - 1);
		probe[0] = '\0';
	} else {
		sep = size >= 2 ? memmem(s, size, "\n\n", 2) : NULL;
		recs = sep ? (size_t)(sep - s) : size;
		make(first, s, recs, probe, sizeof(probe));
		if (sep != NULL)
			patch(first, data + recs + 2, size - recs - 2);
	}
	for (i = 1; i < NNAMES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		(void)unlink(path);
		CHECK(link(first, path) == 0);
	}
	if (probe[0] == '\0')
		snprintf(probe, sizeof(probe), "%s", "alice");

	memset(&u, 0, sizeof(u));
	CHECK(ctl_cdb_open_opt("users.cdb", &fd) == 0);
	r = users_get(fd, probe, 0, &u);
	CHECK(r == -1 || r == 0 || r == 1);
	if (r == 1)
		CHECK(memchr(u.home, '\0', sizeof(u.home)) != NULL);
	if (fd != -1)
		close(fd);
	CHECK(ctl_cdb_open_opt("aliases.cdb", &fd) == 0);
	r = aliases_get(fd, probe, &out);
	CHECK(r == -1 || r == 0 || r == 1);
	if (r == 1)
		CHECK(out.len > 0 && out.s[out.len - 1] == '\0');
	else
		CHECK(out.len == 0);
	if (fd != -1)
		close(fd);
	r = rcpthosts_match(probe);
	CHECK(r == -1 || r == 0 || r == 1);
	r = relay_allowed(probe);
	CHECK(r == -1 || r == 0 || r == 1);
	snprintf(addr, sizeof(addr), "%s@example.com", probe);
	r = sender_allowed(probe, addr);
	CHECK(r == -1 || r == 0 || r == 1);
	sa_free(&out);
	client_access(probe);
	return 0;
}
