/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_listen - smtpd -L address:port [-c max]: smtpd's own listener.
 *
 * Under tcpserver each connection costs a fork and an exec of smtpd,
 * and the exec the dynamic relocation of the statically linked
 * LibreSSL in a PIE and the C library's and libcrypto's start-up: most
 * of a session's CPU when the session itself is short.  Here one smtpd
 * binds, listens and drops to qpsmtpd once, then forks itself per
 * connection: each session is still a process of its own, with its own
 * queue runner, control files, TLS key, sandbox and memory, exactly as
 * under tcpserver; only the exec is gone.
 *
 * The listener never reads a byte from a client, and does nothing for
 * a session but accept it and fork: the child closes the listening
 * socket, puts the connection on descriptors 0 and 1, sets the
 * variables tcpserver -R -H would set, and returns to main(), which
 * goes on as a tcpserver-started smtpd does (runner, control files,
 * sandbox, session).  So the listener holds no control file's content
 * and no key: each session reads them afresh, as before, and an edit
 * needs no restart.
 *
 * It counts its children and stops accepting at the limit (the kernel
 * keeps new connections in the listen queue meanwhile), as tcpserver
 * -c does.  SIGCHLD and SIGTERM come through a signalfd polled beside
 * the socket: no handler, no busy loop.  SIGTERM closes the socket and
 * ends the listener; the sessions finish on their own.
 *
 * Two processes share that work.  The first binds, drops its ids and
 * stays outside any filter to keep the shared queue runner and the
 * acceptor going (smtpd_keep.c); the acceptor, its child, enters its
 * system call filter once and accepts, forks and counts the sessions,
 * which inherit the filter instead of each loading one (lib/sandbox.c)
 * and give up fork before they read a byte (a process limit, which
 * binds every uid but root's: priv_drop never leaves us root).  Should
 * the runner die, the first process starts another and a new acceptor
 * for it; the sessions of the old one finish on their own, not counted
 * by the new one, so for a while there may be more than -c.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "clock.h"
#include "dns.h"
#include "log.h"
#include "paths.h"
#include "priv.h"
#include "sandbox.h"
#include "smtpd_keep.h"
#include "smtpd_listen.h"
#include "smtpd_perclient.h"
#include "smtpd_rate.h"
#include "smtpd_runner.h"

#define LISTEN_BACKLOG	128	/* connections the kernel holds for us */
#define LISTEN_REST_MS	1000	/* after a failure to accept or fork */
#define LISTEN_FULL_LOG	60	/* seconds between "at the limit" lines */
/* what a client gets when it has -C sessions already */
#define LISTEN_BUSY	"421 4.7.0 Too many sessions from your address at " \
			"once, try again later\r\n"
/* what a client gets when it opened -R connections in its minute */
#define LISTEN_FAST	"421 4.7.0 Too many connections from your address, " \
			"try again later\r\n"

struct listener {
	int		 fd;		/* the listening socket */
	int		 sigfd;		/* SIGCHLD and SIGTERM */
	sigset_t	 oldmask;	/* the mask each session gets back */
	long		 max;		/* sessions at once (-c) */
	long		 running;	/* children not yet reaped */
	struct perclient clients;	/* their clients (-C), if limited */
	struct rate	 rates;		/* connections a minute (-R), if
					   limited */
	int		 resting;	/* after a failure: no accept for a while */
	time_t		 full_logged;	/* when the limit was last logged */
	char		 comm[16];	/* the process name, for the sessions */
	int		 runner;	/* to the shared queue runner */
	char		**envp;		/* environ without tcpserver's names */
	size_t		 env_kept;	/* how many of those there are */
	char		 env_buf[256];	/* a session's "NAME=value" strings */
};

/* what tcpserver -R -H sets or removes: never one of the listener's */
static const char *const tcp_names[] = {
	"PROTO", "TCPLOCALIP", "TCPLOCALPORT", "TCPREMOTEIP",
	"TCPREMOTEPORT", "TCPLOCALHOST", "TCPREMOTEHOST", "TCPREMOTEINFO",
	NULL
};
#define TCP_SET		5	/* the first five: each session sets them */

/* number - the decimal s if it is min..max, else -1 */
static long
number(const char *s, long min, long max)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	return v;
}

long
smtpd_listen_max(const char *s)
{
	return number(s, 1, LISTEN_MAX_LIMIT);
}

long
smtpd_listen_nice(const char *s)
{
	return number(s, 0, LISTEN_NICE_LIMIT);
}

