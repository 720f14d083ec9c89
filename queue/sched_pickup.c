/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_pickup - take messages out of drop/, where any local user may
 * write.  Every file there is hostile: it is opened without following
 * links and without blocking, must be a regular file with one link and
 * a sane size, is read with read(2) (never mmap: its owner can still
 * change it) exactly to the size fstat gave, and must parse strictly to
 * its end marker.  Anything else is removed with one log line, and the
 * next file is taken: a bad file never stops the queue.
 */
#include <sys/stat.h>
#include <sys/time.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "queue_drop.h"
#include "queue_id.h"
#include "sched.h"

#define COMPLAINED_MAX	64

struct drop {
	int		 fd;
	const char	*id;
	uid_t		 uid;
	uint64_t	 msglen;
	off_t		 size;
	struct timespec	 mtime;		/* when qinject wrote it */
};

/*
 * bad - remove a drop file that will never be good, with one line.
 * Something unremovable (a directory with entries) is named once.
 */
static void
bad(struct sched *s, const char *name, long uid, const char *why)
{
	static char complained[COMPLAINED_MAX][256];
	static size_t ncomplained;
	size_t i;

	if (unlinkat(s->drop_fd, name, 0) == 0 ||
	    unlinkat(s->drop_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT) {
		log_warnx("bad drop file removed: name=%s uid=%ld reason=\"%s\"",
		    name, uid, why);
		return;
	}
	for (i = 0; i < ncomplained; i++)
		if (strcmp(complained[i], name) == 0)
			return;
	log_warn("bad drop file %s (uid=%ld, %s) cannot be removed", name,
	    uid, why);
	if (ncomplained < COMPLAINED_MAX)
		strlcpy(complained[ncomplained++], name, sizeof(complained[0]));
}

/* rfc5322_date - the date-time of RFC 5322 3.3 for t, local time. */
void
rfc5322_date(char *dst, size_t size, time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(dst, size, "%a, %d %b %Y %H:%M:%S %z", &tm);
}

/*
 * write_message - sched's Received: line, then the message bytes, read
 * straight into out's buffer.  Its date, and the file's mtime (given
 * to qnew_write), are the drop file's mtime, not the time of this
 * pickup: a message delivered before its commit is picked up again
 * after a crash, and local names its Maildir copy by that mtime, so the
 * copy made again must find the first one's name (local_maildir.c:
 * final_name) rather than make a second.
 */
static int
write_message(void *ctx, struct buf *out)
{
	struct drop *d = ctx;
	char line[256], date[64], *room;
	uint64_t left = d->msglen;
	size_t n;
	ssize_t r;
	int len;

	rfc5322_date(date, sizeof(date), d->mtime.tv_sec);
	len = snprintf(line, sizeof(line),
	    "Received: (qpost %s invoked by uid %lu);\n\t%s\n", d->id,
	    (unsigned long)d->uid, date);
	if (buf_put(out, line, (size_t)len) == -1)
		return -1;
	if (lseek(d->fd, QDROP_HDR_LEN, SEEK_SET) == -1)
		return -1;
	while (left > 0) {
		if ((room = buf_room(out, &n)) == NULL)
			return -1;
		r = fd_read(d->fd, room, left < n ? left : n);
		if (r <= 0) {
			errno = r == 0 ? EPROTO : errno;
			return -1;
		}
		out->len += (size_t)r;
		left -= (uint64_t)r;
	}
	return 0;
}

/*
 * check_file - the shape of an open drop file: regular, one link,
 * header consistent with the size.  Returns NULL or the reason.
 */
static const char *
check_file(struct drop *d, struct stat *st)
{
	char hdr[QDROP_HDR_LEN];

	if (fstat(d->fd, st) == -1)
		return "cannot be examined";
	d->uid = st->st_uid;
	d->size = st->st_size;
	d->mtime = st->st_mtim;
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_nlink != 1)
		return "has more than one link";
	if (st->st_size < QDROP_MIN)
		return "truncated";
	if (fd_read_all(d->fd, hdr, sizeof(hdr)) == -1 ||
	    qdrop_parse_header(hdr, sizeof(hdr), &d->msglen) == -1)
		return "bad header";
	return qdrop_layout((uint64_t)st->st_size, d->msglen);
}

/* read_envelope - the envelope after the message, parsed strictly. */
static const char *
read_envelope(struct drop *d, struct qdrop_env *env)
{
	size_t n = (size_t)((uint64_t)d->size - QDROP_HDR_LEN - d->msglen);
	char *p;
	const char *why = NULL;

	if ((p = malloc(n)) == NULL)
		return "out of memory";
	if (pread(d->fd, p, n, (off_t)(QDROP_HDR_LEN + d->msglen)) !=
	    (ssize_t)n)
		why = "truncated";
	else if (qdrop_env_parse(p, n, env) == -1)
		why = "malformed envelope";
	free(p);
	return why;
}

/*
 * make_env - sched's envelope for a parsed drop file.  A drop file
 * older than this sched may be one a crashed sched was delivering
 * before its commit (sched_express.c): is_older.
 */
