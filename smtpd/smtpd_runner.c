/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_runner - the queue runner.  See smtpd_runner.h.
 *
 * smtpd forks it right after dropping its ids and before it reads a
 * control file, a key or a byte from the network, so the runner holds
 * no secret and is the same uid with no privilege.  It sits outside
 * the seccomp filter smtpd enters next: it is the one door out of
 * smtpd's sandbox, and it opens onto one room.  What a compromised
 * smtpd can ask of it is to run qinject -Q (never another program: the
 * path is the runner's own) on descriptors smtpd already holds, with a
 * fixed list of environment variables (the client's address, as
 * tcpserver and a PROXY header set them) whose values are printable
 * and short; qinject treats all of that as hostile anyway, as it does
 * from any local user.  The runner is not dumpable, so smtpd cannot
 * reach its memory through /proc either, and smtpd's filter lets it
 * open files only for reading (lib/sandbox.c), so /proc/<pid>/mem of
 * the qinject it started cannot be written.
 *
 * The protocol, on a SOCK_SEQPACKET socketpair (one record each):
 *	smtpd -> runner	"Q" utf8-flag ("0"/"1") then "NAME=value" NUL
 *			for each variable of the list that is set, with
 *			exactly three descriptors: message, envelope, id
 *	runner -> smtpd	"P" and qinject's pid (started), or "F" and an
 *			errno (not started); then "W" and the wait status
 * smtpd reads the first reply only when it waits for the status: until
 * then it waits for qinject's id, which comes (or the pipe closes,
 * when qinject could not be started) no sooner, and a wait for "P"
 * first cost each message one more sleep and wake-up of the session.
 * One job at a time for each session.  The runner ends when smtpd
 * closes its end (after waiting for a qinject still running, so that a
 * session cut short leaves nothing half-written); qinject gets SIGKILL
 * if the runner dies first, so smtpd, which then says 451, never
 * learns too late that a message was queued.
 *
 * smtpd -L's sessions share one runner instead, which the listener's
 * first process forks before it accepts anything (runner_shared,
 * smtpd_keep.c): a fork and an exit fewer for every connection, and a
 * runner that has never held a byte of any session.  For each
 * connection the acceptor makes the socketpair and hands the runner its
 * end (a record "S" with the one descriptor, runner_hand_over); the
 * session gets the other (runner_attach).  Each session is served as
 * above, on its own socket: it cannot reach another's, and one that
 * breaks the protocol or does not read its replies is let go, not the
 * runner.  The runner ends once the listener (both its processes) and
 * every session have gone.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdpass.h"
#include "log.h"
#include "paths.h"
#include "qinject_exit.h"
#include "smtpd_runner.h"
#include "spawn.h"
#include "spawn_msg.h"

#define RUNNER_FD	3	/* the runner's end of the socket */

extern char **environ;

/* the variables smtpd may set for qinject and a filter: no others */
static const char *const env_names[] = {
	"TCPREMOTEIP", "TCPREMOTEPORT", "TCPREMOTEHOST", "TCPREMOTEINFO",
	"TCPLOCALIP", "TCPLOCALPORT", "TCPLOCALHOST", "REMOTE_ADDR",
	"REMOTE_PORT", "RELAYCLIENT", "PROTO",
	/* smtpd_verify.c: the client, for qinject's qpverify step */
	"QPOST_VERIFY_IP", "QPOST_VERIFY_HELO", "QPOST_VERIFY_FROM",
	/* auth or local: what qinject asks qpdkim to sign (qinject_dkim.c) */
	"QPOST_SIGN",
	/* the client's HELO and AUTH name, for a filter (qpmilter's macros) */
	"QPOST_HELO", "QPOST_AUTH_USER",
	NULL
};

struct reply {
	char	 kind;		/* 'P', 'F' or 'W' */
	int32_t	 value;		/* pid, errno or wait status */
};

static int	 sock = -1;	/* smtpd's end */
static int	 is_active;	/* runner_start was called */

int
runner_active(void)
{
	return is_active;
}

/* qinject_path - qinject's path into prog: 0, or QI_BUG (logged) */
static int
qinject_path(char *prog, size_t size)
{
	if (paths_program(prog, size, "qinject") == -1) {
		log_warnx("the path of qinject is too long");
		return QI_BUG;
	}
	return 0;
}

