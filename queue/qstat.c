/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qstat - list the queue: per message its id, age, size, sender and
 * held flag, per recipient its state, attempts, next attempt and last
 * error; or a summary by recipient domain (-s); as text, as one JSON
 * document (-j), or as sendmail's mailq prints it (-m, or when run as
 * "mailq").
 *
 * Run by the admin: root (which becomes the queue's owner first, see
 * qadmin.c) or the queue's owner, since envelopes are mode 0600.  It
 * only reads: env/ and mess/ sizes, and the names in drop/.  It never
 * writes a queue file and never talks to sched, so it works whether
 * sched runs or not, and what it shows is what is on disk (sched
 * saves every change of state before it acts on it).  Every address
 * and error text is hostile bytes, escaped in every output format.
 *
 * Exit: 0 listed, 100 usage, 111 the queue cannot be read.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"
#include "qadmin.h"
#include "qstat.h"
#include "queue_id.h"

#define USAGE_MAILQ	"usage: mailq [-h] [-t now] [id ...]\n"
#define USAGE	"usage: qstat [-hjms] [-t now] [id ...]\n" \
		"  -j  one JSON document    -s  summary by recipient domain\n" \
		"  -m  as mailq prints it   -t  the time (seconds since the\n" \
		"      epoch) ages are counted to, for tests\n"

struct opts {
	int	 json, summary, mailq;
	char   **ids;		/* only these, if any */
	int	 nids;
};

/* wanted - whether id is one of the operands (all if none). */
static int
wanted(const struct opts *o, const char *id)
{
	int i;

	if (o->nids == 0)
		return 1;
	for (i = 0; i < o->nids; i++)
		if (strcmp(o->ids[i], id) == 0)
			return 1;
	return 0;
}

static void
add_broken(struct qstat *q, const char *id)
{
	char (*nb)[QID_LEN + 1];

	nb = reallocarray(q->broken, q->nbroken + 1, sizeof(*nb));
	if (nb == NULL)
		die(EXIT_TEMP, "out of memory");
	q->broken = nb;
	strlcpy(q->broken[q->nbroken++], id, sizeof(q->broken[0]));
}

/* load_one - env/<id> and the size of mess/<id>, if both are there. */
static void
load_one(struct qstat *q, int env_fd, int mess_fd, const char *id,
    size_t *alloc)
{
	struct qstat_msg *nm;
	struct stat st;
	struct qenv e;
	int r;

	r = qadmin_read_env(env_fd, id, &e);
	if (r == QADMIN_GONE)
		return;		/* finished while we looked */
	if (r == -1)
		die(EXIT_TEMP, "unable to read env/%s", id);
	if (r == QADMIN_BROKEN) {
		log_warnx("env/%s cannot be parsed: left for the admin", id);
		add_broken(q, id);
		return;
	}
	r = fstatat(mess_fd, id, &st, AT_SYMLINK_NOFOLLOW);
	if (r == -1 || !S_ISREG(st.st_mode)) {
		/* gone: sched removed env/ then mess/ while we looked */
		r = r == -1 && errno == ENOENT;
		qenv_free(&e);
		if (!r) {
			log_warnx("env/%s has no message file", id);
			add_broken(q, id);
		}
		return;
	}
	if (q->nmsgs == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 64;
		nm = reallocarray(q->msgs, *alloc, sizeof(*nm));
		if (nm == NULL)
			die(EXIT_TEMP, "out of memory");
		q->msgs = nm;
	}
	q->msgs[q->nmsgs].env = e;
	q->msgs[q->nmsgs].size = (long long)st.st_size;
	q->nmsgs++;
}

/* by_arrival - qsort order: arrival time, then id. */
static int
by_arrival(const void *a, const void *b)
{
	const struct qstat_msg *x = a, *y = b;

	if (x->env.arrival != y->env.arrival)
		return x->env.arrival < y->env.arrival ? -1 : 1;
	return strcmp(x->env.id, y->env.id);
}

