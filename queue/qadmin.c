/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qadmin - shared by qstat and qctl.  See qadmin.h.
 *
 * Run by root, both become the queue's owner before they open a thing:
 * the account control/singleuser names for a single-user instance, or
 * qpqueue in system mode.  Envelopes are 0600 and the control FIFO
 * 0600, so nobody else could read or write them anyway; as that owner
 * a bug here cannot reach beyond the queue.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "log.h"
#include "paths.h"
#include "priv.h"
#include "qadmin.h"

/* qadmin_become_owner - as root, become the queue's owner; else nothing. */
void
qadmin_become_owner(void)
{
	struct sa name = SA_INIT;
	uid_t uid;
	gid_t gid;
	int r;

	if (priv_single_user())
		return;
	if ((r = ctl_line("singleuser", &name)) == -1)
		diex(EXIT_TEMP, "control/singleuser is broken");
	if (r == 0) {
		priv_drop(USER_QUEUE);
		return;
	}
	if (priv_lookup(name.s, &uid, &gid) == -1)
		diex(EXIT_TEMP, "control/singleuser: no account named %s",
		    name.s);
	if (uid == 0)
		diex(EXIT_TEMP, "control/singleuser names root");
	priv_drop_ids(uid, gid);
	sa_free(&name);
}

/* qadmin_open_queue - the queue root, or die saying why. */
int
qadmin_open_queue(void)
{
	int fd;

	fd = open(paths_queue(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		die(EXIT_TEMP, "unable to open the queue %s%s", paths_queue(),
		    errno == EACCES ? " (run this as root or as the queue's "
		    "owner)" : "");
	return fd;
}

/* qadmin_open_dir - a folder of the queue, or die saying why. */
int
qadmin_open_dir(int queue_fd, const char *name)
{
	int fd;

	fd = openat(queue_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		die(EXIT_TEMP, "unable to open %s/%s%s", paths_queue(), name,
		    errno == EACCES ? " (run this as root or as the queue's "
		    "owner)" : "");
	return fd;
}

/*
 * qadmin_read_env - env/<id> into e, read-only: QADMIN_OK, QADMIN_GONE,
 * QADMIN_BROKEN, or -1 (errno set) when it cannot be read.  On any
 * answer but QADMIN_OK, e holds nothing to free.
 */
int
qadmin_read_env(int env_fd, const char *id, struct qenv *e)
{
	struct stat st;
	char *p = NULL;
	int fd, r = QADMIN_BROKEN;

	memset(e, 0, sizeof(*e));
	fd = openat(env_fd, id, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? QADMIN_GONE :
		    errno == ELOOP ? QADMIN_BROKEN : -1;
	if (fstat(fd, &st) == -1)
		r = -1;
	else if (S_ISREG(st.st_mode) && st.st_size > 0 &&
	    st.st_size <= (off_t)QENV_MAX) {
		if ((p = malloc((size_t)st.st_size)) == NULL ||
		    fd_read_all(fd, p, (size_t)st.st_size) == -1)
			r = -1;
		else if (qenv_decode(p, (size_t)st.st_size, e) == 0 &&
		    strcmp(e->id, id) == 0)
			r = QADMIN_OK;
	}
	if (r != QADMIN_OK)
		qenv_free(e);
	free(p);
	close(fd);
	return r;
}
