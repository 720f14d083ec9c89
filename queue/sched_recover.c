/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_recover - start-up: whatever state a crash left, bring the
 * queue back to one of the legal states of qpost-queue(5) with no
 * manual step.  The order of writes elsewhere makes each case simple:
 *
 *	files in tmp/		half-written by sched: removed
 *	mess/X, no env/X	a pickup or bounce that never committed,
 *				or a removal half done: removed (a drop
 *				file still there is picked up again)
 *	env/X			loaded; a bounce or delay notice planned
 *				in it is finished
 *	drop/X with env/X	the unlink after a pickup was lost: done
 *				by the pickup scan
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "queue_id.h"
#include "sched.h"

typedef void (*entry_fn)(struct sched *, const char *);

/* each_entry - call fn for every name in the directory dirfd. */
static void
each_entry(struct sched *s, int dirfd, const char *what, entry_fn fn)
{
	struct dirent *de;
	DIR *dir;
	int fd;

	if ((fd = dup(dirfd)) == -1 || (dir = fdopendir(fd)) == NULL)
		die(EXIT_TEMP, "unable to read %s/", what);
	rewinddir(dir);
	while ((de = readdir(dir)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			fn(s, de->d_name);
	closedir(dir);
}

static void
clean_tmp(struct sched *s, const char *name)
{
	if (unlinkat(s->tmp_fd, name, 0) == 0)
		log_info("recovery: removed tmp/%s", name);
}

/* read_env - the whole of env/<name>, bounded. */
static int
read_env(struct sched *s, const char *name, struct sa *out)
{
	struct stat st;
	int fd, r = -1;

	fd = openat(s->env_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size <= (off_t)QENV_MAX &&
	    sa_ready(out, (size_t)st.st_size) == 0 &&
	    fd_read_all(fd, out->s, (size_t)st.st_size) == 0) {
		out->len = (size_t)st.st_size;
		r = 0;
	}
	close(fd);
	return r;
}

static void
load_env(struct sched *s, const char *name)
{
	struct sa raw = SA_INIT;
	struct stat st;
	struct qenv e;

	if (!qid_valid(name, strlen(name))) {
		log_warnx("alert: env/%s is not a queue file: left alone", name);
		return;
	}
	if (read_env(s, name, &raw) == -1)
		die(EXIT_TEMP, "unable to read env/%s", name);
	if (qenv_decode(raw.s, raw.len, &e) == -1 ||
	    strcmp(e.id, name) != 0) {
		log_warnx("alert: env/%s cannot be parsed: left for the admin",
		    name);
		qenv_free(&e);
	} else if (fstatat(s->mess_fd, name, &st, 0) == -1) {
		log_warnx("alert: env/%s has no message file: removed", name);
		(void)unlinkat(s->env_fd, name, 0);
		qenv_free(&e);
	} else if (sched_add(s, &e) == NULL)
		die(EXIT_TEMP, "out of memory loading the queue");
	sa_free(&raw);
}

static void
clean_mess(struct sched *s, const char *name)
{
	struct stat st;

	if (fstatat(s->env_fd, name, &st, 0) == 0)
		return;
	if (unlinkat(s->mess_fd, name, 0) == 0)
		log_info("recovery: removed mess/%s, which no envelope names",
		    name);
}

/* recover - see the table at the top of this file. */
void
recover(struct sched *s)
{
	struct qmsg *m, *next;
	size_t i;

	each_entry(s, s->tmp_fd, "tmp", clean_tmp);
	each_entry(s, s->env_fd, "env", load_env);
	each_entry(s, s->mess_fd, "mess", clean_mess);
	for (m = TAILQ_FIRST(&s->msgs); m != NULL; m = next) {
		next = TAILQ_NEXT(m, entry);
		for (i = 0; i < m->env.nrcpt; i++)
			m->env.rcpt[i].busy = 0;
		if (bounce_due(m))
			(void)bounce_make(s, m);
		/* a delay notice under way */
		if (m->env.notice_id[0] != '\0')
			(void)delay_check(s, m, time(NULL));
		(void)sched_finish(s, m);
	}
}
