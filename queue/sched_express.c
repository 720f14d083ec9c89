/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_express - deliver a new message before committing it.
 *
 * A drop file is on disk before qinject exits: qinject synced it and
 * drop/.  A pickup then copies it into mess/ and env/ and syncs both
 * files and both folders before it removes the drop file, so that the
 * queue's own copy replaces it.  Most messages are delivered within
 * milliseconds, and then that copy is removed unread: its four syncs
 * bought nothing.  So while fewer than EXPRESS_MAX are in flight, a new
 * message takes a shorter way.  Its message file is written and renamed
 * into mess/ unsynced (a delivery reads it from the page cache), its
 * envelope stays in memory, and its drop file stays where it is, as
 * the durable copy.
 *
 * - Every recipient done: the drop file is removed (or kept in spare/),
 *   then the message file.  A crash in between leaves a message file
 *   that no envelope names, which recovery removes.  The message file
 *   was never synced: its pages are dropped or reused (sched_pool.c)
 *   before the kernel writes them.
 * - Anything to save instead (a recipient deferred or failed, a qctl
 *   command, or EXPRESS_AGE seconds gone by): the message is committed
 *   in pickup's order (the message file synced, mess/ synced, the
 *   envelope written, synced, renamed, env/ synced), and only then is
 *   the drop file removed.
 *
 * So no promise moves: a drop file goes only once what replaces it is
 * on disk, the delivered copies (each delivery syncs its own) or the
 * queue's files.  A crash before that finds the drop file and delivers
 * the message again: at least once, as a crash before a result is
 * saved does anyway.  While a message is in flight this way, the next
 * scans of drop/ pass over its drop file (pickup_scan), and recovery's
 * pass over mess/ over its message file.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "atomic.h"
#include "log.h"
#include "sched.h"

/* express_room - whether one more new message may take the short way */
int
express_room(const struct sched *s)
{
	return s->nexpress < s->express_max;
}

/*
 * express_start - q, written by qnew_write without its envelope file,
 * into mess/ unsynced and into memory, its drop file (from uid, of
 * size bytes) left in drop/.  Returns 0 (q's state is QNEW_EXPRESS),
 * or -1 (logged) with nothing left behind.
 */
int
express_start(struct sched *s, struct qnew *q, uid_t uid, off_t size,
    time_t now)
{
	struct express *x;
	struct qmsg *m;

	q->state = QNEW_FAILED;
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		atomic_abort(&q->mess);
		return -1;
	}
	if (atomic_commit(&q->mess, ATOMIC_NO_SYNC) == -1) {
		log_warn("id=%s unable to move tmp/m.%s into mess/", q->env.id,
		    q->env.id);
		free(x);
		return -1;
	}
	if ((m = sched_add(s, &q->env)) == NULL) {
		log_warn("id=%s not queued", q->env.id);
		(void)unlinkat(s->mess_fd, q->env.id, 0);
		free(x);
		return -1;
	}
	x->msg = m;
	x->drop_uid = uid;
	x->drop_size = size;
	x->since = now;
	m->express = x;
	TAILQ_INSERT_TAIL(&s->express, x, entry);
	s->nexpress++;
	fair_add(s, m, 1, now);
	q->state = QNEW_EXPRESS;
	return 0;
}

/* express_forget - m is no longer in flight uncommitted */
void
express_forget(struct sched *s, struct qmsg *m)
{
	if (m->express == NULL)
		return;
	TAILQ_REMOVE(&s->express, m->express, entry);
	free(m->express);
	m->express = NULL;
	s->nexpress--;
}

/*
 * express_done - m is delivered or committed: its drop file goes (to
 * spare/ when it may), and m is an ordinary message from now on.
 */
void
express_done(struct sched *s, struct qmsg *m)
{
	pickup_remove(s, m->env.id, m->express->drop_uid,
	    m->express->drop_size);
	express_forget(s, m);
}

/* sync_mess - fsync mess/<id>, which express_start did not */
static int
sync_mess(struct sched *s, const char *id)
{
	int fd, r;

	if ((fd = openat(s->mess_fd, id, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	r = fsync_fd(fd);
	(void)close(fd);
	return r;
}

/* sync_dir - fsync a folder for a group of n: 0, or -1 (logged) */
static int
sync_dir(int fd, const char *dir, size_t n)
{
	if (fsync_fd(fd) == 0)
		return 0;
	log_warn("unable to sync %s/: %zu messages stay uncommitted", dir, n);
	return -1;
}

/*
 * express_commit - commit the express messages ms[0..n-1] as one group
 * (the order is at the top of this file), then remove their drop files.
 * An entry that could not be committed is set to NULL and stays in
 * flight, its drop file kept, to be tried again.  Returns how many were
 * committed.
 */
size_t
express_commit(struct sched *s, struct qmsg **ms, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (sync_mess(s, ms[i]->env.id) == -1) {
			log_warn("id=%s unable to sync mess/%s", ms[i]->env.id,
			    ms[i]->env.id);
			ms[i] = NULL;
		}
	if (sync_dir(s->mess_fd, "mess", n) == -1)
		return 0;
	for (i = 0; i < n; i++)
		if (ms[i] != NULL &&
		    sched_save_env(s, ms[i], ATOMIC_NO_SYNC_DIR) == -1)
			ms[i] = NULL;
	if (sync_dir(s->env_fd, "env", n) == -1)
		return 0;
	kill_point("express-committed");
	for (i = 0; i < n; i++)
		if (ms[i] != NULL) {
			express_done(s, ms[i]);
			k++;
		}
	return k;
}

/*
 * express_age - commit the messages in flight for EXPRESS_AGE seconds
 * or more: a slow delivery, or one waiting for a free slot, should not
 * keep the queue's own copy from the disk, nor its drop file in drop/.
 * Returns the milliseconds until the next is due, or -1 for none.
 */
int
express_age(struct sched *s, time_t now)
{
	struct qmsg *ms[EXPRESS_MAX];
	struct express *x;
	size_t n = 0;

	TAILQ_FOREACH(x, &s->express, entry) {
		if (now - x->since < EXPRESS_AGE || n == EXPRESS_MAX)
			break;
		ms[n++] = x->msg;
	}
	if (n > 0)
		(void)express_commit(s, ms, n);
	/* those that could not be committed: tried again an age later */
	while ((x = TAILQ_FIRST(&s->express)) != NULL &&
	    now - x->since >= EXPRESS_AGE) {
		TAILQ_REMOVE(&s->express, x, entry);
		x->since = now;
		TAILQ_INSERT_TAIL(&s->express, x, entry);
	}
	if (x == NULL)
		return -1;
	return (int)(x->since + EXPRESS_AGE - now) * 1000;
}
