/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_keep - what smtpd -L's first process does once it listens: it
 * keeps the shared queue runner and the acceptor going, and nothing
 * else.  See smtpd_keep.h.
 *
 * The acceptor (smtpd_listen.c) accepts and forks the sessions under a
 * system call filter it enters once, which each session inherits
 * (lib/sandbox.c): a filter cannot be left, so the process that starts
 * a runner, which must stay outside any filter to run qinject, cannot
 * be the one that forks the sessions.  This one is that process.  It
 * starts the runner, then an acceptor holding the runner's socket, and
 * waits.  When the runner ends, it stops the acceptor, whose sessions
 * would be handed to a runner that is gone, and starts both again; an
 * acceptor that ends on its own (a bug, a signal: its filter's SIGSYS)
 * is started again, after a second's rest if it lived less than that.
 * On SIGTERM it stops the acceptor, waits for it, and exits; the
 * sessions finish on their own.  The listening socket stays open here
 * the whole time, so a connection that comes while an acceptor is
 * started again waits in the kernel's queue.
 */
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "smtpd_keep.h"
#include "smtpd_runner.h"

#define KEEP_REST_MS	1000	/* before starting again what ended at once */

struct keep {
	int		 sigfd;		/* SIGCHLD and SIGTERM */
	int		 runner;	/* the runner's socket, or -1 */
	pid_t		 runner_pid;	/* 0: none running */
	pid_t		 acceptor;	/* 0: none running */
	long long	 acceptor_since; /* ms, when it was started */
	int		 runners;	/* started so far */
};

/* log_end - that a child ended, how, and what comes next */
static void
log_end(const char *what, int st, const char *next)
{
	if (WIFSIGNALED(st))
		log_warnx("listen: the %s ended by signal %d: %s", what,
		    WTERMSIG(st), next);
	else
		log_warnx("listen: the %s ended (status %d): %s", what,
		    WEXITSTATUS(st), next);
}

/* reap - the children that ended; a runner's end stops the acceptor */
static void
reap(struct keep *k)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == k->runner_pid) {
			log_end("queue runner", st, "stopping the acceptor");
			k->runner_pid = 0;
			(void)close(k->runner);
			k->runner = -1;
			if (k->acceptor != 0)
				(void)kill(k->acceptor, SIGTERM);
		} else if (pid == k->acceptor) {
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				log_end("acceptor", st, "starting another");
			k->acceptor = 0;
		}
	}
}

/* stop - SIGTERM: the acceptor stops first, so the port is closed */
static void __attribute__((noreturn))
stop(struct keep *k)
{
	if (k->acceptor != 0 && kill(k->acceptor, SIGTERM) == 0)
		while (waitpid(k->acceptor, NULL, 0) == -1 && errno == EINTR)
			continue;
	_exit(0);
}

/* events - wait for a signal (up to ms, -1: for ever) and act on it */
static void
events(struct keep *k, int ms)
{
	struct signalfd_siginfo si;
	struct pollfd pfd = { .fd = k->sigfd, .events = POLLIN };

	if (poll(&pfd, 1, ms) == -1 && errno != EINTR)
		die(EXIT_TEMP, "listen: poll");
	while (read(k->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo == SIGTERM)
			stop(k);
	reap(k);
}

/* start_runner - the shared runner; 0, or -1 (logged by runner_fork) */
static int
start_runner(struct keep *k)
{
	if (k->runners++ > 0)
		log_warnx("listen: the queue runner has gone: starting "
		    "another");
	return (k->runner = runner_shared(&k->runner_pid)) == -1 ? -1 : 0;
}

int
listen_keep(int sigfd)
{
	struct keep k = { .sigfd = sigfd, .runner = -1 };
	pid_t pid;

	for (;;) {
		if (k.acceptor == 0 && k.runner_pid == 0 &&
		    start_runner(&k) == -1) {
			events(&k, KEEP_REST_MS);
			continue;
		}
		if (k.acceptor == 0 && k.runner_pid != 0) {
			/* the last lived less than a second: rest first */
			if (k.acceptor_since != 0 &&
			    clock_ms() - k.acceptor_since < KEEP_REST_MS)
				events(&k, KEEP_REST_MS);
			if (k.runner_pid == 0)
				continue;
			if ((pid = fork()) == 0)
				return k.runner;
			if (pid == -1)
				log_warn("listen: unable to fork the acceptor "
				    "(resting %d ms)", KEEP_REST_MS);
			k.acceptor = pid == -1 ? 0 : pid;
			k.acceptor_since = clock_ms();
		}
		events(&k, k.acceptor == 0 ? KEEP_REST_MS : -1);
	}
}
