/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * atomic - write, fsync, rename, fsync the directory.  See atomic.h.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"

/*
 * fsync_fd - fsync fd (a file or a directory), again when a signal
 * interrupts it: 0, or -1.
 */
int
fsync_fd(int fd)
{
	int r;

	do
		r = fsync(fd);
	while (r == -1 && errno == EINTR);
	return r;
}

/* name - where a's file is and where it goes: 0, or -1 (ENAMETOOLONG) */
static int
name(struct atomic *a, int tmpdir, const char *tmpname, int dstdir,
    const char *dstname)
{
	if (strlcpy(a->tmpname, tmpname, sizeof(a->tmpname)) >=
	    sizeof(a->tmpname) ||
	    strlcpy(a->dstname, dstname, sizeof(a->dstname)) >=
	    sizeof(a->dstname))
		return (errno = ENAMETOOLONG, -1);
	a->tmpdir = tmpdir;
	a->dstdir = dstdir;
	return 0;
}

/*
 * atomic_begin - create tmpdir/tmpname exclusively with mode (set with
 * fchmod, whatever the umask), to become dstdir/dstname on commit.
 * A stale temporary file of the same name (a crash) is replaced.
 */
int
atomic_begin(struct atomic *a, int tmpdir, const char *tmpname, int dstdir,
    const char *dstname, mode_t mode)
{
	if (name(a, tmpdir, tmpname, dstdir, dstname) == -1)
		return -1;
	a->reused = 0;
	a->fd = openat(tmpdir, tmpname,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (a->fd == -1 && errno == EEXIST) {
		if (unlinkat(tmpdir, tmpname, 0) == -1)
			return -1;
		a->fd = openat(tmpdir, tmpname,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (a->fd == -1)
		return -1;
	if (fchmod(a->fd, mode) == -1) {
		atomic_abort(a);
		return -1;
	}
	return 0;
}

/*
 * atomic_is_own - whether st is a plain file of ours with one name: only
 * such a file may be written over.  Anything else at the name may have
 * been put there by someone else (a spare drop file is named by its
 * uid, but any user may create that name), and a FIFO, a device or a
 * second link would write where its maker chose.
 */
int
atomic_is_own(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_nlink == 1 &&
	    st->st_uid == geteuid();
}

/*
 * own_file_mode - atomic_is_own for an open file: 1 and its mode in
 * *mode, or 0 (errno EPERM if it is not ours)
 */
static int
own_file_mode(int fd, mode_t *mode)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return 0;
	if (!atomic_is_own(&st))
		return (errno = EPERM, 0);
	*mode = st.st_mode & 07777;
	return 1;
}

/*
 * atomic_reuse - as atomic_begin, but tmpdir/tmpname is a file of the
 * caller's that already exists: it is written over from its start and
 * cut to the length written when committed, so no inode is allocated
 * (and no block, for data no longer than what it held).  It must be the
 * caller's own plain file with one link (opened without following a
 * link or waiting on a FIFO).  On failure the name is removed.
 */
int
atomic_reuse(struct atomic *a, int tmpdir, const char *tmpname, int dstdir,
    const char *dstname, mode_t mode)
{
	mode_t had;

	if (name(a, tmpdir, tmpname, dstdir, dstname) == -1) {
		(void)unlinkat(tmpdir, tmpname, 0);
		return -1;
	}
	a->reused = 1;
	a->fd = openat(tmpdir, tmpname,
	    O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (a->fd == -1 || !own_file_mode(a->fd, &had) ||
	    (had != mode && fchmod(a->fd, mode) == -1)) {
		atomic_abort(a);
		return -1;
	}
	return 0;
}

/*
 * atomic_cut - a reused file ends where the writing stopped: done at
 * commit, and before anyone reads the file to its end, or starts it on
 * its way to disk, before that.  A file already that long is left
 * alone: ftruncate would zero the rest of its last block again (after
 * waiting for any write of it in progress), and so have that block
 * written twice.  Once cut, the file ends where the writing is, and
 * writing on from there keeps it so: a second cut has nothing to do.
 */
int
atomic_cut(struct atomic *a)
{
	struct stat st;
	off_t end;

	if (!a->reused)
		return 0;
	if ((end = lseek(a->fd, 0, SEEK_CUR)) == -1 ||
	    fstat(a->fd, &st) == -1)
		return -1;
	if (st.st_size != end && ftruncate(a->fd, end) == -1)
		return -1;
	a->reused = 0;
	return 0;
}

/*
 * place - rename the temporary file to its name, or with
 * ATOMIC_NO_REPLACE only if that name is free (renameat2, or link and
 * unlink where the file system has no RENAME_NOREPLACE).  0, or -1.
 */
static int
place(struct atomic *a, int flags)
{
	if (!(flags & ATOMIC_NO_REPLACE))
		return renameat(a->tmpdir, a->tmpname, a->dstdir, a->dstname);
	if (renameat2(a->tmpdir, a->tmpname, a->dstdir, a->dstname,
	    RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (linkat(a->tmpdir, a->tmpname, a->dstdir, a->dstname, 0) == -1)
		return -1;
	(void)unlinkat(a->tmpdir, a->tmpname, 0);
	return 0;
}

/*
 * atomic_commit - fsync (unless ATOMIC_NO_SYNC) and close the file,
 * rename it into place, and (with ATOMIC_SYNC_DIR) fsync the
 * destination directory.  On failure before the rename the temporary
 * file is removed; after it, the file is in place but may not be
 * durable, and -1 says so.  With ATOMIC_NO_REPLACE a file already at
 * the name is kept, ours removed, the directory still synced, and 1
 * says so.
 */
int
atomic_commit(struct atomic *a, int flags)
{
	int r, saved, found = 0;

	if (atomic_cut(a) == -1) {
		atomic_abort(a);
		return -1;
	}
	if (!(flags & ATOMIC_NO_SYNC) && fsync_fd(a->fd) == -1) {
		atomic_abort(a);
		return -1;
	}
	r = close(a->fd);
	a->fd = -1;
	if (r == -1 || place(a, flags) == -1) {
		saved = errno;
		(void)unlinkat(a->tmpdir, a->tmpname, 0);
		if (saved != EEXIST || !(flags & ATOMIC_NO_REPLACE)) {
			errno = saved;
			return -1;
		}
		found = 1;
	}
	if ((flags & ATOMIC_SYNC_DIR) && fsync_fd(a->dstdir) == -1)
		return -1;
	return found;
}

/* atomic_abort - close and remove the temporary file. */
void
atomic_abort(struct atomic *a)
{
	int saved = errno;

	if (a->fd != -1)
		(void)close(a->fd);
	a->fd = -1;
	(void)unlinkat(a->tmpdir, a->tmpname, 0);
	errno = saved;
}

/* atomic_write_file - replace dirfd/name with data, via name.tmp. */
int
atomic_write_file(int dirfd, const char *name, const void *data, size_t n,
    mode_t mode)
{
	struct atomic a;
	char tmp[256];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= sizeof(tmp))
		return (errno = ENAMETOOLONG, -1);
	if (atomic_begin(&a, dirfd, tmp, dirfd, name, mode) == -1)
		return -1;
	if (fd_write_all(a.fd, data, n) == -1) {
		atomic_abort(&a);
		return -1;
	}
	return atomic_commit(&a, ATOMIC_SYNC_DIR);
}
