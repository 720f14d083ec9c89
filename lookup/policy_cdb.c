/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * policy_cdb - open a policy cdb that is in force.  See policy_cdb.h.
 */
#include <sys/stat.h>
#include <cdb.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "policy_cdb.h"

/* is_older - whether a is strictly earlier than b. */
static int
is_older(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec;
	return a->tv_nsec < b->tv_nsec;
}

/*
 * policy_cdb_open - open control/<name>.cdb for cdb_seek into *fd.
 * Returns 1 (the caller closes *fd), 0 if neither the cdb nor its text
 * exists (no entries), -1 if the cdb cannot be used: unreadable, not a
 * regular file, missing or older than its text.  -1 has logged one line.
 */
int
policy_cdb_open(const char *name, int *fd)
{
	char cdbname[64], text[1024];
	struct stat cst, tst;
	int has_text, has_cdb;

	*fd = -1;
	if (snprintf(cdbname, sizeof(cdbname), "%s.cdb", name) >=
	    (int)sizeof(cdbname) || ctl_path(text, sizeof(text), name) == -1) {
		log_warnx("control/%s: name too long", name);
		return -1;
	}
	/* the descriptor first: what is checked is what is read */
	if (ctl_cdb_open_opt(cdbname, fd) == -1)
		return -1;
	has_cdb = *fd != -1;
	if (has_cdb && (fstat(*fd, &cst) == -1 || !S_ISREG(cst.st_mode))) {
		log_warnx("control/%s is not a readable regular file", cdbname);
		goto broken;
	}
	has_text = stat(text, &tst) == 0;
	if (!has_text && errno != ENOENT) {
		log_warn("unable to stat control/%s", name);
		goto broken;
	}
	if (!has_text && !has_cdb)
		return 0;
	if (has_text && !has_cdb) {
		log_warnx("control/%s exists but control/%s does not: run "
		    "qcdb %s", name, cdbname, name);
		return -1;
	}
	if (has_text && is_older(&cst.st_mtim, &tst.st_mtim)) {
		log_warnx("control/%s is older than control/%s: run qcdb %s",
		    cdbname, name, name);
		goto broken;
	}
	return 1;

broken:
	(void)close(*fd);
	*fd = -1;
	return -1;
}

/*
 * policy_cdb_has - whether key is in the set control/<name>.cdb (on
 * fd): 1, 0, or -1 (logged) when the cdb is corrupt or holds a value
 * qcdb would not have written (a set's entries are empty).
 */
int
policy_cdb_has(int fd, const char *name, const char *key)
{
	unsigned vlen;
	int r;

	if ((r = cdb_seek(fd, key, (unsigned)strlen(key), &vlen)) < 0) {
		log_warn("unable to read control/%s.cdb", name);
		return -1;
	}
	if (r > 0 && vlen != 0) {
		log_warnx("control/%s.cdb: bad entry for %s: rebuild it with "
		    "qcdb %s", name, key, name);
		return -1;
	}
	return r > 0;
}
