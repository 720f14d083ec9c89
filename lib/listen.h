/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * listen - the Unix socket a small daemon of ours (qpauth, qpdkim)
 * serves on: made at an absolute path, a stale socket there replaced;
 * and its accept loop, a child per connection.
 */
#ifndef QPOST_LISTEN_H
#define QPOST_LISTEN_H

#include <sys/types.h>

int	listen_unix(const char *, uid_t, gid_t, mode_t);

/* what listen_serve does with each connection */
struct listen_serve {
	size_t	  max;			/* children at once */
	int	(*admit)(int, void *);	/* NULL, or 0 to close the
					   connection unserved (it logs) */
	void	(*serve)(int, void *);	/* in the child; it then exits 0 */
	void	 *arg;			/* for both */
};

int	listen_serve(int, const struct listen_serve *);
	/* accept on the listening socket, fork a child per connection
	   (at most max), until SIGTERM or SIGINT; then wait for the
	   children and return 0.  SIGPIPE is ignored. */

#endif
