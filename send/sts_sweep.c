/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sts_sweep - the MTA-STS cache's files that say nothing, removed.
 * remote makes a file in QUEUE/sts for every domain it sends to under
 * the policies sts and dane, since inside its sandbox it could not
 * make one later: empty when the domain publishes no policy.  rspawn,
 * which runs as the folder's owner, removes the empty ones a day old
 * and any older than the longest max_age (RFC 8461 3.2: a year), when
 * it starts and then once a day.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"
#include "sts.h"

#define STS_EMPTY_AGE	86400L		/* an empty cache file: no policy */
#define STS_OLD_AGE	(367 * 86400L)	/* past any policy's max_age */

void
sts_sweep(void)
{
	char path[4096];
	struct dirent *d;
	struct stat st;
	time_t now = time(NULL);
	size_t gone = 0;
	DIR *dir;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", paths_queue(),
	    QDIR_STS) >= sizeof(path) || (dir = opendir(path)) == NULL)
		return;
	fd = dirfd(dir);
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.' ||
		    fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if ((st.st_size == 0 && now - st.st_mtime > STS_EMPTY_AGE) ||
		    now - st.st_mtime > STS_OLD_AGE)
			gone += unlinkat(fd, d->d_name, 0) == 0;
	}
	(void)closedir(dir);
	if (gone > 0)
		log_info("%s: %zu MTA-STS cache files without a policy "
		    "removed", path, gone);
}