/*
 * be_nicer - run incr nicer than the caller, and so do the runner, the
 * sessions and every qinject they start: when the CPU is short, the
 * queue and the deliveries (sched, lspawn, local), a handful of
 * processes against one for each session and each message being
 * injected, would otherwise get so small a share that mail piled up
 * in the queue for as long as it kept arriving (issue 10: at 50
 * sessions, 4,000 of 5,000 messages waited until the clients stopped;
 * about a hundred at most with the sessions 5 nicer).  Raising one's
 * niceness needs no privilege; a failure only costs that, logged.
 */
static void
be_nicer(long incr)
{
	errno = 0;	/* nice's -1 may be a niceness */
	if (incr != 0 && nice((int)incr) == -1 && errno != 0)
		log_warn("listen: unable to become nicer by %ld", incr);
}

/*
 * std_fds - descriptors 0 and 1 on /dev/null, 2 open: the listener
 * keeps no client on them, and no accepted connection can land on 0, 1
 * or 2 (a session's log lines would go to the client).
 */
static void
std_fds(void)
{
	int fd;

	if (fcntl(2, F_GETFD) == -1 &&
	    (fd = open("/dev/null", O_WRONLY)) != -1 && fd != 2) {
		(void)dup2(fd, 2);
		(void)close(fd);
	}
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		die(EXIT_TEMP, "listen: unable to open /dev/null");
	if ((fd != 0 && dup2(fd, 0) == -1) || (fd != 1 && dup2(fd, 1) == -1))
		die(EXIT_TEMP, "listen: unable to put /dev/null on 0 and 1");
	if (fd > 2)
		(void)close(fd);
}

/*
 * addr_text - an address as tcpserver writes it: IPv4 dotted, IPv6 in
 * inet_ntop's compact form, an IPv4-mapped IPv6 address (a dual-stack
 * "[::]" listener's IPv4 client) as the IPv4 address it is.  Its port
 * into *port.  1 for IPv6, 0 for IPv4, -1 for anything else.
 */
static int
addr_text(const struct sockaddr_storage *ss, char *ip, size_t size,
    unsigned *port)
{
	const struct sockaddr_in6 *s6;
	const struct sockaddr_in *s4;

	if (ss->ss_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)ss;
		*port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			return inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12],
			    ip, (socklen_t)size) == NULL ? -1 : 0;
		return inet_ntop(AF_INET6, &s6->sin6_addr, ip,
		    (socklen_t)size) == NULL ? -1 : 1;
	}
	if (ss->ss_family == AF_INET) {
		s4 = (const struct sockaddr_in *)ss;
		*port = ntohs(s4->sin_port);
		return inet_ntop(AF_INET, &s4->sin_addr, ip,
		    (socklen_t)size) == NULL ? -1 : 0;
	}
	return -1;
}

/* tcp_name - whether the entry "NAME=value" is one of tcp_names */
static int
tcp_name(const char *entry)
{
	size_t n;

	for (int i = 0; tcp_names[i] != NULL; i++) {
		n = strlen(tcp_names[i]);
		if (strncmp(entry, tcp_names[i], n) == 0 && entry[n] == '=')
			return 1;
	}
	return 0;
}

/*
 * env_prepare - in the acceptor, once: the listener's environment
 * without tcp_names, with room for a session's own (session_env).
 * setenv in each session allocated and copied the whole environment.
 */
static void
env_prepare(struct listener *l)
{
	size_t n = 0;

	/*
	 * The C library reaches realloc through its own lazily bound
	 * table, and a session's first setenv (smtpd_verify.c) resolved
	 * it again in its copy of that table: some seven page faults a
	 * message.  A setenv here resolves it once for all sessions.
	 */
	if (setenv("QPOST_LISTEN_BIND", "", 1) == -1 ||
	    unsetenv("QPOST_LISTEN_BIND") == -1)
		die(EXIT_TEMP, "listen: unable to set a variable");
	for (char **e = environ; *e != NULL; e++)
		n++;
	if ((l->envp = calloc(n + TCP_SET + 1, sizeof(char *))) == NULL)
		die(EXIT_TEMP, "listen: unable to copy the environment");
	for (char **e = environ; *e != NULL; e++)
		if (!tcp_name(*e))
			l->envp[l->env_kept++] = *e;
}

