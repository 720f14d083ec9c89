/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_spare - spare drop files: the names, qinject's take and sched's
 * keep.  See queue_spare.h.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue_spare.h"

/*
 * sched probes this many slots in turn for a free one; past them the
 * pool is full enough, and the file is removed as before.
 */
#define SPARE_PROBES	8

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

/* is_plain - whether the entry is a regular file (never move the rest) */
static int
is_plain(int dirfd, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_REG;
	return fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode);
}

/*
 * spare_take - move one of this uid's spares to drop_fd/tmpname, for
 * atomic_reuse to check and write over.  spare/ is listed rather than
 * probed: under load the files out being written leave holes where
 * sched keeps refilling, and a listing finds what is there.  A name
 * another qinject took first (ENOENT), or another uid's file under our
 * name (EPERM), sends it to the next.  0, or -1 when none was taken
 * (or spare_fd is -1: a queue without spare/): then create a new file.
 */
int
spare_take(int spare_fd, int drop_fd, const char *tmpname)
{
	struct dirent *de;
	DIR *dir;
	uid_t uid;
	int fd, r = -1;

	if (spare_fd == -1 || (fd = dup(spare_fd)) == -1)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (spare_name_parse(de->d_name, &uid) == -1 ||
		    uid != geteuid() || !is_plain(spare_fd, de))
			continue;
		if (renameat2(spare_fd, de->d_name, drop_fd, tmpname,
		    RENAME_NOREPLACE) == 0) {
			r = 0;
			break;
		}
		if (errno != ENOENT && errno != EPERM)
			break;
	}
	closedir(dir);
	return r;
}

/*
 * spare_keep - move drop_fd/name, a drop file of uid's whose message is
 * queued, to a free slot of uid's.  0, or -1 when every slot probed was
 * taken or the rename failed: then the caller removes the file.
 */
int
spare_keep(int spare_fd, int drop_fd, const char *name, uid_t uid)
{
	static unsigned int next;
	char sname[SPARE_NAME_MAX];
	unsigned int i;

	if (spare_fd == -1)
		return -1;
	for (i = 0; i < SPARE_PROBES; i++) {
		spare_name(sname, sizeof(sname), uid, next++);
		if (renameat2(drop_fd, name, spare_fd, sname,
		    RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}
