/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_spare - sched's side of spare/ (queue_spare.h): the folder,
 * which sched makes when an older queue lacks it; keeping a queued
 * message's drop file there instead of removing it; and the cleanup of
 * what does not belong there.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"
#include "queue_spare.h"
#include "sched.h"

/* a spare not taken for this long is removed: its uid sends no more */
#define SPARE_AGE	3600

/*
 * spare_open - open spare/, making it with drop/'s owner and mode (3777
 * in system mode) if it is missing.  Without it, drop files are removed
 * as before and new ones created: slower, but nothing breaks.
 */
void
spare_open(struct sched *s)
{
	struct stat st;

	s->spare_fd = openat(s->queue_fd, QDIR_SPARE,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->spare_fd != -1 || errno != ENOENT)
		goto out;
	if (fstat(s->drop_fd, &st) == -1 ||
	    mkdirat(s->queue_fd, QDIR_SPARE, 0700) == -1)
		goto out;
	s->spare_fd = openat(s->queue_fd, QDIR_SPARE,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->spare_fd != -1 && fchmod(s->spare_fd, st.st_mode & 07777) == -1) {
		close(s->spare_fd);
		s->spare_fd = -1;
	}
	if (s->spare_fd != -1)
		log_info("made %s/%s for spare drop files", paths_queue(),
		    QDIR_SPARE);
out:
	if (s->spare_fd == -1)
		log_warn("unable to open %s/%s: drop files are not reused",
		    paths_queue(), QDIR_SPARE);
}

/*
 * spare_keep_or_remove - a queued message's drop file goes to spare/
 * when it is small enough, else it is removed.  0, or -1 when it could
 * be neither (errno from the unlink).
 */
int
spare_keep_or_remove(struct sched *s, const char *name, uid_t uid,
    off_t size)
{
	if (size <= SPARE_FILE_MAX &&
	    spare_keep(s->spare_fd, s->drop_fd, name, uid) == 0)
		return 0;
	return unlinkat(s->drop_fd, name, 0);
}

/*
 * belongs - whether spare/name, with st, is a spare worth keeping.  One
 * with a second link may be the other name of a queued drop file after
 * a crash (queue_spare.h): removing it gives the drop file back its one
 * link.
 */
static int
belongs(const char *name, const struct stat *st, time_t now)
{
	uid_t uid;

	return spare_name_parse(name, &uid) == 0 && S_ISREG(st->st_mode) &&
	    st->st_uid == uid && st->st_nlink == 1 &&
	    st->st_size <= SPARE_FILE_MAX && now - st->st_ctime < SPARE_AGE;
}

/*
 * spare_cleanup - remove from spare/ what is not a spare drop file named
 * by its owner's uid (anyone may create a file there), and spares no
 * one took for an hour.  Run when sched starts and every hour.
 */
void
spare_cleanup(struct sched *s)
{
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	DIR *dir;
	int fd;

	if (s->spare_fd == -1)
		return;
	if ((fd = dup(s->spare_fd)) == -1 || (dir = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	rewinddir(dir);
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    fstatat(s->spare_fd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 || belongs(de->d_name, &st, now))
			continue;
		if (unlinkat(s->spare_fd, de->d_name, 0) == -1 &&
		    unlinkat(s->spare_fd, de->d_name, AT_REMOVEDIR) == -1)
			log_warn("unable to remove %s/%s/%s", paths_queue(),
			    QDIR_SPARE, de->d_name);
	}
	closedir(dir);
}