/*
 * session_env - what tcpserver -R -H sets for prog (ucspi-tcp, and
 * ucspi-tcp6 for IPv6: PROTO=TCP6, addresses compact): PROTO,
 * TCPLOCALIP, TCPLOCALPORT, TCPREMOTEIP, TCPREMOTEPORT; with no name
 * lookups and no ident, TCPLOCALHOST, TCPREMOTEHOST and TCPREMOTEINFO
 * are not set, so none can be inherited from the listener's own
 * environment (env_prepare).  Dies when the addresses cannot be had.
 */
static void
session_env(struct listener *l, const struct sockaddr_storage *peer)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	char rip[INET6_ADDRSTRLEN], lip[INET6_ADDRSTRLEN], *p, *end;
	size_t n = l->env_kept;
	unsigned rport, lport;
	int v6, k;

	memset(&local, 0, sizeof(local));
	if (getsockname(0, (struct sockaddr *)&local, &len) == -1)
		die(EXIT_TEMP, "listen: unable to learn the connection's "
		    "local address");
	if ((v6 = addr_text(peer, rip, sizeof(rip), &rport)) == -1 ||
	    addr_text(&local, lip, sizeof(lip), &lport) == -1)
		diex(EXIT_TEMP, "listen: a connection of an unknown family");
	/* the five strings one after another, each ended by its NUL */
	k = snprintf(l->env_buf, sizeof(l->env_buf), "PROTO=%s%cTCPLOCALIP=%s"
	    "%cTCPLOCALPORT=%u%cTCPREMOTEIP=%s%cTCPREMOTEPORT=%u",
	    v6 ? "TCP6" : "TCP", 0, lip, 0, lport, 0, rip, 0, rport);
	if (k < 0 || (size_t)k >= sizeof(l->env_buf))
		diex(EXIT_TEMP, "listen: unable to set the session's variables");
	end = l->env_buf + k;
	for (p = l->env_buf; p < end; p += strlen(p) + 1)
		l->envp[n++] = p;
	l->envp[n] = NULL;
	environ = l->envp;
}

/*
 * session_start - in the child: nothing of the listener's but the ids
 * it dropped; the connection on 0 and 1.
 */
static void
session_start(struct listener *l, int conn,
    const struct sockaddr_storage *peer)
{
	/* the filter it inherits has fork, for the acceptor: not for it */
	if (sandbox_no_fork() == -1)
		die(EXIT_TEMP, "listen: unable to set the session's process "
		    "limit");
	(void)close(l->fd);
	(void)close(l->sigfd);
	(void)close(l->runner);
	if (sigprocmask(SIG_SETMASK, &l->oldmask, NULL) == -1)
		die(EXIT_TEMP, "listen: unable to restore the signal mask");
	(void)prctl(PR_SET_NAME, l->comm, 0, 0, 0);
	if (dup2(conn, 0) == -1 || dup2(conn, 1) == -1)
		die(EXIT_TEMP, "listen: unable to put the connection on "
		    "descriptors 0 and 1");
	(void)close(conn);
	session_env(l, peer);
}

/* transient - accept's errors that are the client's or the network's */
static int
transient(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == EINTR ||
	    e == ECONNABORTED || e == EPROTO || e == EPERM ||
	    e == ENETDOWN || e == ENOPROTOOPT || e == EHOSTDOWN ||
	    e == ENONET || e == EHOSTUNREACH || e == EOPNOTSUPP ||
	    e == ENETUNREACH;
}

/*
 * refuse - a client over a limit is told so (RFC 5321 3.8: a server that
 * cannot serve replies 421 and closes) and no session is forked; ip gets
 * its address for the log line.  A new connection's send buffer is
 * empty, so the line always fits; still, the acceptor never waits on a
 * client (MSG_DONTWAIT), and one that has gone already must not end it
 * with SIGPIPE (MSG_NOSIGNAL).
 */
static void
refuse(int conn, const char *reply, size_t len,
    const struct sockaddr_storage *peer, char ip[INET6_ADDRSTRLEN])
{
	unsigned port;

	(void)send(conn, reply, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)close(conn);
	if (addr_text(peer, ip, INET6_ADDRSTRLEN, &port) == -1)
		strlcpy(ip, "unknown", INET6_ADDRSTRLEN);
}

/* too_many - the client has -C sessions already */
static void
too_many(struct listener *l, int conn, const struct sockaddr_storage *peer)
{
	char ip[INET6_ADDRSTRLEN];

	refuse(conn, LISTEN_BUSY, sizeof(LISTEN_BUSY) - 1, peer, ip);
	log_warnx("listen: ip=%s has %ld sessions, the most from one client "
	    "(-C): connection refused with 421", ip, l->clients.most);
}

