/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qctl - steer the queue through sched: flush (all, or one domain),
 * hold, release, delete or bounce messages, make sched read its control
 * files again (reload), or check the control files (check runs
 * qpost-check from the libexec folder).
 *
 * Run by the admin: root (which becomes the queue's owner first, see
 * qadmin.c) or the queue's owner.  qctl never changes a queue file: it
 * writes one command line per request into the control FIFO queue/ctl
 * (queue_ctl.h), which only sched reads, and sched applies it in its
 * own loop.  Then, for a command on messages, it reads the envelope
 * (read-only) until the effect shows: held, released, gone; a flush
 * leaves nothing to check, so it only reports that it was sent, and so
 * does a reload: sched logs "control files read again".
 *
 * Exit: 0 done (each effect seen, or the flush sent), 100 usage or a
 * message not in the queue, 111 sched is not running or the effect did
 * not show in time.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "paths.h"
#include "qadmin.h"
#include "queue_ctl.h"

#define USAGE	"usage: qctl [-h] [-n | -w seconds] flush [-d domain]\n" \
		"       qctl [-h] [-n | -w seconds] " \
		"hold|release|delete|bounce id ...\n" \
		"       qctl [-h] [-n | -w seconds] reload\n" \
		"       qctl check [-q] [-c dir]\n"
#define WAIT_DEFAULT	30	/* seconds for an effect to show */
#define POLL_MS		100	/* between looks at an envelope */

static int	queue_fd, env_fd = -1, drop_fd = -1, fifo_fd = -1;

/* ms_now - a monotonic clock in milliseconds. */
static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* say - one line of result on stdout (ids and words only: no stdio). */
static void
say(const char *fmt, const char *a, const char *b)
{
	char line[QCTL_LINE_MAX + 64];
	int n = snprintf(line, sizeof(line), fmt, a, b);

	if (n > 0 && (size_t)n < sizeof(line))
		(void)fd_write_all(STDOUT_FILENO, line, (size_t)n);
}

/* open_fifo - the control FIFO for writing; dies if nobody reads it. */
static void
open_fifo(void)
{
	struct stat st;

	fifo_fd = openat(queue_fd, QFILE_CTL, O_WRONLY | O_NONBLOCK |
	    O_NOFOLLOW | O_CLOEXEC);
	if (fifo_fd == -1 && errno == ENXIO)
		diex(EXIT_TEMP, "sched is not running: nobody reads %s/%s",
		    paths_queue(), QFILE_CTL);
	if (fifo_fd == -1)
		die(EXIT_TEMP, "unable to open the control FIFO %s/%s",
		    paths_queue(), QFILE_CTL);
	if (fstat(fifo_fd, &st) == -1 || !S_ISFIFO(st.st_mode))
		diex(EXIT_TEMP, "%s/%s is not a FIFO", paths_queue(),
		    QFILE_CTL);
}

/*
 * send_cmd - one command, as one write so that it never mixes with
 * another writer's; waits (until the deadline) while the FIFO is full.
 */
static void
send_cmd(const struct qctl_cmd *c, long long deadline)
{
	char line[QCTL_LINE_MAX + 2];
	struct pollfd pfd;
	ssize_t w;
	int n;

	if ((n = qctl_format(c, line, sizeof(line))) == -1)
		diex(EXIT_PERM, "not a command sched would accept");
	for (;;) {
		w = write(fifo_fd, line, (size_t)n);
		if (w == n)
			return;
		if (w >= 0)
			diex(EXIT_TEMP, "short write to the control FIFO");
		if (errno == EPIPE)
			diex(EXIT_TEMP, "sched stopped reading the control "
			    "FIFO");
		if (errno != EAGAIN && errno != EINTR)
			die(EXIT_TEMP, "unable to write to the control FIFO");
		if (ms_now() >= deadline)
			diex(EXIT_TEMP, "the control FIFO stayed full: is "
			    "sched stuck?");
		pfd.fd = fifo_fd;
		pfd.events = POLLOUT;
		(void)poll(&pfd, 1, POLL_MS);
	}
}

