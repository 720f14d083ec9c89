/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * users - local part to uid, gid and home.  See users.h.
 */
#include <sys/types.h>
#include <cdb.h>
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "priv.h"
#include "users.h"

/* parse_id - a decimal id below 2^31, up to delim. */
static int
parse_id(const char **p, const char *end, unsigned long *id)
{
	unsigned long v = 0;
	const char *s = *p;

	if (s == end || *s < '0' || *s > '9')
		return -1;
	while (s < end && *s >= '0' && *s <= '9') {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 0x7fffffffUL)
			return -1;
		s++;
	}
	if (s == end || *s != ':')
		return -1;
	*p = s + 1;
	*id = v;
	return 0;
}

/*
 * users_parse_value - "uid:gid:home" (home absolute, no NUL or control
 * bytes) into u.  Returns 0, or -1 if malformed.
 */
int
users_parse_value(const char *v, size_t n, struct user_entry *u)
{
	const char *p = v, *end = v + n;
	unsigned long uid, gid;
	size_t i;

	if (parse_id(&p, end, &uid) == -1 || parse_id(&p, end, &gid) == -1)
		return -1;
	n = (size_t)(end - p);
	if (n == 0 || n >= sizeof(u->home) || p[0] != '/')
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return -1;
	u->uid = (uid_t)uid;
	u->gid = (gid_t)gid;
	memcpy(u->home, p, n);
	u->home[n] = '\0';
	u->is_virtual = 1;
	return 0;
}

/*
 * lookup_cdb - key in users.cdb open on fd (-1: there is none).
 * 1 found, 0 absent, -1 temporary or broken.
 */
static int
lookup_cdb(int fd, const char *key, struct user_entry *u)
{
	char val[USERS_HOME_MAX + 32];
	unsigned vlen;
	int r;

	if (fd == -1)
		return 0;
	r = cdb_seek(fd, key, (unsigned)strlen(key), &vlen);
	if (r > 0) {
		if (vlen >= sizeof(val) || cdb_bread(fd, val, vlen) == -1 ||
		    users_parse_value(val, vlen, u) == -1) {
			log_warnx("control/users.cdb: bad entry for %s: "
			    "rebuild it with qcdb users", key);
			r = -1;
		} else
			r = 1;
	} else if (r < 0)
		log_warn("unable to read control/users.cdb");
	return r;
}

/* lower_key - localpart lowercased into key; -1 if too long. */
static int
lower_key(const char *localpart, char *key, size_t size)
{
	size_t i;

	if (strlcpy(key, localpart, size) >= size)
		return -1;
	for (i = 0; key[i] != '\0'; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	return 0;
}

/*
 * users_get - find a local part (case is ignored) in users.cdb open on
 * fd (-1: there is none), then, if system is set, among the machine's
 * accounts.  Returns 1 and fills u, 0 if there is no such user, -1 on
 * a temporary error.  In single-user mode only control/users counts:
 * the instance cannot deliver as another account.
 */
int
users_get(int fd, const char *localpart, int system,
    struct user_entry *u)
{
	char key[256];
	struct passwd *pw;
	int r;

	if (lower_key(localpart, key, sizeof(key)) == -1)
		return 0;
	if ((r = lookup_cdb(fd, key, u)) != 0)
		return r;
	if (!system || priv_single_user())
		return 0;
	errno = 0;
	if ((pw = getpwnam(key)) == NULL)
		return errno == 0 || errno == ENOENT || errno == ESRCH ? 0 : -1;
	if (strlcpy(u->home, pw->pw_dir, sizeof(u->home)) >= sizeof(u->home))
		return -1;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->is_virtual = 0;
	return 1;
}

/* users_lookup - users_get with users.cdb opened for the one lookup */
int
users_lookup(const char *localpart, struct user_entry *u)
{
	int fd, r;

	if (ctl_cdb_open_opt("users.cdb", &fd) == -1)
		return -1;
	r = users_get(fd, localpart, 1, u);
	if (fd != -1)
		close(fd);
	return r;
}