/* too_fast - the client opened -R connections in its minute already */
static void
too_fast(struct listener *l, int conn, const struct sockaddr_storage *peer)
{
	char ip[INET6_ADDRSTRLEN];

	refuse(conn, LISTEN_FAST, sizeof(LISTEN_FAST) - 1, peer, ip);
	log_warnx("listen: ip=%s opened more than %ld connections in a "
	    "minute (-R): connection refused with 421", ip, l->rates.most);
}

/*
 * accept_one - accept a connection and fork its session.  Returns 1 in
 * the session's process, 0 in the listener.  A failure (out of
 * descriptors, memory or processes) is logged, the connection closed,
 * and the listener rests: a failure that lasts must not spin.
 */
static int
accept_one(struct listener *l)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	char ip[INET6_ADDRSTRLEN];
	unsigned port;
	pid_t pid;
	int conn, runner;

	memset(&peer, 0, sizeof(peer));
	if ((conn = accept4(l->fd, (struct sockaddr *)&peer, &len,
	    SOCK_CLOEXEC)) == -1) {
		if (transient(errno))
			return 0;
		log_warn("listen: unable to accept a connection (resting "
		    "%d ms)", LISTEN_REST_MS);
		l->resting = 1;
		return 0;
	}
	/* every connection counts toward -R, a refused one too */
	if (l->rates.s != NULL && !rate_allow(&l->rates, &peer, clock_ms())) {
		too_fast(l, conn, &peer);
		return 0;
	}
	if (perclient_full(&l->clients, &peer)) {
		too_many(l, conn, &peer);
		return 0;
	}
	/*
	 * Its end of a socket to the runner.  Failing, the runner may be
	 * gone: then the listener's first process stops this acceptor and
	 * starts a new runner and acceptor; else descriptors are short, as
	 * for accept.
	 */
	if ((runner = runner_hand_over(l->runner)) == -1) {
		log_warn("listen: unable to hand the queue runner a session: "
		    "connection closed (resting %d ms)", LISTEN_REST_MS);
		(void)close(conn);
		l->resting = 1;
		return 0;
	}
	/*
	 * _Fork, not fork: the acceptor has one thread, so no lock can be
	 * held, and fork's atfork steps (C library, malloc and loader
	 * locks taken and released around it) wrote to pages that then
	 * became a private copy in each session (issue 10: 12 KiB a
	 * session).  The libraries that must notice a fork (the TLS
	 * library's and libbsd's random numbers) do so by the pid.
	 */
	if ((pid = _Fork()) == 0) {
		session_start(l, conn, &peer);
		runner_attach(runner);
		return 1;
	}
	(void)close(runner);
	if (pid == -1) {
		if (addr_text(&peer, ip, sizeof(ip), &port) == -1)
			strlcpy(ip, "unknown", sizeof(ip));
		log_warn("listen: unable to fork a session for ip=%s: "
		    "connection closed (resting %d ms)", ip, LISTEN_REST_MS);
		l->resting = 1;
	} else {
		l->running++;
		perclient_add(&l->clients, pid, &peer);
	}
	(void)close(conn);
	return 0;
}

/*
 * reap - the sessions that ended.  One killed by a signal is logged:
 * SIGSYS is its own system call filter (qpost-smtpd(8), SECURITY).
 */
static void
reap(struct listener *l)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (l->running > 0)
			l->running--;
		perclient_remove(&l->clients, pid);
		l->resting = 0;
		if (WIFSIGNALED(st))
			log_warnx("listen: session=%ld killed by signal %d",
			    (long)pid, WTERMSIG(st));
	}
}

/* signals - read the signalfd dry; reap; on SIGTERM, stop. */
static void
signals(struct listener *l)
{
	struct signalfd_siginfo si;
	int term = 0;

	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo == SIGTERM)
			term = 1;
	reap(l);
	if (!term)
		return;
	(void)close(l->fd);
	log_info("listen stopped sessions=%ld", l->running);
	exit(0);
}

/* at_limit - say so, at most once every LISTEN_FULL_LOG seconds */
static void
at_limit(struct listener *l)
{
	time_t now = time(NULL);

	if (l->full_logged != 0 && now - l->full_logged < LISTEN_FULL_LOG)
		return;
	l->full_logged = now;
	log_warnx("listen: at the limit of %ld sessions at once (-c): new "
	    "connections wait until one ends", l->max);
}