/*
 * qinject_run - the three pipe ends on 0, 1 and 3 (the sources are
 * never 0, 1 or 3: the caller's pipes are made after its stdio), the
 * rest closed, and qinject -Q with the environment envp.  System calls
 * only, no allocation: it runs in a vfork child.  Exits QI_BUG if it
 * cannot.
 */
static void __attribute__((noreturn))
qinject_run(const char *prog, const int fds[3], char *const envp[])
{
	char *const argv[] = { "qinject", "-Q", NULL };

	if (dup2(fds[0], 0) == -1 || dup2(fds[1], 1) == -1 ||
	    dup2(fds[2], 3) == -1)
		_exit(QI_BUG);
	closefrom(4);
	signal(SIGPIPE, SIG_DFL);
	execve(prog, argv, envp);
	log_warn("unable to run %s", prog);
	_exit(QI_BUG);
}

/*
 * qinject_exec - in a fresh (forked) child, which ends with the exec:
 * qinject's own variables (QPOST_ID_FD, QPOST_UTF8), then run it.
 */
void
qinject_exec(int msg, int env, int idfd, int is_utf8)
{
	char prog[1024];
	const int fds[3] = { msg, env, idfd };
	int code;

	if (setenv("QPOST_ID_FD", "3", 1) == -1 ||
	    (is_utf8 ? setenv("QPOST_UTF8", "1", 1) : unsetenv("QPOST_UTF8"))
	    == -1)
		_exit(QI_NOMEM);
	if ((code = qinject_path(prog, sizeof(prog))) != 0)
		_exit(code);
	qinject_run(prog, fds, environ);
}

/* qinject's own variables, which the runner sets itself */
static const char *const own_names[] = { "QPOST_ID_FD", "QPOST_UTF8", NULL };

/* name_index - the index of NAME (n bytes) in list, or -1. */
static int
name_index(const char *const *list, const char *name, size_t n)
{
	for (int i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == n && memcmp(list[i], name, n) == 0)
			return i;
	return -1;
}

/*
 * runner_req_parse - check a request (without its descriptors):
 * returns its SMTPUTF8 flag (0 or 1), or -1 when it is malformed: a
 * wrong head, an unlisted or repeated name, a value over
 * RUNNER_VALUE_MAX bytes or with a byte outside printable ASCII, a
 * missing NUL at the end.
 */
int
runner_req_parse(const char *p, size_t n)
{
	const char *end = p + n, *nul, *eq;
	unsigned seen = 0;
	int i;

	if (n < 2 || n > RUNNER_REQ_MAX || p[0] != 'Q' ||
	    (p[1] != '0' && p[1] != '1'))
		return -1;
	for (const char *e = p + 2; e < end; e = nul + 1) {
		if ((nul = memchr(e, '\0', (size_t)(end - e))) == NULL ||
		    (eq = memchr(e, '=', (size_t)(nul - e))) == NULL ||
		    (i = name_index(env_names, e, (size_t)(eq - e))) == -1 ||
		    (seen & (1u << i)) ||
		    (size_t)(nul - eq - 1) > RUNNER_VALUE_MAX)
			return -1;
		seen |= 1u << i;
		for (const char *v = eq + 1; v < nul; v++)
			if (*v < 0x20 || *v > 0x7e)
				return -1;
	}
	return p[1] == '1';
}

/*
 * The environment the runner gives each qinject: its own as it
 * started, less the listed names and qinject's two (made once by
 * env_base), then a request's variables, which point into the request
 * (env_apply).  Built by hand, not with setenv: glibc's setenv keeps
 * every value it was ever given (a caller may still hold one), so a
 * runner that served a listener's sessions for weeks grew by every
 * client's address and port.
 */
static char	**child_env;
static size_t	  nbase;

/* env_skipped - whether "NAME=value" is one env_apply sets or drops */
static int
env_skipped(const char *e)
{
	size_t n = strcspn(e, "=");

	return name_index(env_names, e, n) != -1 ||
	    name_index(own_names, e, n) != -1;
}

