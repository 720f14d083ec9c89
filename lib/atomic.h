/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * atomic - the one way a file comes into being: write a temporary
 * file, fsync it, rename it into place, fsync the directory.  Queue
 * files, drop files, cdb rebuilds and control edits all go through
 * here, so the order is audited in one place.
 */
#ifndef QPOST_ATOMIC_H
#define QPOST_ATOMIC_H

#include <sys/types.h>
#include <stddef.h>

struct atomic {
	int	fd;		/* the temporary file, open for writing */
	int	tmpdir;
	int	dstdir;
	char	tmpname[256];
	char	dstname[256];
	int	reused;		/* atomic_reuse: to be cut to length */
};

int	atomic_begin(struct atomic *, int, const char *, int, const char *,
	    mode_t);
int	atomic_reuse(struct atomic *, int, const char *, int, const char *,
	    mode_t);
struct stat;
int	atomic_is_own(const struct stat *);
int	atomic_cut(struct atomic *);
int	atomic_commit(struct atomic *, int);
void	atomic_abort(struct atomic *);
int	atomic_write_file(int, const char *, const void *, size_t, mode_t);
int	fsync_fd(int);

#define ATOMIC_SYNC_DIR		1	/* fsync the directory after rename */
#define ATOMIC_NO_SYNC_DIR	0	/* the caller batches it */
#define ATOMIC_NO_REPLACE	2	/* keep a file already at the name */
#define ATOMIC_NO_SYNC		4	/* no fsync of the file: the caller
					   syncs it later, or never needs to */

#endif
