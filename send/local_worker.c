/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_worker - `local -W': a fork server that lspawn keeps for one
 * uid and gid, so that a delivery costs no exec of local (the dynamic
 * loader, the C library's start-up and the page faults of both: most
 * of a delivery's CPU on a machine where a process is dear, issue 10).
 *
 * lspawn starts it as it would start local (under the uid and gid, tied
 * to lspawn by PR_SET_PDEATHSIG) with its end of a socket pair on 0 and
 * 1.  The worker hands each request (local_worker.h) to a child of its
 * own, over a socket pair: an idle one, or a new one when all are
 * busy.  A child makes one delivery at a time, exactly as local would
 * with the request's arguments, environment, and descriptors on 0 and
 * 1, and tells its exit code back; it makes at most CHILD_USES of them,
 * then ends (as Postfix's max_use bounds what one process can carry
 * from one delivery to the next), so a delivery costs neither an exec
 * nor, mostly, a fork: a fork, its page faults and an exit were most
 * of a delivery's CPU here.  The boundary is where it was: every
 * process runs under the uid of the deliveries it serves and no other.
 * A child that dies in a delivery is reported by its wait status, as
 * when each delivery had its own.
 *
 * The worker trusts lspawn (it is root, or the same user): a malformed
 * request is fatal.  At the end of its input it lets its idle children
 * go, waits for the busy ones, reports them and exits; SIGTERM ends it
 * at once, and its children then get SIGTERM (local's clean stop).
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
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

#define CHILD_USES	100	/* deliveries one child makes */
#define CHILD_SOCK	3	/* in a child: its end of the socket pair */
#define CHILD_NULL	4	/* in a child: /dev/null, between deliveries */

extern char **environ;

/* a child: its pid, its socket, and the delivery it makes, if busy */
struct child {
	pid_t		pid;
	int		sock;	/* the worker's end; -1 once closed */
	int		is_busy;
	uint64_t	tag;	/* lspawn's, for the report */
	unsigned	uses;	/* deliveries handed to it */
};

static struct child	*children;
static size_t		 nchildren, capchildren;

/* the request being served: its bytes, and the arguments into them */
static char		 req[WORKER_REQ_MAX + 1];
static size_t		 reqlen;
static char		*req_argv[WORKER_ARGS_MAX + 1];
static char		*req_envp[WORKER_ARGS_MAX + 1];

/*
 * receive - one request from fd into req, its two descriptors into
 * fds: 1, 0 at the end of input, or dies when it is malformed.
 */
static int
receive(int fd, uint64_t *tag, int fds[2])
{
	int got[FDPASS_MAX];
	size_t nfd;
	ssize_t n;

	if ((n = fdpass_recv(fd, req, WORKER_REQ_MAX, got, &nfd)) == 0)
		return 0;
	if (n == -1 && errno != EMSGSIZE)
		die(EXIT_TEMP, "worker: unable to read a request");
	if (n == -1 || nfd != 2)
		diex(EXIT_TEMP, "worker: a request without its two "
		    "descriptors");
	memcpy(fds, got, 2 * sizeof(int));
	reqlen = (size_t)n;
	if (worker_req_read(req, reqlen, tag, req_argv, req_envp) == -1)
		diex(EXIT_TEMP, "worker: a malformed request");
	return 1;
}

/* report - tell lspawn how the delivery with tag ended */
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

/*
 * deliver_one - in a child: the request in req, with its descriptors
 * on 0 and 1 for the delivery and /dev/null again after it, and
 * whatever else the delivery left open closed.  Its exit code.
 */
static int32_t
deliver_one(const int fds[2], int (*deliver)(int, char **))
{
	int argc, code = LOCAL_TEMP;

	if (dup2(fds[0], 0) != -1 && dup2(fds[1], 1) != -1) {
		(void)close(fds[0]);
		(void)close(fds[1]);
		environ = req_envp;
		for (argc = 0; req_argv[argc] != NULL; argc++)
			;
		optind = 0;	/* glibc: start afresh on a new vector */
		code = deliver(argc, req_argv);
	}
	/* the result pipe too, so that lspawn sees its end of file */
	if (dup2(CHILD_NULL, 0) == -1 || dup2(CHILD_NULL, 1) == -1)
		_exit(LOCAL_TEMP);
	closefrom(CHILD_NULL + 1);
	return code;
}

/*
 * child_serve - a child's life: requests from the worker, one at a
 * time, each answered with its exit code, until the worker closes the
 * socket (after CHILD_USES of them, or at its own end).  Dies on a
 * broken request.
 */
static void __attribute__((noreturn))
child_serve(int (*deliver)(int, char **))
{
	uint64_t tag;
	int32_t code;
	int fds[2];

	while (receive(CHILD_SOCK, &tag, fds) == 1) {
		code = deliver_one(fds, deliver);
		if (send(CHILD_SOCK, &code, sizeof(code), MSG_NOSIGNAL) !=
		    (ssize_t)sizeof(code))
			break;
	}
	_exit(0);
}

/*
 * child_start - fork a new child, its socket pair's end on CHILD_SOCK,
 * /dev/null on 0, 1 and CHILD_NULL, and append it: its entry, or NULL
 * (logged).
 */
static struct child *
child_start(int (*deliver)(int, char **))
{
	pid_t me = getpid(), pid;
	struct child *np;
	int sv[2], null;

	if (nchildren == capchildren) {
		if ((np = reallocarray(children, capchildren + 16,
		    sizeof(*np))) == NULL) {
			log_warn("worker: out of memory");
			return NULL;
		}
		children = np;
		capchildren += 16;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("worker: unable to make a child's socket");
		return NULL;
	}
	if ((pid = fork()) == 0) {
		if (dup2(sv[1], CHILD_SOCK) == -1 ||
		    (null = open("/dev/null", O_RDWR)) == -1 ||
		    dup2(null, CHILD_NULL) == -1 || dup2(null, 0) == -1 ||
		    dup2(null, 1) == -1)
			_exit(LOCAL_TEMP);
		closefrom(CHILD_NULL + 1);
		spawn_child_signals();
		spawn_tie(me, SIGTERM);
		child_serve(deliver);
	}
	(void)close(sv[1]);
	if (pid == -1) {
		log_warn("worker: unable to fork");
		(void)close(sv[0]);
		return NULL;
	}
	np = &children[nchildren++];
	np->pid = pid;
	np->sock = sv[0];
	np->is_busy = 0;
	np->uses = 0;
	return np;
}

/* let_go - close c's socket: an idle child then ends */
static void
let_go(struct child *c)
{
	if (c->sock != -1)
		(void)close(c->sock);
	c->sock = -1;
}

/*
 * dispatch - the request in req to an idle child, or to a new one;
 * one that cannot be had is reported as a temporary failure.
 */
static void
dispatch(uint64_t tag, const int fds[2], int (*deliver)(int, char **))
{
	struct child *c = NULL;
	size_t i;

	for (i = 0; i < nchildren && c == NULL; i++)
		if (!children[i].is_busy && children[i].sock != -1)
			c = &children[i];
	if (c != NULL && fdpass_send(c->sock, req, reqlen, fds, 2) == -1) {
		let_go(c);	/* ending: its reap removes it */
		c = NULL;
	}
	if (c == NULL && (c = child_start(deliver)) != NULL &&
	    fdpass_send(c->sock, req, reqlen, fds, 2) == -1) {
		log_warn("worker: unable to hand a child its delivery");
		let_go(c);
		c = NULL;
	}
	(void)close(fds[0]);
	(void)close(fds[1]);
	if (c == NULL) {
		report(tag, W_EXITCODE(LOCAL_TEMP, 0));
		return;
	}
	c->is_busy = 1;
	c->tag = tag;
	c->uses++;
}

/*
 * answer - c's exit code for its delivery, if it has sent one: 1, or
 * 0 with nothing read (its end of file closes the socket).
 */
static int
answer(struct child *c)
{
	int32_t code;
	ssize_t n;

	if (c->sock == -1)
		return 0;
	n = recv(c->sock, &code, sizeof(code), MSG_DONTWAIT);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
		let_go(c);
	if (n != (ssize_t)sizeof(code) || !c->is_busy)
		return 0;
	report(c->tag, W_EXITCODE(code & 0xff, 0));
	c->is_busy = 0;
	/* enough: what one delivery left behind goes with the process */
	if (c->uses == CHILD_USES)
		let_go(c);
	return 1;
}

/*
 * reap - forget every child that has ended.  One that ended in a
 * delivery without telling its code (killed, or dead of an error) is
 * reported by its wait status, a clean exit there as a temporary
 * failure: the delivery may not have been made.
 */
static void
reap(void)
{
	pid_t pid;
	size_t i;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		for (i = 0; i < nchildren; i++) {
			if (children[i].pid != pid)
				continue;
			if (children[i].is_busy && !answer(&children[i]))
				report(children[i].tag,
				    WIFEXITED(st) && WEXITSTATUS(st) == 0 ?
				    W_EXITCODE(LOCAL_TEMP, 0) : st);
			let_go(&children[i]);
			children[i] = children[--nchildren];
			break;
		}
}

int
local_worker(int (*deliver)(int, char **))
{
	static struct pollfd *pfd;
	static size_t cappfd;
	uint64_t tag;
	size_t i, n;
	int fds[2], sigfd, is_eof = 0;

	if ((sigfd = spawn_sigchld_pipe()) == -1)
		die(EXIT_TEMP, "worker: unable to catch SIGCHLD");
	while (!is_eof || nchildren > 0) {
		n = nchildren + 2;
		if (spawn_poll_set(&pfd, &cappfd, n, sigfd,
		    is_eof ? -1 : 0) == NULL)
			die(EXIT_TEMP, "worker: out of memory");
		for (i = 0; i < nchildren; i++)
			pfd[2 + i].fd = children[i].sock;
		if (poll(pfd, n, -1) == -1) {
			if (errno == EINTR)
				continue;
			die(EXIT_TEMP, "worker: poll");
		}
		/* each child's code before its reap: it sent it first */
		for (i = 0; i < n - 2 && i < nchildren; i++)
			if (pfd[2 + i].revents != 0)
				(void)answer(&children[i]);
		if (pfd[0].revents != 0)
			spawn_sigchld_drain(sigfd);
		reap();
		if (pfd[1].revents != 0) {
			if (receive(0, &tag, fds) == 0)
				is_eof = 1;
			else
				dispatch(tag, fds, deliver);
		}
		/* at the end of input the idle children go at once */
		for (i = 0; is_eof && i < nchildren; i++)
			if (!children[i].is_busy)
				let_go(&children[i]);
	}
	return 0;
}
