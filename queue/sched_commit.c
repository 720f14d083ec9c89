/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_commit - how new messages come into the queue, in groups.
 *
 * For each message of a group, the writer fills tmp/m.<id> and the
 * envelope goes to tmp/e.<id>, and the kernel is told at once to start
 * writing both out.  Then every message file is fsynced and renamed
 * into mess/, mess/ is fsynced once; every envelope is fsynced and
 * renamed into env/, env/ is fsynced once.  So no env file ever names a
 * message that is not whole on disk, as when they came one at a time;
 * but a group of N costs two directory syncs instead of 2N, and its
 * file syncs find their data already on its way and share the
 * filesystem's journal commits instead of waiting for one each.  A
 * single scheduler that synced each file alone was the queue's
 * bottleneck under load.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "log.h"
#include "sa.h"
#include "sched.h"

/*
 * start_writeback - cut a's file to its length (a pooled file was
 * longer), then ask the kernel to write its data out now.  Cut first:
 * cutting a file on its way to disk waits for that write, and has its
 * last block written again.  -1 if the cut failed.
 */
static int
start_writeback(struct atomic *a)
{
	if (atomic_cut(a) == -1)
		return -1;
#ifdef SYNC_FILE_RANGE_WRITE
	/* only a hint: the fsync that follows is what makes it durable */
	(void)sync_file_range(a->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
	return 0;
}

/* write_env - env into tmp/e.<id>, to be renamed into env/. */
static int
write_env(struct sched *s, struct qnew *q)
{
	struct sa out = SA_INIT;
	char tmp[QID_LEN + 3];
	int r = -1;

	snprintf(tmp, sizeof(tmp), "e.%s", q->env.id);
	if (qenv_encode(&q->env, &out) == -1)
		errno = ENOMEM;
	else if (pool_begin(s, POOL_ENV, &q->envf, tmp, s->env_fd, q->env.id,
	    0600) == 0) {
		if (fd_write_all(q->envf.fd, out.s, out.len) == -1 ||
		    start_writeback(&q->envf) == -1)
			atomic_abort(&q->envf);
		else
			r = 0;
	}
	sa_free(&out);
	return r;
}

/*
 * set_mtime - give a's file the modification time mtime, when there is
 * one.  Cut it first: cutting a reused file that was longer sets its
 * time to now.  0, or -1.
 */
static int
set_mtime(struct atomic *a, const struct timespec *mtime)
{
	if (mtime == NULL)
		return 0;
	if (atomic_cut(a) == -1)
		return -1;
	return futimens(a->fd, (struct timespec[2]){ *mtime, *mtime });
}

/*
 * qnew_write - write the temporary files of a new message: the writer's
 * bytes and q->env.  For an express message (sched_express.c) only the
 * first, and not started on its way to disk.  The message file's
 * modification time is mtime, or now when it is NULL: local names its
 * Maildir copies by that time, so a message written again (taken up
 * again after a crash, a forward queued again) must get the first
 * one's.  Returns 0, or -1 with nothing left behind and errno kept
 * (EPROTO from the writer: its source was bad; logged otherwise).
 */
int
qnew_write(struct sched *s, struct qnew *q, sched_writer writer, void *ctx,
    const struct timespec *mtime, int is_express)
{
	struct buf out;
	char tmp[QID_LEN + 3], obuf[65536];

	q->state = QNEW_FAILED;
	snprintf(tmp, sizeof(tmp), "m.%s", q->env.id);
	if (pool_begin(s, POOL_MESS, &q->mess, tmp, s->mess_fd, q->env.id,
	    0640) == -1) {
		log_warn("id=%s unable to create tmp/%s", q->env.id, tmp);
		return -1;
	}
	buf_init(&out, q->mess.fd, obuf, sizeof(obuf));
	if (writer(ctx, &out) == -1 || buf_flush(&out) == -1 ||
	    set_mtime(&q->mess, mtime) == -1 ||
	    (!is_express && start_writeback(&q->mess) == -1)) {
		if (errno != EPROTO)
			log_warn("id=%s unable to write tmp/%s", q->env.id,
			    tmp);
		atomic_abort(&q->mess);
		return -1;
	}
	if (!is_express && write_env(s, q) == -1) {
		log_warn("id=%s unable to write tmp/e.%s", q->env.id,
		    q->env.id);
		atomic_abort(&q->mess);
		return -1;
	}
	q->state = QNEW_WRITTEN;
	return 0;
}

/* fail - give up q at whatever step it reached: nothing stays behind. */
static void
fail(struct sched *s, struct qnew *q)
{
	if (q->state == QNEW_WRITTEN)
		atomic_abort(&q->mess);
	if (q->state == QNEW_WRITTEN || q->state == QNEW_MESS)
		atomic_abort(&q->envf);
	if (q->state == QNEW_MESS || q->state == QNEW_ENV)
		(void)unlinkat(s->mess_fd, q->env.id, 0);
	if (q->state == QNEW_ENV)
		(void)unlinkat(s->env_fd, q->env.id, 0);
	q->state = QNEW_FAILED;
}

/*
 * commit_step - from state `from`, fsync and rename each file of the
 * group into place (the message files, or the envelopes), then fsync
 * their directory once.  Returns 0, or -1 when the directory sync
 * failed: then the whole group is given up.
 */
static int
commit_step(struct sched *s, struct qnew *q, size_t n, int from, int dirfd,
    const char *dir)
{
	struct atomic *a;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (q[i].state != from)
			continue;
		k++;
		a = from == QNEW_WRITTEN ? &q[i].mess : &q[i].envf;
		if (atomic_commit(a, ATOMIC_NO_SYNC_DIR) == -1) {
			log_warn("id=%s unable to commit %s/%s", q[i].env.id,
			    dir, q[i].env.id);
			fail(s, &q[i]);
		} else
			q[i].state = from + 1;
	}
	if (k == 0 || fsync_fd(dirfd) == 0)
		return 0;
	/* one line for each message of the group: each waits */
	for (i = 0; i < n; i++) {
		if (q[i].state == QNEW_FAILED || q[i].state == QNEW_EXPRESS)
			continue;
		log_warn("id=%s unable to sync %s/", q[i].env.id, dir);
		fail(s, &q[i]);
	}
	return -1;
}