/* env_base - child_env's fixed part, from environ: 0, or -1 */
static int
env_base(void)
{
	size_t n = 0, names = 0;

	while (environ[n] != NULL)
		n++;
	while (env_names[names] != NULL)
		names++;
	/* the base, a request's variables, qinject's two, the NULL */
	if ((child_env = calloc(n + names + 3, sizeof(*child_env))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!env_skipped(environ[i]))
			child_env[nbase++] = environ[i];
	return 0;
}

/*
 * env_apply - child_env for a checked request p (n bytes), which must
 * stay as it is until qinject has been started.
 */
static void
env_apply(char *p, size_t n)
{
	char *end = p + n, *nul;
	size_t k = nbase;

	for (char *e = p + 2; e < end; e = nul + 1) {
		nul = memchr(e, '\0', (size_t)(end - e));
		child_env[k++] = e;
	}
	child_env[k++] = "QPOST_ID_FD=3";
	if (p[1] == '1')
		child_env[k++] = "QPOST_UTF8=1";
	child_env[k] = NULL;
}

/*
 * recv_req - one request and its descriptors into fds[3].  Returns the
 * request's length, 0 at end of file or on a read error (logged), -1
 * for a malformed one (its descriptors closed).
 */
static ssize_t
recv_req(int fd, char *req, int fds[3])
{
	int got[FDPASS_MAX];
	size_t nfd, i;
	ssize_t n;

	n = fdpass_recv(fd, req, RUNNER_REQ_MAX + 1, got, &nfd);
	if (n == -1 && errno != EMSGSIZE) {
		log_warn("runner: unable to read from smtpd");
		return 0;
	}
	if (n == 0)
		return 0;
	if (n > 0 && nfd == 3 && runner_req_parse(req, (size_t)n) != -1) {
		memcpy(fds, got, sizeof(int) * 3);
		return n;
	}
	for (i = 0; i < nfd; i++)
		close(got[i]);
	log_warnx("runner: malformed request from smtpd: refused");
	return -1;
}

/* what the child needs: all made before the vfork */
struct child_args {
	const char	*prog;
	const int	*fds;
};

/*
 * child - qinject for one request, in a vfork child (nothing but
 * system calls until the exec).  Dies with the runner: an orphan
 * would commit a message nobody could report.
 */
static void
child(void *arg)
{
	const struct child_args *c = arg;

	spawn_child_tie(SIGKILL);
	spawn_child_signals();
	qinject_run(c->prog, c->fds, child_env);
}

/*
 * start - qinject for a checked request: its pid, or -1 with errno.
 * The variables are set here, in the runner, which keeps no others
 * that matter, so that the child only has to exec (spawn_child: a
 * vfork, where a copy of smtpd's page tables cost more CPU than the
 * whole of qinject).
 */
static pid_t
start(char *req, size_t n, const int fds[3])
{
	static char prog[1024];

	if (qinject_path(prog, sizeof(prog)) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	env_apply(req, n);
	return spawn_child(child, &(struct child_args){ prog, fds });
}

/*
 * The runner's sessions: each one's socket, and its qinject while one
 * runs.  A session that has gone (fd -1) keeps its slot until its
 * qinject has ended, so that a session cut short leaves nothing
 * half-written.
 */
struct client {
	int	fd;
	pid_t	pid;	/* 0: none running */
};

static struct client	*clients;
static size_t		 nclients, capclients;

#define CLIENTS_MAX	4096	/* sessions one runner serves at once */

/* add_client - serve the session at the other end of fd: 0, or -1 */
static int
add_client(int fd)
{
	struct client *np;

	if (nclients == CLIENTS_MAX)
		return -1;
	if (nclients == capclients) {
		if ((np = reallocarray(clients, capclients + 16,
		    sizeof(*np))) == NULL)
			return -1;
		clients = np;
		capclients += 16;
	}
	clients[nclients].fd = fd;
	clients[nclients++].pid = 0;
	return 0;
}

/* let_go - stop serving c; its qinject, if one runs, is still awaited */
static void
let_go(struct client *c)
{
	(void)close(c->fd);
	c->fd = -1;
}

/* reply - one record to c; a session that does not read is let go */
static void
reply(struct client *c, char kind, int32_t value)
{
	struct reply r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.value = value;
	if (send(c->fd, &r, sizeof(r), MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    (ssize_t)sizeof(r))
		let_go(c);
}

/*
 * serve - c's next request: qinject started for it, or its end.  One
 * at a time: a request while its qinject runs breaks the protocol.
 */
static void
serve(struct client *c)
{
	static char req[RUNNER_REQ_MAX + 1];
	pid_t pid;
	ssize_t n;
	int fds[3];

	if ((n = recv_req(c->fd, req, fds)) == 0) {
		let_go(c);
		return;
	}
	if (n == -1) {
		reply(c, 'F', EPROTO);
		return;
	}
	if (c->pid != 0) {
		log_warnx("runner: a request while its qinject runs: "
		    "session let go");
		pid = -1;
		let_go(c);
	} else if ((pid = start(req, (size_t)n, fds)) == -1) {
		int e = errno;	/* for the reply: the log line may change it */

		log_warn("runner: unable to start qinject");
		reply(c, 'F', e);
	}
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	if (pid != -1) {
		c->pid = pid;
		reply(c, 'P', (int32_t)pid);
	}
}

/* reap - the wait status of each qinject that ended, to its session */
static void
reap(void)
{
	pid_t pid;
	size_t i;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		for (i = 0; i < nclients; i++)
			if (clients[i].pid == pid) {
				clients[i].pid = 0;
				if (clients[i].fd != -1)
					reply(&clients[i], 'W', st);
				break;
			}
}

/* compact - forget the sessions gone whose qinject has ended */
static void
compact(void)
{
	size_t i = 0;

	while (i < nclients)
		if (clients[i].fd == -1 && clients[i].pid == 0)
			clients[i] = clients[--nclients];
		else
			i++;
}

/*
 * take_session - a session's socket from the listener on ctl (one
 * descriptor with a one-byte record).  0, or -1 when the listener has
 * gone.
 */
static int
take_session(int ctl)
{
	int fds[FDPASS_MAX];
	size_t n;
	ssize_t r;
	char byte;

	r = fdpass_recv(ctl, &byte, 1, fds, &n);
	if (r == 0 || (r == -1 && errno != EMSGSIZE))
		return -1;
	if (n == 1 && add_client(fds[0]) == 0)
		return 0;
	log_warnx("runner: a session it could not take: let go");
	while (n > 0)
		(void)close(fds[--n]);
	return 0;
}

/*
 * runner_loop - serve the session on first (-1: none) and those the
 * listener hands over on ctl (-1: none), each one qinject at a time,
 * until no session and no listener is left.
 */
static void __attribute__((noreturn))
runner_loop(int ctl, int first)
{
	static struct pollfd *pfd;
	static size_t cappfd;
	size_t i, n;
	int sigfd;

	if ((sigfd = spawn_sigchld_pipe()) == -1) {
		log_warn("runner: unable to catch SIGCHLD");
		_exit(EXIT_TEMP);
	}
	if (env_base() == -1) {
		log_warn("runner: unable to make qinject's environment");
		_exit(EXIT_TEMP);
	}
	if (first != -1)
		(void)add_client(first);
	for (;;) {
		compact();
		if (ctl == -1 && nclients == 0)
			_exit(0);
		n = nclients + 2;
		if (spawn_poll_set(&pfd, &cappfd, n, sigfd, ctl) == NULL) {
			log_warn("runner: out of memory");
			_exit(EXIT_TEMP);
		}
		for (i = 0; i < nclients; i++)
			pfd[2 + i].fd = clients[i].fd;
		if (poll(pfd, n, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("runner: poll");
			_exit(EXIT_TEMP);
		}
		if (pfd[0].revents != 0)
			spawn_sigchld_drain(sigfd);
		reap();
		for (i = 0; i < n - 2; i++)
			if (pfd[2 + i].revents != 0 && clients[i].fd != -1)
				serve(&clients[i]);
		if (pfd[1].revents != 0 && take_session(ctl) == -1) {
			(void)close(ctl);
			ctl = -1;
		}
	}
}

/*
 * runner_fork - the runner's process, with its end of the socket on
 * RUNNER_FD, serving it as runner_loop's ctl (is_ctl) or as its one
 * session.  The runner keeps fd 2 (the log); 0 and 1 (the client's
 * connection, for smtpd's own runner) become /dev/null, so that the
 * connection closes with smtpd.  The other end of the socket (and the
 * runner's pid in *pid), or -1 (logged).
 */
static int
runner_fork(int is_ctl, pid_t *pid)
{
	sigset_t none;
	int sv[2], null;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("unable to make the queue runner's socket");
		return -1;
	}
	if ((*pid = fork()) == -1) {
		log_warn("unable to fork the queue runner");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (*pid == 0) {
		(void)prctl(PR_SET_NAME, "smtpd-runner");
		/* smtpd's memory is no business of ours, nor ours of it */
		(void)prctl(PR_SET_DUMPABLE, 0);
		/* the listener blocks SIGCHLD; runner_loop needs it */
		sigemptyset(&none);
		if (sigprocmask(SIG_SETMASK, &none, NULL) == -1 ||
		    (null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
		    dup2(null, 0) == -1 || dup2(null, 1) == -1 ||
		    dup2(sv[1], RUNNER_FD) == -1) {
			log_warn("runner: unable to set up its descriptors");
			_exit(EXIT_TEMP);
		}
		closefrom(RUNNER_FD + 1);
		if (is_ctl)
			runner_loop(RUNNER_FD, -1);
		runner_loop(-1, RUNNER_FD);
	}
	close(sv[1]);
	return sv[0];
}

int
runner_start(void)
{
	pid_t pid;

	is_active = 1;
	if (sock != -1)
		return 0;	/* the listener's runner: runner_attach */
	return (sock = runner_fork(0, &pid)) == -1 ? -1 : 0;
}

int
runner_shared(pid_t *pid)
{
	return runner_fork(1, pid);
}

int
runner_hand_over(int ctl)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	if (fdpass_send(ctl, "S", 1, &sv[1], 1) == -1) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[1]);
	return sv[0];
}

void
runner_attach(int fd)
{
	sock = fd;
}

/* req_build - "Q", the flag, the listed variables that are set. */
static size_t
req_build(char *req, int is_utf8)
{
	size_t len = 2;
	const char *v;
	int n;

	req[0] = 'Q';
	req[1] = is_utf8 ? '1' : '0';
	for (int i = 0; env_names[i] != NULL; i++) {
		/* an unprintable or long value is left out, not refused */
		if ((v = getenv(env_names[i])) == NULL ||
		    strlen(v) > RUNNER_VALUE_MAX)
			continue;
		n = snprintf(req + len, RUNNER_REQ_MAX - len, "%s=%s",
		    env_names[i], v);
		if (n < 0 || (size_t)n + 1 > RUNNER_REQ_MAX - len)
			continue;
		if (runner_req_parse(req, len + (size_t)n + 1) == -1) {
			req[len] = '\0';
			continue;
		}
		len += (size_t)n + 1;
	}
	return len;
}

/*
 * recv_reply - the runner's next record.  0, or -1 when the runner is
 * gone or sent something that is not a reply (logged).
 */
static int
recv_reply(struct reply *r)
{
	ssize_t n;

	while ((n = recv(sock, r, sizeof(*r), 0)) == -1 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(*r))
		return 0;
	if (n == -1)
		log_warn("unable to read from the queue runner");
	else
		log_warnx("the queue runner has gone away");
	close(sock);
	sock = -1;
	return -1;
}

int
runner_spawn(int msg, int env, int idfd, int is_utf8)
{
	char req[RUNNER_REQ_MAX];
	int fds[3] = { msg, env, idfd };

	if (sock == -1) {
		log_warnx("no queue runner: see the log above");
		return -1;
	}
	if (fdpass_send(sock, req, req_build(req, is_utf8), fds, 3) == -1) {
		if (errno == EPIPE || errno == ECONNRESET)
			log_warnx("the queue runner has gone away");
		else
			log_warn("unable to reach the queue runner");
		close(sock);
		sock = -1;
		return -1;
	}
	return 0;
}

int
runner_alive(void)
{
	struct pollfd pfd = { sock, POLLRDHUP, 0 };

	if (sock == -1)
		return 0;
	if (poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL))) {
		log_warnx("the queue runner has gone away");
		close(sock);
		sock = -1;
		return 0;
	}
	return 1;
}

int
runner_wait(int *status, pid_t *pid)
{
	struct reply r;

	if (sock == -1 || recv_reply(&r) == -1)
		return -1;
	if (r.kind == 'F') {
		errno = r.value;
		log_warn("the queue runner could not start qinject");
		return -1;
	}
	if (r.kind == 'P' && r.value > 0) {
		*pid = (pid_t)r.value;
		if (recv_reply(&r) == -1)
			return -1;
		if (r.kind == 'W') {
			*status = r.value;
			return 0;
		}
	}
	log_warnx("the queue runner answered out of turn");
	return -1;
}
