/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_space - the free space check.  See queue_space.h.
 */
#include <sys/statvfs.h>

#include "ctl.h"
#include "ctl_knob.h"
#include "log.h"
#include "queue_space.h"

/*
 * queue_space_ok - 1 if the filesystem of queue_fd has at least
 * control/minfree bytes free (stored in *minfree), 0 if not, -1 when
 * control/minfree is broken or the check fails (logged).
 */
int
queue_space_ok(int queue_fd, long long *minfree)
{
	struct statvfs vfs;

	if (ctl_knob("minfree", minfree) == -1)
		return -1;
	if (fstatvfs(queue_fd, &vfs) == -1) {
		log_warn("unable to check free space in the queue");
		return -1;
	}
	return (unsigned long long)vfs.f_bavail * vfs.f_frsize >=
	    (unsigned long long)*minfree;
}
