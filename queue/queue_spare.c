/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_spare - spare drop files: the names, qinject's take and sched's
 * keep.  See queue_spare.h.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "queue_spare.h"

/*
 * qinject probes this many slots, each drawn at random, then makes a new
 * file: with half the slots full it misses once in 16 million runs
 */
#define SPARE_PROBES	24

/*
 * sched looks at this many slots for a free one, then removes the drop
 * file.  Trying all of them made a pool kept nearly full by a burst
 * cost sched 42 to 97 lookups a message at 4k10 (issue 10); giving up
 * early lets the pool settle where a free slot is near.
 */
#define SPARE_KEEP_PROBES	16

/* spare_take draws each slot from one random octet */
_Static_assert(256 % SPARE_SLOTS == 0, "SPARE_SLOTS must divide 256");

/* spare_name - the name of uid's slot. */
void
spare_name(char *name, size_t size, uid_t uid, unsigned int slot)
{
	snprintf(name, size, "%lu.%u", (unsigned long)uid, slot % SPARE_SLOTS);
}

/*
 * spare_name_parse - 0 and the uid in *uid when name is a spare's name
 * as spare_name writes it (no sign, no leading zero, a slot in range),
 * else -1.
 */
int
spare_name_parse(const char *name, uid_t *uid)
{
	char check[SPARE_NAME_MAX];
	unsigned long u, slot;
	char *end;

	if (name[0] < '0' || name[0] > '9')
		return -1;
	errno = 0;
	u = strtoul(name, &end, 10);
	if (errno != 0 || *end != '.' || u != (uid_t)u ||
	    end[1] < '0' || end[1] > '9')
		return -1;
	slot = strtoul(end + 1, &end, 10);
	if (*end != '\0' || slot >= SPARE_SLOTS)
		return -1;
	spare_name(check, sizeof(check), (uid_t)u, (unsigned int)slot);
	if (strcmp(check, name) != 0)
		return -1;
	*uid = (uid_t)u;
	return 0;
}

/*
 * is_own_spare - whether spare/name is there and looks like ours
 * (atomic_is_own).  What another user planted (a directory, a link) is
 * then never moved; atomic_reuse checks the file again once it is ours
 * to open, as it may have changed in between.
 */
static int
is_own_spare(int spare_fd, const char *name)
{
	struct stat st;

	return fstatat(spare_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    atomic_is_own(&st);
}

/*
 * is_free - whether spare/name is free, looked up without the lock that
 * a rename across folders takes for the whole file system
 */
static int
is_free(int spare_fd, const char *name)
{
	struct stat st;

	return fstatat(spare_fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 &&
	    errno == ENOENT;
}

/*
 * spare_take - move one of this uid's spares to drop_fd/tmpname, for
 * atomic_reuse to check and write over.  Slots are probed at random,
 * not found by listing spare/: a listing holds the folder's lock while
 * the renames in and out of it wait, and under fifty sessions the
 * injections then queued up behind each other.  Each probe draws its
 * own slot: sched fills free slots one after another, so the spares
 * sit in runs, and probes in a row from one random start missed a run
 * of half the slots about half the time (a quarter of the injections
 * made new files in the benchmark).  Under a steady load the pool
 * stays nearly full (each queued message gives back the file its next
 * one takes), so the first probe mostly hits.  A name another
 * qinject took first (ENOENT), or anything but our own file, sends it to
 * the next.  0, or -1 when none was taken (or spare_fd is -1: a
 * queue without spare/): then create a new file.
 */
int
spare_take(int spare_fd, int drop_fd, const char *tmpname)
{
	char name[SPARE_NAME_MAX];
	uint8_t pick[SPARE_PROBES];
	unsigned int i;
	uid_t uid = geteuid();

	if (spare_fd == -1)
		return -1;
	arc4random_buf(pick, sizeof(pick));
	for (i = 0; i < SPARE_PROBES; i++) {
		spare_name(name, sizeof(name), uid, pick[i]);
		if (!is_own_spare(spare_fd, name))
			continue;
		if (renameat2(spare_fd, name, drop_fd, tmpname,
		    RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != ENOENT && errno != EPERM)
			return -1;
	}
	return -1;
}

/*
 * spare_keep - move drop_fd/name, a drop file of uid's whose message is
 * queued, to a free slot of uid's.  SPARE_KEEP_PROBES slots are tried,
 * from where the last search ended (at random after a start: the slots
 * kept before it are still full).  0, or -1 when those are taken or the
 * rename failed: then the caller removes the file.
 */
int
spare_keep(int spare_fd, int drop_fd, const char *name, uid_t uid)
{
	static uint32_t next;
	static int started;
	char sname[SPARE_NAME_MAX];
	unsigned int i;

	if (spare_fd == -1)
		return -1;
	if (!started) {
		arc4random_buf(&next, sizeof(next));
		started = 1;
	}
	for (i = 0; i < SPARE_KEEP_PROBES; i++) {
		spare_name(sname, sizeof(sname), uid, next++);
		if (!is_free(spare_fd, sname))
			continue;
		if (renameat2(drop_fd, name, spare_fd, sname,
		    RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}