static int
make_env(const struct sched *s, struct qenv *e, const struct drop *d,
    const struct qdrop_env *de)
{
	struct dsn_rcpt dr;
	const char *r, *dp = de->rcpt_dsn.len > 0 ? de->rcpt_dsn.s : NULL;

	memset(e, 0, sizeof(*e));
	memcpy(e->id, d->id, QID_LEN);
	e->uid = (unsigned long)d->uid;
	e->arrival = time(NULL);
	e->is_older = timespeccmp(&d->mtime, &s->started, <);
	e->is_utf8 = de->is_utf8;
	e->dsn = de->dsn;
	/* held from the start: its injector asked (smtpd's HOLD action) */
	e->held = de->dsn.hold;
	e->dsn.hold = 0;
	if ((e->sender = strdup(de->sender.s)) == NULL)
		return -1;
	for (r = de->rcpts.s; r < de->rcpts.s + de->rcpts.len;
	    r += strlen(r) + 1) {
		if (qenv_add_rcpt(e, r) == -1)
			return -1;
		/* the drop file's parser made an entry for each recipient */
		if (dp != NULL) {
			dp = dsn_list_get(dp, &dr);
			if (qenv_set_dsn(&e->rcpt[e->nrcpt - 1], &dr) == -1)
				return -1;
		}
	}
	return 0;
}

/* a drop file on its way into the queue: its message is a struct qnew */
struct pick {
	struct drop		d;
	struct qdrop_env	de;
};

/*
 * stuck_add - a drop file taken into the queue could not be removed:
 * remember it, so that no later scan takes it again (once the message
 * is delivered and gone, nothing else would tell it was queued).
 */
static void
stuck_add(struct sched *s, const char *name)
{
	int e = errno;

	if (s->nstuck < STUCK_MAX) {
		strlcpy(s->stuck[s->nstuck++], name, sizeof(s->stuck[0]));
		errno = e;
		log_warn("id=%s unable to remove drop/%s: retried later", name,
		    name);
	} else {
		errno = e;
		log_warn("id=%s unable to remove drop/%s, and too many such "
		    "files to remember: it may be delivered again", name, name);
	}
}

/* stuck_retry - try again to remove the drop files stuck_add kept. */
static void
stuck_retry(struct sched *s)
{
	size_t i = 0;

	while (i < s->nstuck) {
		if (unlinkat(s->drop_fd, s->stuck[i], 0) == 0 ||
		    errno == ENOENT) {
			log_info("id=%s drop file removed at last", s->stuck[i]);
			memmove(s->stuck[i], s->stuck[s->nstuck - 1],
			    sizeof(s->stuck[0]));
			s->nstuck--;
		} else
			i++;
	}
}

/*
 * pickup_remove - the drop file of a queued message, from uid and of
 * size bytes, is no longer needed: into spare/ when it may, else
 * removed, else remembered as stuck.  Already gone is fine: its owner
 * may remove it while sched delivers it before its commit.
 */
void
pickup_remove(struct sched *s, const char *name, uid_t uid, off_t size)
{
	if (spare_keep_or_remove(s, name, uid, size) == -1 && errno != ENOENT)
		stuck_add(s, name);
}

/*
 * pickup_queued - env/<id> exists: a drop file of that id was committed
 * before a crash took sched, and only its unlink is due.
 */
void
pickup_queued(struct sched *s, const char *id)
{
	if (unlinkat(s->drop_fd, id, 0) == 0)
		log_info("id=%s drop file was already queued: removed", id);
}

/* is_stuck - whether name is a drop file already taken (stuck_add). */
static int
is_stuck(const struct sched *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nstuck; i++)
		if (strcmp(s->stuck[i], name) == 0)
			return 1;
	return 0;
}

/*
 * is_in_flight - whether name is the drop file of a message delivered
 * before its commit (sched_express.c): taken already, not to be again.
 */
static int
is_in_flight(const struct sched *s, const char *name)
{
	const struct qmsg *m = fair_find(s, name);

	return m != NULL && m->express != NULL;
}

/*
 * pickup_read - read and check one drop file and write its message's
 * temporary files into q (as qnew_write does, for *is_express, which a
 * message to be held clears: it is committed, not delivered).  Returns
 * 1 when q waits to be committed with its group or to go express, 0
 * when the file is dealt with (removed), -1 when it must wait (a
 * temporary failure: out of memory, disk full).  p->d.fd, when not -1,
 * is for the caller to close.
 */
static int
pickup_read(struct sched *s, const char *name, struct pick *p,
    struct qnew *q, int *is_express)
{
	struct stat st;
	const char *why;

