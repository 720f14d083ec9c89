/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * spawn_msg - see spawn_msg.h.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"
#include "priv.h"
#include "queue_id.h"
#include "spawn_msg.h"

static int	sigchld_pipe[2] = { -1, -1 };

static void	log_alert(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/* log_alert - a log line for what only an attack or a bug explains. */
static void
log_alert(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("alert", -1, fmt, ap);
	va_end(ap);
}

/*
 * spawn_open_message - mess/<id> below the queue directory queue_fd,
 * checked to be a regular file of owner (sched's uid).  Returns a
 * blocking descriptor, or -1 with text set for the result.
 */
int
spawn_open_message(int queue_fd, uid_t owner, const char *id, char *text,
    size_t size)
{
	char name[sizeof(QDIR_MESS) + QID_LEN + 1];
	struct stat st;
	int fd, e;

	(void)snprintf(name, sizeof(name), "%s/%s", QDIR_MESS, id);
	fd = openat(queue_fd, name,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		e = errno;
		log_warn("id=%s unable to open the message file", id);
		(void)snprintf(text, size, "4.3.0 unable to open the message "
		    "file: %s", strerror(e));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != owner) {
		log_alert("id=%s message file is not a regular file owned "
		    "by uid %lu: refused", id, (unsigned long)owner);
		(void)snprintf(text, size, "4.3.0 the message file is not a "
		    "queue file");
		close(fd);
		return -1;
	}
	/* O_NONBLOCK kept a FIFO from hanging the open; readers need none */
	(void)fcntl(fd, F_SETFL, 0);
	return fd;
}

/* on_sigchld - wake the poll loop; the loop reaps. */
static void
on_sigchld(int sig)
{
	int saved = errno;
	ssize_t r;

	(void)sig;
	/* a full pipe is fine: one byte there is enough to wake us */
	r = write(sigchld_pipe[1], "", 1);
	(void)r;
	errno = saved;
}

/*
 * spawn_sigchld_pipe - catch SIGCHLD into a non-blocking self-pipe;
 * returns its read end for the poll loop, -1 on failure.
 */
int
spawn_sigchld_pipe(void)
{
	struct sigaction sa;

	if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	if (sigaction(SIGCHLD, &sa, NULL) == -1)
		return -1;
	return sigchld_pipe[0];
}

/* spawn_sigchld_drain - empty the self-pipe after a wake-up. */
void
spawn_sigchld_drain(int fd)
{
	char drain[64];

	while (read(fd, drain, sizeof(drain)) > 0)
		;
}

/*
 * spawn_poll_set - *set (of *cap entries) grown to hold n, each to be
 * watched for input: the SIGCHLD self-pipe sigfd first, the input in
 * (-1: none) second, the caller's descriptors after them.  The set, or
 * NULL when out of memory.
 */
struct pollfd *
spawn_poll_set(struct pollfd **set, size_t *cap, size_t n, int sigfd,
    int in)
{
	struct pollfd *np;

	if (n > *cap) {
		if ((np = reallocarray(*set, n, sizeof(*np))) == NULL)
			return NULL;
		*set = np;
		*cap = n;
	}
	for (size_t i = 0; i < n; i++)
		(*set)[i].events = POLLIN;
	(*set)[0].fd = sigfd;
	(*set)[1].fd = in;
	return *set;
}

/*
 * spawn_setup - what a spawner needs first: fd 2 kept for the log, the
 * queue directory open and the uid its files must belong to (sched's).
 */
void
spawn_setup(int *queue_fd, uid_t *owner)
{
	struct stat st;
	uid_t quid;
	gid_t gid;

	/* never let the pipes take fd 2, where the log goes */
	if (fcntl(2, F_GETFD) == -1 && open("/dev/null", O_WRONLY) != 2)
		_exit(EXIT_TEMP);
	if ((*queue_fd = open(paths_queue(), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || fstat(*queue_fd, &st) == -1)
		die(EXIT_TEMP, "unable to open the queue %s", paths_queue());
	/*
	 * rspawn is started as qpremote already (qpost-start drops before
	 * the exec), so "not root" does not mean single-user mode here: a
	 * queue that belongs to qpqueue (qpost-setup's system mode) is a
	 * system queue whoever we are, and its files are qpqueue's.
	 */
	if (priv_lookup(USER_QUEUE, &quid, &gid) == 0 &&
	    (!priv_single_user() || st.st_uid == quid))
		*owner = quid;
	else if (!priv_single_user())
		diex(EXIT_TEMP, "unable to find user %s: run qpost-setup",
		    USER_QUEUE);
	else
		*owner = getuid();
}