/* count_waiting - committed drop files: sched has not taken them yet. */
static size_t
count_waiting(int queue_fd)
{
	struct dirent *de;
	size_t n = 0;
	DIR *dir;
	int fd;

	fd = openat(queue_fd, QDIR_DROP, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || (dir = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	while ((de = readdir(dir)) != NULL)
		if (strlen(de->d_name) == QID_LEN &&
		    qid_valid(de->d_name, QID_LEN))
			n++;
	closedir(dir);
	return n;
}

/* load - every envelope in env/ the operands ask for, sorted. */
static void
load(struct qstat *q, const struct opts *o)
{
	struct dirent *de;
	size_t alloc = 0;
	int queue_fd, env_fd, mess_fd, fd;
	DIR *dir;

	queue_fd = qadmin_open_queue();
	env_fd = qadmin_open_dir(queue_fd, QDIR_ENV);
	mess_fd = qadmin_open_dir(queue_fd, QDIR_MESS);
	if ((fd = dup(env_fd)) == -1 || (dir = fdopendir(fd)) == NULL)
		die(EXIT_TEMP, "unable to read %s/%s", paths_queue(),
		    QDIR_ENV);
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (strlen(de->d_name) != QID_LEN ||
		    !qid_valid(de->d_name, QID_LEN)) {
			log_warnx("env/%s is not a queue file: left alone",
			    de->d_name);
			continue;
		}
		if (wanted(o, de->d_name))
			load_one(q, env_fd, mess_fd, de->d_name, &alloc);
	}
	closedir(dir);
	if (q->nmsgs > 0)
		qsort(q->msgs, q->nmsgs, sizeof(q->msgs[0]), by_arrival);
	q->waiting = count_waiting(queue_fd);
	close(mess_fd);
	close(env_fd);
	close(queue_fd);
}

/* is_mailq - run under the name mailq (a link): print as mailq does. */
static int
is_mailq(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	return strcmp(slash != NULL ? slash + 1 : argv0, "mailq") == 0;
}

int
main(int argc, char *argv[])
{
	struct qstat q;
	struct opts o;
	struct buf out;
	char obuf[65536];
	const char *err, *usage;
	size_t i;
	int ch, r;

	log_init(argv[0]);
	memset(&q, 0, sizeof(q));
	memset(&o, 0, sizeof(o));
	o.mailq = is_mailq(argv[0]);
	usage = o.mailq ? USAGE_MAILQ : USAGE;
	q.now = time(NULL);
	while ((ch = getopt(argc, argv, "hjmst:")) != -1) {
		switch (ch) {
		case 'h':
			usage_exit(usage, 0);
		case 'j':
			o.json = 1;
			break;
		case 'm':
			o.mailq = 1;
			break;
		case 's':
			o.summary = 1;
			break;
		case 't':
			q.now = (time_t)strtonum(optarg, 0, 1LL << 40, &err);
			if (err != NULL)
				usage_exit(usage, EXIT_PERM);
			break;
		default:
			usage_exit(usage, EXIT_PERM);
		}
	}
	o.ids = argv + optind;
	o.nids = argc - optind;
	for (ch = 0; ch < o.nids; ch++)
		if (strlen(o.ids[ch]) != QID_LEN ||
		    !qid_valid(o.ids[ch], QID_LEN)) {
			log_warnx("%s is not a queue id", o.ids[ch]);
			usage_exit(usage, EXIT_PERM);
		}
	if (o.mailq && (o.json || o.summary))
		usage_exit(usage, EXIT_PERM);

	qadmin_become_owner();
	load(&q, &o);
	buf_init(&out, STDOUT_FILENO, obuf, sizeof(obuf));
	if (o.mailq)
		r = qstat_print_mailq(&q, &out);
	else if (o.summary)
		r = qstat_print_summary(&q, &out, o.json);
	else if (o.json)
		r = qstat_print_json(&q, &out);
	else
		r = qstat_print_text(&q, &out);
	if (r == -1 || buf_flush(&out) == -1)
		die(EXIT_TEMP, "unable to write the listing");
	for (i = 0; i < q.nmsgs; i++)
		qenv_free(&q.msgs[i].env);
	free(q.msgs);
	free(q.broken);
	return 0;
}