	p->d.fd = -1;
	p->d.id = name;
	if (fstatat(s->env_fd, name, &st, 0) == 0) {
		pickup_queued(s, name);
		return 0;
	}
	p->d.fd = openat(s->drop_fd, name, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC);
	if (p->d.fd == -1) {
		if (errno == ELOOP || errno == EACCES || errno == ENXIO ||
		    errno == EPERM) {
			bad(s, name, -1, errno == ELOOP ? "a symbolic link" :
			    "not readable by the queue");
			return 0;
		}
		if (errno == ENOENT)
			return 0;
		log_warn("unable to open drop/%s", name);
		return -1;
	}
	if ((why = check_file(&p->d, &st)) != NULL ||
	    (why = read_envelope(&p->d, &p->de)) != NULL)
		bad(s, name, (long)p->d.uid, why);
	else if (!trust_sender_ok(&s->trust, p->d.uid, p->de.sender.s))
		bad(s, name, (long)p->d.uid, "forged sender: this uid may only "
		    "send as itself (control/trusted)");
	else if (make_env(s, &q->env, &p->d, &p->de) == -1)
		return -1;
	else {
		if (q->env.held)
			*is_express = 0;
		if (qnew_write(s, q, write_message, &p->d, &p->d.mtime,
		    *is_express) == 0)
			return 1;
		if (errno != EPROTO)
			return -1;
		bad(s, name, (long)p->d.uid, "truncated while being read");
	}
	return 0;
}

/*
 * pickup_group - read the drop files names[0..n-1]; those there is
 * room for go express (sched_express.c), the others are committed as
 * one group (sched_commit.c), and then their drop files removed.  Each
 * queued one is logged.  Returns 0, or -1 when a temporary failure (out
 * of memory, a full disk) left some waiting for a later turn.
 */
static int
pickup_group(struct sched *s, char (*names)[256], size_t n)
{
	struct pick *p;
	struct qnew *q;
	size_t i, written = 0;
	time_t now = time(NULL);
	int r = 0, is_express;

	p = calloc(n, sizeof(*p));
	q = calloc(n, sizeof(*q));
	if (p == NULL || q == NULL)
		r = -1, n = 0;
	for (i = 0; r == 0 && i < n; i++) {
		p[i].d.fd = -1;
		is_express = express_room(s);
		if (!qid_valid(names[i], strlen(names[i])))
			bad(s, names[i], -1, "name is not a queue id");
		else if ((r = pickup_read(s, names[i], &p[i], &q[i],
		    &is_express)) != 1)
			continue;	/* dealt with (0), or must wait (-1) */
		else if (is_express)
			r = express_start(s, &q[i], p[i].d.uid, p[i].d.size,
			    now);
		else {
			written++;
			r = 0;
		}
	}
	n = i;	/* those touched; a failed one is QNEW_FAILED */
	if (written > 0 && qnew_commit(s, q, n) < written)
		r = -1;
	for (i = 0; i < n; i++) {
		if (q[i].state == QNEW_QUEUED || q[i].state == QNEW_EXPRESS)
			log_info("id=%s queued from=<%s> uid=%lu size=%llu "
			    "rcpts=%zu%s", names[i], p[i].de.sender.s,
			    (unsigned long)p[i].d.uid,
			    (unsigned long long)p[i].d.msglen, p[i].de.nrcpt,
			    p[i].de.dsn.hold ? " held" : "");
		if (q[i].state == QNEW_QUEUED)
			pickup_remove(s, names[i], p[i].d.uid, p[i].d.size);
		qenv_free(&q[i].env);
		qdrop_env_free(&p[i].de);
		if (p[i].d.fd != -1)
			close(p[i].d.fd);
	}
	free(p);
	free(q);
	return r;
}

/* is_tmp - an injection in progress (or abandoned): "<id>.tmp". */
static int
is_tmp(const char *name)
{
	size_t n = strlen(name);

	return n == QID_LEN + 4 && qid_valid(name, QID_LEN) &&
	    strcmp(name + QID_LEN, ".tmp") == 0;
}

/*
 * pickup_scan - take up to max drop files, in directory order.
 * Returns 1 when max were taken and more may wait, else 0.
 */
int
pickup_scan(struct sched *s, size_t max)
{
	char (*names)[256];
	struct dirent *de;
	size_t n = 0;

	stuck_retry(s);
	if ((names = calloc(max, sizeof(*names))) == NULL)
		return 0;
	rewinddir(s->drop_dir);
	while (n < max && (de = readdir(s->drop_dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 || is_tmp(de->d_name) ||
		    is_stuck(s, de->d_name) || is_in_flight(s, de->d_name))
			continue;
		strlcpy(names[n++], de->d_name, sizeof(names[0]));
	}
	if (n > 0 && pickup_group(s, names, n) == -1)
		n = 0;	/* the rest waits for a later turn */
	free(names);
	return n == max;
}

/*
 * pickup_cleanup - remove "<id>.tmp" files older than the cleanup age:
 * injections that died before committing, which nobody acknowledged;
 * and what does not belong in spare/.
 */
void
pickup_cleanup(struct sched *s)
{
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);

	stuck_retry(s);
	rewinddir(s->drop_dir);
	while ((de = readdir(s->drop_dir)) != NULL) {
		if (!is_tmp(de->d_name) ||
		    fstatat(s->drop_fd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 ||
		    now - st.st_mtime < s->cleanup_age)
			continue;
		if (unlinkat(s->drop_fd, de->d_name, 0) == 0)
			log_info("stale drop file removed: name=%s uid=%lu",
			    de->d_name, (unsigned long)st.st_uid);
	}
	spare_cleanup(s);
}
