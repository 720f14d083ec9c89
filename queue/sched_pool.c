/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_pool - the files of finished messages, kept for the next ones.
 *
 * Removing a finished message's two files and creating two for each new
 * message costs two inode allocations a message.  On ext4 without a
 * journal an allocation passes over every inode of the block group
 * freed in the last minutes (recently_deleted() in fs/ext4/ialloc.c,
 * which looks up the inode table block of each), so under a steady
 * load each creation walks the whole group: a quarter of the queue's
 * CPU time in the benchmark.  So a finished file is renamed into tmp/
 * instead, and the next message is written over it (atomic_reuse).
 * A pool must hold the files of the largest backlog a burst leaves:
 * with 1,024 of each kind, a burst of 5,000 messages at fifty sessions
 * (the benchmark's) made ~6,800 files and removed as many at its end,
 * and those removals made every creation of the minutes after walk
 * past them, up to 0.3 ms each.  So up to POOL_MAX of each kind are
 * kept.  The disk they may hold is bounded apart from their number: a
 * file over POOL_FILE_MAX, or one that would take its pool over
 * POOL_BYTES_MAX, is cut to nothing and kept for its inode alone.
 * Message files and envelopes have pools of their own: an envelope is
 * 0600 and a message file 0640, and a file that went from one kind to
 * the other could have been opened through group qpost while it was a
 * message.  tmp/ is emptied when sched starts, so the pools start
 * empty.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "sched.h"

#define POOL_MAX	8192		/* files kept of each kind */
#define POOL_FILE_MAX	(128 * 1024)	/* a larger one is kept empty */
#define POOL_BYTES_MAX	(16 * 1024 * 1024)	/* bytes of each kind */

/* the pooled files are tmp/pm.<n> and tmp/pe.<n> */
static const char pool_prefix[2][4] = { "pm.", "pe." };
static struct pooled {
	unsigned long long	 number;
	off_t			 size;
} pool[2][POOL_MAX];
static size_t npool[2];
static off_t pool_bytes[2];
static unsigned long long next_number;

static void
pool_name(char *name, size_t size, int kind, unsigned long long n)
{
	snprintf(name, size, "%s%llu", pool_prefix[kind], n);
}

/* pool_is_name - whether a name in tmp/ is a pooled file's. */
int
pool_is_name(const char *name)
{
	return strncmp(name, pool_prefix[POOL_MESS], 3) == 0 ||
	    strncmp(name, pool_prefix[POOL_ENV], 3) == 0;
}

/*
 * pool_empty - cut tmp/pname, just pooled, to nothing; 0 or -1.  The
 * file is no longer part of the queue: nobody reads it any more.
 */
static int
pool_empty(struct sched *s, const char *pname)
{
	int fd, r;

	fd = openat(s->tmp_fd, pname,
	    O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return -1;
	r = ftruncate(fd, 0);
	close(fd);
	return r;
}

/*
 * pool_keep - move dirfd/name, a finished message's file of the kind
 * given, into the pool, cut to nothing when it is too large to keep
 * whole.  Returns 0, or -1 when the pool is full or the file could not
 * be moved: then the caller removes it.
 */
int
pool_keep(struct sched *s, int kind, int dirfd, const char *name)
{
	struct pooled *p;
	struct stat st;
	char pname[32];

	if (npool[kind] == POOL_MAX ||
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	pool_name(pname, sizeof(pname), kind, next_number);
	if (renameat(dirfd, name, s->tmp_fd, pname) == -1)
		return -1;
	if (st.st_size > POOL_FILE_MAX ||
	    pool_bytes[kind] + st.st_size > POOL_BYTES_MAX) {
		if (pool_empty(s, pname) == -1) {
			(void)unlinkat(s->tmp_fd, pname, 0);
			return 0;
		}
		st.st_size = 0;
	}
	p = &pool[kind][npool[kind]++];
	p->number = next_number++;
	p->size = st.st_size;
	pool_bytes[kind] += st.st_size;
	return 0;
}

/*
 * pool_begin - atomic_begin for a file of the kind given, over a pooled
 * file when there is one: written where it is, under its pool name, and
 * renamed from there into place (a rename to tmpname first was one
 * directory update more for each file, and tmp/ is emptied at start
 * whatever its names).  A new file is tmpname.  0, or -1 as
 * atomic_begin.
 */
int
pool_begin(struct sched *s, int kind, struct atomic *a, const char *tmpname,
    int dstdir, const char *dstname, mode_t mode)
{
	const struct pooled *p;
	char pname[32];

	/* a pooled file that cannot be used is dropped (atomic_reuse
	 * removes it itself): then the next, then a new file */
	while (npool[kind] > 0) {
		p = &pool[kind][--npool[kind]];
		pool_bytes[kind] -= p->size;
		pool_name(pname, sizeof(pname), kind, p->number);
		if (atomic_reuse(a, s->tmp_fd, pname, dstdir, dstname,
		    mode) == 0)
			return 0;
	}
	return atomic_begin(a, s->tmp_fd, tmpname, dstdir, dstname, mode);
}

/*
 * pool_drain - remove the pooled files, so that a stopped queue's tmp/
 * is empty, as qpost-queue(5) says.
 */
void
pool_drain(struct sched *s)
{
	char pname[32];
	int kind;

	for (kind = POOL_MESS; kind <= POOL_ENV; kind++) {
		while (npool[kind] > 0) {
			pool_name(pname, sizeof(pname), kind,
			    pool[kind][--npool[kind]].number);
			(void)unlinkat(s->tmp_fd, pname, 0);
		}
		pool_bytes[kind] = 0;
	}
}
