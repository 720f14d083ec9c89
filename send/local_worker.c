/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_worker - `local -W': a fork server that lspawn keeps for one
 * uid and gid, so that a delivery costs a fork of a process that is
 * already loaded instead of an exec of local (the dynamic loader, the
 * C library's start-up and the page faults of both: most of a
 * delivery's CPU on a machine where a process is dear, issue 10).
 *
 * lspawn starts it as it would start local (under the uid and gid, tied
 * to lspawn by PR_SET_PDEATHSIG) with its end of a socket pair on 0 and
 * 1.  Each request (local_worker.h) becomes a child: the descriptors it
 * brought on 0 and 1, everything else closed, the signals as a fresh
 * process has them, tied to the worker, the request's environment and
 * arguments; then it is local, exactly as if exec'd, and its exit
 * status goes back to lspawn in a report.  The boundary is where it
 * was: the worker runs under the uid of the deliveries it serves and
 * no other, and each delivery is a process of its own.
 *
 * The worker trusts lspawn (it is root, or the same user): a malformed
 * request is fatal.  At the end of its input it waits for its children,
 * reports them and exits; SIGTERM ends it at once, and its children
 * then get SIGTERM (local's clean stop).
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdpass.h"
#include "local.h"
#include "local_worker.h"
#include "log.h"
#include "spawn.h"
#include "spawn_msg.h"

extern char **environ;

/* a child still running: its pid and the tag lspawn gave it */
struct child {
	pid_t		pid;
	uint64_t	tag;
};

static struct child	*children;
static size_t		 nchildren, capchildren;

/* the request being served: the child's arguments point into it */
static char		 req[WORKER_REQ_MAX + 1];
static char		*req_argv[WORKER_ARGS_MAX + 1];
static char		*req_envp[WORKER_ARGS_MAX + 1];

/*
 * receive - one request into req, its two descriptors into fds: 1, 0
 * at the end of input, or dies when it is malformed.
 */
static int
receive(uint64_t *tag, int fds[2])
{
	int got[FDPASS_MAX];
	size_t nfd;
	ssize_t n;

	if ((n = fdpass_recv(0, req, WORKER_REQ_MAX, got, &nfd)) == 0)
		return 0;
	if (n == -1 && errno != EMSGSIZE)
		die(EXIT_TEMP, "worker: unable to read a request");
	if (n == -1 || nfd != 2)
		diex(EXIT_TEMP, "worker: a request without its two "
		    "descriptors");
	memcpy(fds, got, 2 * sizeof(int));
	if (worker_req_read(req, (size_t)n, tag, req_argv, req_envp) == -1)
		diex(EXIT_TEMP, "worker: a malformed request");
	return 1;
}

/* report - tell lspawn how the child with tag ended */
static void
report(uint64_t tag, int wstatus)
{
	struct worker_report r;

	memset(&r, 0, sizeof(r));
	r.tag = tag;
	r.wstatus = wstatus;
	/* lspawn gone: nothing to tell, and our end of input is near */
	(void)send(0, &r, sizeof(r), MSG_NOSIGNAL);
}

/* reap - report every child that has ended */
static void
reap(void)
{
	pid_t pid;
	size_t i;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		for (i = 0; i < nchildren; i++)
			if (children[i].pid == pid) {
				report(children[i].tag, st);
				children[i] = children[--nchildren];
				break;
			}
}

/*
 * start - fork the child for the request in req; a failure to fork is
 * reported as a temporary failure (EXIT_TEMP).
 */
static void
start(uint64_t tag, const int fds[2], int (*deliver)(int, char **))
{
	pid_t me = getpid(), pid;
	struct child *np;
	int argc;

	if (nchildren == capchildren) {
		if ((np = reallocarray(children, capchildren + 16,
		    sizeof(*np))) == NULL)
			die(EXIT_TEMP, "worker: out of memory");
		children = np;
		capchildren += 16;
	}
	if ((pid = fork()) == 0) {
		if (dup2(fds[0], 0) == -1 || dup2(fds[1], 1) == -1)
			_exit(LOCAL_TEMP);
		closefrom(3);
		spawn_child_signals();
		spawn_tie(me, SIGTERM);
		environ = req_envp;
		for (argc = 0; req_argv[argc] != NULL; argc++)
			;
		optind = 1;
		exit(deliver(argc, req_argv));
	}
	(void)close(fds[0]);
	(void)close(fds[1]);
	if (pid == -1) {
		log_warn("worker: unable to fork");
		report(tag, W_EXITCODE(LOCAL_TEMP, 0));
		return;
	}
	children[nchildren].pid = pid;
	children[nchildren++].tag = tag;
}

int
local_worker(int (*deliver)(int, char **))
{
	struct pollfd pfd[2];
	uint64_t tag;
	int fds[2], sigfd, is_eof = 0;

	if ((sigfd = spawn_sigchld_pipe()) == -1)
		die(EXIT_TEMP, "worker: unable to catch SIGCHLD");
	while (!is_eof || nchildren > 0) {
		pfd[0].fd = sigfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = is_eof ? -1 : 0;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			die(EXIT_TEMP, "worker: poll");
		}
		if (pfd[0].revents != 0)
			spawn_sigchld_drain(sigfd);
		reap();
		if (pfd[1].revents != 0) {
			if (receive(&tag, fds) == 0)
				is_eof = 1;
			else
				start(tag, fds, deliver);
		}
	}
	return 0;
}
