/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * lspawn_worker - see lspawn_worker.h, and local_worker.c for the
 * other end.  A worker is started exactly as lspawn starts local (the
 * ids of the deliveries it will serve, never 0; tied to lspawn by
 * PR_SET_PDEATHSIG; every other descriptor closed), with its end of a
 * SOCK_SEQPACKET pair on 0 and 1: packets keep each request and each
 * report whole, and a closed end is seen at once.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_knob.h"
#include "fdpass.h"
#include "log.h"
#include "lspawn_worker.h"
#include "priv.h"
#include "spawn.h"

struct worker		*workers;
static long long	 workers_max;
static const char	*local_prog;

void
workers_setup(const char *prog)
{
	local_prog = prog;
	if (ctl_knob("localworkers", &workers_max) == -1) {
		log_warnx("control/localworkers is broken: local is run "
		    "for each delivery");
		workers_max = 0;
	}
}

/* what the worker's child of vfork needs: made before it */
struct start_args {
	int		 fd;
	uid_t		 uid;
	gid_t		 gid;
	char *const	*envp;
};

/* start_child - in the vfork child: system calls only, then local -W */
static void
start_child(void *arg)
{
	const struct start_args *a = arg;
	char a0[] = "local", a1[] = "-W", *argv[] = { a0, a1, NULL };

	if (dup2(a->fd, 0) == -1 || dup2(a->fd, 1) == -1)
		_exit(EXIT_TEMP);
	closefrom(3);
	spawn_child_signals();
	priv_drop_ids(a->uid, a->gid);
	spawn_child_tie(SIGTERM);
	execve(local_prog, argv, a->envp);
	log_warn("unable to run %s -W", local_prog);
	_exit(EXIT_TEMP);
}

/* start - a new worker for uid and gid, or NULL */
static struct worker *
start(uid_t uid, gid_t gid, char *const envp[])
{
	struct worker *w;
	int sv[2];

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("unable to make a worker's socket pair");
		free(w);
		return NULL;
	}
	w->pid = spawn_child(start_child, &(struct start_args){ sv[1], uid,
	    gid, envp });
	(void)close(sv[1]);
	if (w->pid == -1) {
		log_warn("unable to fork a worker");
		(void)close(sv[0]);
		free(w);
		return NULL;
	}
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	w->fd = sv[0];
	w->uid = uid;
	w->gid = gid;
	w->idle_since = time(NULL);
	w->next = workers;
	workers = w;
	log_info("worker=%ld uid=%lu start", (long)w->pid, (unsigned long)uid);
	return w;
}

/* make_room - below workers_max, by letting the longest idle go: 0, -1 */
static int
make_room(void)
{
	struct worker *w, *oldest = NULL;
	long long n = 0;

	for (w = workers; w != NULL; w = w->next) {
		if (w->fd == -1)
			continue;
		n++;
		if (w->running == 0 &&
		    (oldest == NULL || w->idle_since < oldest->idle_since))
			oldest = w;
	}
	if (n < workers_max)
		return 0;
	if (oldest == NULL)
		return -1;
	worker_close(oldest);
	return 0;
}

struct worker *
worker_get(uid_t uid, gid_t gid, char *const envp[])
{
	struct worker *w;

	if (workers_max == 0)
		return NULL;
	for (w = workers; w != NULL; w = w->next)
		if (w->fd != -1 && w->uid == uid && w->gid == gid &&
		    w->served < WORKER_USES)
			return w;
	if (make_room() == -1)
		return NULL;
	return start(uid, gid, envp);
}

int
worker_send(struct worker *w, uint64_t tag, char *const argv[],
    char *const envp[], int msgfd, int outfd)
{
	static char buf[WORKER_REQ_MAX];
	size_t n;
	int fds[2] = { msgfd, outfd };

	if ((n = worker_req_make(buf, tag, argv, envp)) == 0)
		return -1;
	if (fdpass_send(w->fd, buf, n, fds, 2) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			log_warn("worker=%ld: unable to send it a delivery",
			    (long)w->pid);
			worker_close(w);
		}
		return -1;
	}
	w->running++;
	w->served++;
	return 0;
}

int
worker_report(struct worker *w, struct worker_report *r)
{
	ssize_t n;

	if (w->fd == -1)
		return -1;
	do
		n = recv(w->fd, r, sizeof(*r), MSG_DONTWAIT | MSG_TRUNC);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n == (ssize_t)sizeof(*r))
		return 1;
	if (n != 0)
		log_warnx("worker=%ld broke its protocol: let go",
		    (long)w->pid);
	worker_close(w);
	return -1;
}

void
worker_close(struct worker *w)
{
	if (w->fd != -1) {
		(void)close(w->fd);
		w->fd = -1;
	}
}

void
worker_done(struct worker *w)
{
	if (w->running > 0 && --w->running == 0)
		w->idle_since = time(NULL);
}

struct worker *
worker_reaped(pid_t pid, int wstatus)
{
	struct worker **wp, *w;

	for (wp = &workers; (w = *wp) != NULL; wp = &w->next)
		if (w->pid == pid)
			break;
	if (w == NULL)
		return NULL;
	*wp = w->next;
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
		log_info("worker=%ld uid=%lu end served=%zu", (long)pid,
		    (unsigned long)w->uid, w->served);
	else if (WIFSIGNALED(wstatus))
		log_warnx("worker=%ld uid=%lu killed by signal %d served=%zu",
		    (long)pid, (unsigned long)w->uid, WTERMSIG(wstatus),
		    w->served);
	else
		log_warnx("worker=%ld uid=%lu exited %d served=%zu",
		    (long)pid, (unsigned long)w->uid, WEXITSTATUS(wstatus),
		    w->served);
	return w;
}

int
workers_idle(time_t now)
{
	struct worker *w;
	time_t left;
	int ms = -1;

	for (w = workers; w != NULL; w = w->next) {
		if (w->fd == -1 || w->running > 0)
			continue;
		left = w->idle_since + WORKER_IDLE - now;
		if (w->served >= WORKER_USES || left <= 0)
			worker_close(w);
		else if (ms == -1 || left * 1000 < ms)
			ms = (int)(left * 1000);
	}
	return ms;
}

void
workers_stop(int sig)
{
	struct worker *w;

	for (w = workers; w != NULL; w = w->next) {
		if (sig != 0 && w->running > 0)
			(void)kill(w->pid, sig);
		worker_close(w);
	}
}