#define LOOK_DROP	(-2)	/* only its drop file: see look */

/*
 * look - the state of one message on disk: QADMIN_*, or LOOK_DROP for
 * a message with no env file but its drop file.  That is a message
 * sched delivers before committing it (in its first seconds:
 * sched_express.c), on which sched acts as on any other; or, for a few
 * milliseconds, one sched has not taken yet, for which it ignores the
 * command, and the wait ends saying the effect did not show.  Dies on
 * an error.
 */
static int
look(const char *id, struct qenv *e)
{
	struct stat st;
	int r = qadmin_read_env(env_fd, id, e);

	if (r == -1)
		die(EXIT_TEMP, "unable to read env/%s", id);
	if (r == QADMIN_GONE &&
	    fstatat(drop_fd, id, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return LOOK_DROP;
	return r;
}

/*
 * done - whether the effect of v on the message shows: 1 yes, 0 not
 * yet, -1 never (gone before a hold); *what names the effect.
 */
static int
done(enum qctl_verb v, const char *id, const char **what)
{
	struct qenv e;
	size_t i;
	int r, pending = 0;

	r = look(id, &e);
	if (r == QADMIN_BROKEN)
		diex(EXIT_TEMP, "env/%s cannot be parsed", id);
	*what = v == QCTL_HOLD ? "held" : v == QCTL_RELEASE ? "released" :
	    v == QCTL_DELETE ? "deleted" : "bounced";
	if (r == LOOK_DROP)	/* sched saves it once it acts on it */
		return 0;
	if (r == QADMIN_GONE)	/* a released message may be delivered by now */
		return v == QCTL_HOLD ? -1 : 1;
	for (i = 0; i < e.nrcpt; i++)
		pending += e.rcpt[i].state == RCPT_PENDING;
	switch (v) {
	case QCTL_HOLD:
		r = e.held;
		break;
	case QCTL_RELEASE:
		r = !e.held;
		break;
	case QCTL_BOUNCE:
		r = pending == 0;
		break;
	default:
		r = 0;	/* delete: done once gone */
		break;
	}
	qenv_free(&e);
	return r;
}

/* wait_for - until the effect of v on id shows: 0, or 111 at the deadline. */
static int
wait_for(enum qctl_verb v, const char *id, long long deadline)
{
	const char *what;
	int r;

	for (;;) {
		if ((r = done(v, id, &what)) == 1) {
			say("%s: %s\n", id, what);
			return 0;
		}
		if (r == -1) {
			log_warnx("%s: no longer in the queue: delivered or "
			    "bounced before it could be held", id);
			return EXIT_PERM;
		}
		if (ms_now() >= deadline) {
			log_warnx("%s: sent, but not %s after the wait: see "
			    "sched's log", id, what);
			return EXIT_TEMP;
		}
		(void)poll(NULL, 0, POLL_MS);
	}
}

/* flush_cmd - "flush [-d domain]": send, report, nothing to wait for. */
static int
flush_cmd(int argc, char **argv, long long deadline)
{
	struct qctl_cmd c;

	memset(&c, 0, sizeof(c));
	c.verb = QCTL_FLUSH;
	if (argc == 2 && strcmp(argv[0], "-d") == 0) {
		if (!qctl_domain_ok(argv[1], strlen(argv[1]))) {
			log_warnx("%s is not a domain name", argv[1]);
			usage_exit(USAGE, EXIT_PERM);
		}
		strlcpy(c.domain, argv[1], sizeof(c.domain));
	} else if (argc != 0)
		usage_exit(USAGE, EXIT_PERM);
	open_fifo();
	send_cmd(&c, deadline);
	say("flush%s%s: sent to sched\n", c.domain[0] ? " " : "", c.domain);
	return 0;
}

/* reload_cmd - "reload": sched reads its control files as on SIGHUP. */
static int
reload_cmd(int argc, long long deadline)
{
	struct qctl_cmd c;

	if (argc != 0)
		usage_exit(USAGE, EXIT_PERM);
	memset(&c, 0, sizeof(c));
	c.verb = QCTL_RELOAD;
	open_fifo();
	send_cmd(&c, deadline);
	say("reload%s%s: sent to sched\n", "", "");
	return 0;
}

/*
 * check_cmd - "check [args]": qpost-check, with qctl's own ids; it
 * needs no queue, so it runs before qctl becomes the queue's owner.
 */
static void __attribute__((noreturn))
check_cmd(char **argv)
{
	char path[1024];
	int n;

	n = snprintf(path, sizeof(path), "%s/qpost-check", paths_libexec());
	if (n < 0 || (size_t)n >= sizeof(path))
		diex(EXIT_TEMP, "the libexec path is too long");
	argv[0] = path;
	execv(path, argv);
	die(EXIT_TEMP, "unable to run %s", path);
}

/* id_cmd - a verb on each id: check, send, then wait for each effect. */
static int
id_cmd(enum qctl_verb v, int argc, char **argv, int wait,
    long long deadline)
{
	struct qctl_cmd c;
	struct qenv e;
	int i, rc = 0, r, *sent;

	if (argc == 0)
		usage_exit(USAGE, EXIT_PERM);
	for (i = 0; i < argc; i++)
		if (strlen(argv[i]) != QID_LEN || !qid_valid(argv[i], QID_LEN)) {
			log_warnx("%s is not a queue id", argv[i]);
			usage_exit(USAGE, EXIT_PERM);
		}
	if ((sent = calloc((size_t)argc, sizeof(*sent))) == NULL)
		die(EXIT_TEMP, "out of memory");
	env_fd = qadmin_open_dir(queue_fd, QDIR_ENV);
	drop_fd = qadmin_open_dir(queue_fd, QDIR_DROP);
	open_fifo();
	for (i = 0; i < argc; i++) {
		if ((r = look(argv[i], &e)) == QADMIN_GONE) {
			log_warnx("%s: no such message in the queue", argv[i]);
			rc = EXIT_PERM;
			continue;
		}
		if (r == QADMIN_BROKEN) {
			log_warnx("%s: env/%s cannot be parsed: sched has not "
			    "loaded it", argv[i], argv[i]);
			rc = EXIT_TEMP;
			continue;
		}
		qenv_free(&e);
		memset(&c, 0, sizeof(c));
		c.verb = v;
		strlcpy(c.id, argv[i], sizeof(c.id));
		send_cmd(&c, deadline);
		sent[i] = 1;
	}
	for (i = 0; i < argc; i++) {
		if (!sent[i])
			continue;
		if (!wait)
			say("%s: %s sent to sched\n", argv[i],
			    qctl_verb_name(v));
		else if ((r = wait_for(v, argv[i], deadline)) > rc)
			rc = r;
	}
	free(sent);
	return rc;
}

int
main(int argc, char *argv[])
{
	enum qctl_verb v;
	long long secs = WAIT_DEFAULT, deadline;
	const char *err;
	int ch, wait = 1;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "+hnw:")) != -1) {
		switch (ch) {
		case 'h':
			usage_exit(USAGE, 0);
		case 'n':
			wait = 0;
			break;
		case 'w':
			secs = strtonum(optarg, 1, 86400, &err);
			if (err != NULL)
				usage_exit(USAGE, EXIT_PERM);
			break;
		default:
			usage_exit(USAGE, EXIT_PERM);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc >= 1 && strcmp(argv[0], "check") == 0)
		check_cmd(argv);
	if (argc < 1 || qctl_verb(argv[0], &v) == -1)
		usage_exit(USAGE, EXIT_PERM);
	qadmin_become_owner();
	queue_fd = qadmin_open_queue();
	deadline = ms_now() + secs * 1000;
	if (v == QCTL_FLUSH)
		return flush_cmd(argc - 1, argv + 1, deadline);
	if (v == QCTL_RELOAD)
		return reload_cmd(argc - 1, deadline);
	return id_cmd(v, argc - 1, argv + 1, wait, deadline);
}
