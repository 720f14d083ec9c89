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

/* write_message - sched's Received: line, then the message bytes. */
static int
write_message(void *ctx, struct buf *out)
{
	struct drop *d = ctx;
	char line[256], date[64], chunk[65536];
	uint64_t left = d->msglen;
	ssize_t r;
	int n;

	rfc5322_date(date, sizeof(date), time(NULL));
	n = snprintf(line, sizeof(line),
	    "Received: (qpost %s invoked by uid %lu);\n\t%s\n", d->id,
	    (unsigned long)d->uid, date);
	if (buf_put(out, line, (size_t)n) == -1)
		return -1;
	if (lseek(d->fd, QDROP_HDR_LEN, SEEK_SET) == -1)
		return -1;
	while (left > 0) {
		r = fd_read(d->fd, chunk, left < sizeof(chunk) ? left :
		    sizeof(chunk));
		if (r <= 0) {
			errno = r == 0 ? EPROTO : errno;
			return -1;
		}
		if (buf_put(out, chunk, (size_t)r) == -1)
			return -1;
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

/* make_env - sched's envelope for a parsed drop file. */
static int
make_env(struct qenv *e, const struct drop *d, const struct qdrop_env *de)
{
	const char *r;

	memset(e, 0, sizeof(*e));
	memcpy(e->id, d->id, QID_LEN);
	e->uid = (unsigned long)d->uid;
	e->arrival = time(NULL);
	e->is_utf8 = de->is_utf8;
	if ((e->sender = strdup(de->sender.s)) == NULL)
		return -1;
	for (r = de->rcpts.s; r < de->rcpts.s + de->rcpts.len;
	    r += strlen(r) + 1)
		if (qenv_add_rcpt(e, r) == -1)
			return -1;
	return 0;
}

/*
 * pickup_one - take one drop file into the queue.  Returns 0 when the
 * file is dealt with (queued or removed), -1 when it must wait (a
 * temporary failure: out of memory, disk full).
 */
static int
pickup_one(struct sched *s, const char *name)
{
	struct qdrop_env de;
	struct qenv e;
	struct drop d;
	struct stat st;
	const char *why;
	int r = 0;

	memset(&d, 0, sizeof(d));
	d.id = name;
	if (fstatat(s->env_fd, name, &st, 0) == 0) {
		/* committed before a crash took sched: only the unlink is due */
		if (unlinkat(s->drop_fd, name, 0) == 0)
			log_info("id=%s drop file was already queued: removed",
			    name);
		return 0;
	}
	d.fd = openat(s->drop_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (d.fd == -1) {
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
	memset(&de, 0, sizeof(de));
	memset(&e, 0, sizeof(e));
	if ((why = check_file(&d, &st)) != NULL ||
	    (why = read_envelope(&d, &de)) != NULL)
		bad(s, name, (long)d.uid, why);
	else if (!trust_sender_ok(&s->trust, d.uid, de.sender.s))
		bad(s, name, (long)d.uid, "forged sender: this uid may only "
		    "send as itself (control/trusted)");
	else if (make_env(&e, &d, &de) == -1)
		r = -1;
	else if (sched_commit(s, &e, write_message, &d) == -1) {
		if (errno == EPROTO)
			bad(s, name, (long)d.uid, "truncated while being read");
		else
			r = -1;
	} else {
		log_info("id=%s queued from=<%s> uid=%lu size=%llu rcpts=%zu",
		    name, de.sender.s, (unsigned long)d.uid,
		    (unsigned long long)d.msglen, de.nrcpt);
		if (unlinkat(s->drop_fd, name, 0) == -1)
			log_warn("id=%s unable to remove drop/%s", name, name);
	}
	qenv_free(&e);
	qdrop_env_free(&de);
	close(d.fd);
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
	size_t n = 0, i;
	DIR *dir;
	int fd;

	if ((fd = dup(s->drop_fd)) == -1 || (dir = fdopendir(fd)) == NULL) {
		log_warn("unable to read drop/");
		if (fd != -1)
			close(fd);
		return 0;
	}
	rewinddir(dir);
	if ((names = calloc(max, sizeof(*names))) == NULL) {
		closedir(dir);
		return 0;
	}
	while (n < max && (de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 || is_tmp(de->d_name))
			continue;
		strlcpy(names[n++], de->d_name, sizeof(names[0]));
	}
	closedir(dir);
	for (i = 0; i < n; i++) {
		if (!qid_valid(names[i], strlen(names[i])))
			bad(s, names[i], -1, "name is not a queue id");
		else if (pickup_one(s, names[i]) == -1) {
			n = 0;	/* the rest waits for a later turn */
			break;
		}
	}
	free(names);
	return n == max;
}

/*
 * pickup_cleanup - remove "<id>.tmp" files older than the cleanup age:
 * injections that died before committing, which nobody acknowledged.
 */
void
pickup_cleanup(struct sched *s)
{
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	DIR *dir;
	int fd;

	if ((fd = dup(s->drop_fd)) == -1 || (dir = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	rewinddir(dir);
	while ((de = readdir(dir)) != NULL) {
		if (!is_tmp(de->d_name) ||
		    fstatat(s->drop_fd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 ||
		    now - st.st_mtime < s->cleanup_age)
			continue;
		if (unlinkat(s->drop_fd, de->d_name, 0) == 0)
			log_info("stale drop file removed: name=%s uid=%lu",
			    de->d_name, (unsigned long)st.st_uid);
	}
	closedir(dir);
}
