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
 *	drop/X with env/X	the unlink after a commit was lost: done
 *				when env/X is loaded, or by the pickup
 *				scan if it comes first
 *
 * Only tmp/ is cleaned before sched says it is ready.  The env files
 * are loaded a batch per turn of the loop (recover_step), while new
 * mail is picked up and delivered, so a queue of 100,000 messages does
 * not hold new mail back for the time it takes to read them; mess/ is
 * checked for orphans after that, the same way.  Either pass may meet
 * files made after it started (pickups, bounces): a message already in
 * memory is not loaded twice, and a message file whose env file exists
 * is kept, since sched always writes the message first.
 */
#include <sys/stat.h>
#include <time.h>
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

/* the background passes over env/ and then mess/ */
#define PASS_ENV	0
#define PASS_MESS	1
#define PASS_DONE	2

static DIR		*pass_dir;
static int		 pass = PASS_DONE;
static size_t		 nloaded, norphans;
static struct timespec	 t_start;

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
	/* a pooled file is not a sign of a crash: no line for it */
	if (unlinkat(s->tmp_fd, name, 0) == 0 && !pool_is_name(name))
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
	struct qmsg *m;

	if (!qid_valid(name, strlen(name))) {
		log_warnx("alert: env/%s is not a queue file: left alone", name);
		return;
	}
	if (fair_find(s, name) != NULL)
		return;		/* queued since the pass began */
	if (read_env(s, name, &raw) == -1) {
		if (errno == ENOENT) {
			sa_free(&raw);
			return;	/* done and removed since the pass began */
		}
		die(EXIT_TEMP, "unable to read env/%s", name);
	}
	if (qenv_decode(raw.s, raw.len, &e) == -1 ||
	    strcmp(e.id, name) != 0) {
		log_warnx("alert: env/%s cannot be parsed: left for the admin",
		    name);
		qenv_free(&e);
	} else if (fstatat(s->mess_fd, name, &st, 0) == -1) {
		log_warnx("alert: env/%s has no message file: removed", name);
		(void)unlinkat(s->env_fd, name, 0);
		qenv_free(&e);
	} else if ((m = sched_add(s, &e)) == NULL)
		die(EXIT_TEMP, "out of memory loading the queue");
	else {
		nloaded++;
		m->env.is_older = 1;
		/*
		 * Its drop file goes first: a message committed after its
		 * delivery began (sched_express.c) can be finished right
		 * here, and then nothing would tell a pickup that the drop
		 * file it left is done.
		 */
		pickup_queued(s, name);
		/*
		 * A bounce or delay notice planned in it is finished, a done
		 * one removed; a notice merely due waits for its timer, so
		 * that loading does not stop to queue notices.
		 */
		if (bounce_due(m) || m->env.notice_id[0] != '\0')
			sched_settle(s, m, time(NULL), 0);
		else if (!sched_finish(s, m))
			fair_add(s, m, 0, time(NULL));
	}
	sa_free(&raw);
}

/*
 * recover_find - the message with this id, loaded now if the background
 * pass has not come to it yet, so that qctl works while sched loads.
 */
struct qmsg *
recover_find(struct sched *s, const char *id)
{
	if (pass == PASS_ENV && fair_find(s, id) == NULL)
		load_env(s, id);	/* checks the id's form itself */
	return fair_find(s, id);
}

static void
clean_mess(struct sched *s, const char *name)
{
	struct stat st;

	/* in memory: a message delivered before its commit has no env */
	if (fair_find(s, name) != NULL || fstatat(s->env_fd, name, &st, 0) == 0)
		return;
	if (unlinkat(s->mess_fd, name, 0) == 0) {
		log_info("recovery: removed mess/%s, which no envelope names",
		    name);
		norphans++;
	}
}

/* open_pass - start reading the directory dirfd for a background pass. */
static void
open_pass(int dirfd, const char *what)
{
	int fd;

	if ((fd = dup(dirfd)) == -1 || (pass_dir = fdopendir(fd)) == NULL)
		die(EXIT_TEMP, "unable to read %s/", what);
	rewinddir(pass_dir);
}

/*
 * recover - see the table at the top of this file: tmp/ now, the rest
 * in the background.
 */
void
recover(struct sched *s)
{
	each_entry(s, s->tmp_fd, "tmp", clean_tmp);
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	open_pass(s->env_fd, "env");
	pass = PASS_ENV;
}

/*
 * recover_step - up to max more entries of the background pass.
 * Returns 1 while there is more to do, 0 once it is over.
 */
int
recover_step(struct sched *s, size_t max)
{
	struct timespec t;
	struct dirent *de;
	size_t n = 0;

	while (pass != PASS_DONE && n < max) {
		errno = 0;
		if ((de = readdir(pass_dir)) == NULL) {
			if (errno != 0)
				die(EXIT_TEMP, "unable to read %s/",
				    pass == PASS_ENV ? "env" : "mess");
			closedir(pass_dir);
			pass_dir = NULL;
			if (pass == PASS_ENV) {
				clock_gettime(CLOCK_MONOTONIC, &t);
				log_info("loaded messages=%zu queued=%zu ms=%lld",
				    nloaded, s->nmsgs,
				    (long long)(t.tv_sec - t_start.tv_sec) * 1000 +
				    (t.tv_nsec - t_start.tv_nsec) / 1000000);
				open_pass(s->mess_fd, "mess");
				pass = PASS_MESS;
			} else {
				log_info("recovery: mess/ checked orphans=%zu",
				    norphans);
				pass = PASS_DONE;
			}
			continue;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (pass == PASS_ENV)
			load_env(s, de->d_name);
		else
			clean_mess(s, de->d_name);
	}
	return pass != PASS_DONE;
}