/*
 * qnew_commit - make the written messages of the group durable, in the
 * order the header comment gives, and take them into the queue (each
 * env is taken over).  Returns how many were queued; the others are in
 * state QNEW_FAILED with nothing left behind.
 */
size_t
qnew_commit(struct sched *s, struct qnew *q, size_t n)
{
	struct qmsg *m;
	time_t now = time(NULL);
	size_t i, queued = 0;

	if (commit_step(s, q, n, QNEW_WRITTEN, s->mess_fd, "mess") == -1 ||
	    commit_step(s, q, n, QNEW_MESS, s->env_fd, "env") == -1)
		return 0;
	for (i = 0; i < n; i++) {
		if (q[i].state != QNEW_ENV)
			continue;
		if ((m = sched_add(s, &q[i].env)) == NULL) {
			log_warn("id=%s not queued", q[i].env.id);
			fail(s, &q[i]);
			continue;
		}
		fair_add(s, m, 1, now);
		q[i].state = QNEW_QUEUED;
		queued++;
	}
	return queued;
}

/*
 * sched_commit - bring one new message into the queue (a bounce, a
 * forward): a group of one, its message file's time mtime (NULL: now;
 * see qnew_write).  Takes env over on success.  Returns 0, or -1
 * (logged) with nothing left behind.
 */
int
sched_commit(struct sched *s, struct qenv *env, sched_writer writer,
    void *ctx, const struct timespec *mtime)
{
	struct qnew q;

	memset(&q, 0, sizeof(q));
	q.env = *env;
	if (qnew_write(s, &q, writer, ctx, mtime, 0) == -1 ||
	    qnew_commit(s, &q, 1) != 1) {
		*env = q.env;
		return -1;
	}
	*env = q.env;	/* emptied by sched_add */
	return 0;
}