/* open_socket - bound to spec and listening, or die */
static int
open_socket(const char *spec)
{
	struct sockaddr_storage ss;
	const char *port;
	int fd, one = 1;

	/*
	 * control/resolvers' syntax, and its parser: "address:port",
	 * "[v6]:port"; but here the port must be given.
	 */
	port = spec[0] == '[' ? strstr(spec, "]:") : strchr(spec, ':');
	if (port == NULL)
		diex(EXIT_PERM, "-L %s: no port: give address:port, an IPv6 "
		    "address in brackets ([::1]:25)", spec);
	if (dns_server_parse(spec, &ss) == -1)
		diex(EXIT_PERM, "-L %s: %s: give address:port, an IPv6 "
		    "address in brackets ([::1]:25)", spec, dns_why());
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		die(EXIT_TEMP, "listen: unable to make a socket for %s", spec);
	/* a restart must not wait for the old sessions' TIME_WAIT */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1)
		die(EXIT_TEMP, "listen: setsockopt SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&ss, ss.ss_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) == -1)
		die(EXIT_TEMP, "listen: unable to bind %s", spec);
	if (listen(fd, LISTEN_BACKLOG) == -1)
		die(EXIT_TEMP, "listen: unable to listen on %s", spec);
	return fd;
}

void
smtpd_listen(const char *spec, long max, long nice_incr, long per_client,
    long rate)
{
	static struct listener l;
	struct pollfd pfd[2];
	sigset_t set;
	nfds_t n;
	int r;

	std_fds();
	l.max = max;
	if (per_client > 0 &&
	    perclient_init(&l.clients, max, per_client) == -1)
		die(EXIT_TEMP, "listen: unable to make room to count the "
		    "sessions of each client");
	if (rate > 0 && rate_init(&l.rates, rate) == -1)
		die(EXIT_TEMP, "listen: unable to make room to count the "
		    "connections of each client");
	l.fd = open_socket(spec);
	/* bound (port 25 wants root): root is of no more use */
	priv_drop(USER_SMTPD);
	/* the acceptor loads this program instead of compiling its own */
	sandbox_prepare(SANDBOX_ACCEPT);
	be_nicer(nice_incr);
	/* for the runner, the sessions and their qinjects (lib/batch.c) */
	batch_policy();
	/*
	 * Dispositions as the kernel's defaults: SIGCHLD ignored by whoever
	 * started us would reap the sessions behind our back, and the
	 * count would never go down.
	 */
	(void)signal(SIGCHLD, SIG_DFL);
	(void)signal(SIGTERM, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, &l.oldmask) == -1 ||
	    (l.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		die(EXIT_TEMP, "listen: unable to set up signals");
	/* "smtpd-listen" in ps(1); each session is "smtpd" again */
	if (prctl(PR_GET_NAME, l.comm, 0, 0, 0) == -1)
		strlcpy(l.comm, "smtpd", sizeof(l.comm));
	(void)prctl(PR_SET_NAME, "smtpd-listen", 0, 0, 0);
	log_info("listen address=%s max=%ld nice=%d perclient=%ld rate=%ld",
	    spec, max, getpriority(PRIO_PROCESS, 0), per_client, rate);
	/* from here on in the acceptor: the runner forked before it */
	l.runner = listen_keep(l.sigfd);
	(void)prctl(PR_SET_NAME, "smtpd-accept", 0, 0, 0);
	/*
	 * The time zone of the Received: lines, read once here: each
	 * session inherits it instead of reading /etc/localtime again (7
	 * system calls).  A new zone takes a restart, as for any daemon.
	 */
	tzset();
	env_prepare(&l);
	/* failing (logged), each session tries smtpd's own */
	(void)sandbox_enter(SANDBOX_ACCEPT);
	for (;;) {
		pfd[0].fd = l.sigfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = l.fd;
		pfd[1].events = POLLIN;
		n = 1;
		if (!l.resting && l.running < l.max)
			n = 2;
		else if (!l.resting)
			at_limit(&l);
		if ((r = poll(pfd, n, l.resting ? LISTEN_REST_MS : -1)) == -1) {
			if (errno == EINTR)
				continue;
			die(EXIT_TEMP, "listen: poll");
		}
		if (r == 0) {
			l.resting = 0;
			continue;
		}
		if (pfd[0].revents != 0)
			signals(&l);
		if (n == 2 && (pfd[1].revents & POLLIN) && accept_one(&l))
			return;
	}
}
