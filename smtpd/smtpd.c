/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd - one SMTP session on fd 0 and 1, for tcpserver, s6, inetd or
 * systemd Accept=yes; or, with -L, its own listener, which forks one
 * such session per connection (smtpd_listen.c).
 *
 * Runs as qpsmtpd (tcpserver -u/-g, or it drops there itself when
 * started as root).  It is the only program that meets strangers: it
 * trusts nothing the client sends, keeps its memory bounded whatever
 * arrives, and hands each accepted message to qinject -Q over pipes;
 * the queue sees it only through drop/, like any local user.  It
 * answers 250 only once qinject has exited 0.
 *
 * Behind a load balancer listed in control/proxyfrom it first reads
 * the balancer's PROXY header (smtpd_proxy.c) and serves the client
 * the header names, as if it had connected itself.
 *
 * With -l (sendmail -bs) it serves a local user on a pipe instead: it
 * keeps that user's uid, so qinject queues the message as that user's
 * (who may claim only their own senders unless trusted), and relaying
 * is allowed, as for any mail a local user injects.  -l refuses to run
 * on a network socket, so a tcpserver line with -l opens no relay.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_knob.h"
#include "log.h"
#include "paths.h"
#include "priv.h"
#include "queue_trust.h"
#include "relay.h"
#include "sandbox.h"
#include "smtpd.h"
#include "smtpd_listen.h"
#include "smtpd_runner.h"

#define USAGE	"usage: smtpd [-ahls] [-L address:port [-c max] [-C max] " \
		"[-R rate] [-n nice]]"
#define NOT_NOW	"421 4.3.0 Temporary configuration problem, try again later\r\n"

/* peer - the client's address: TCPREMOTEIP, else getpeername(0). */
static void
peer(struct session *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const char *ip = getenv("TCPREMOTEIP"), *host;

	if (ip == NULL)
		ip = getenv("REMOTE_ADDR");	/* systemd Accept=yes */
	if (ip != NULL && strlen(ip) < sizeof(s->ip))
		strlcpy(s->ip, ip, sizeof(s->ip));
	else if (getpeername(0, (struct sockaddr *)&ss, &len) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, len, s->ip, sizeof(s->ip),
	    NULL, 0, NI_NUMERICHOST) == 0)
		;
	else
		strlcpy(s->ip, "unknown", sizeof(s->ip));
	host = getenv("TCPREMOTEHOST");
	strlcpy(s->host, host != NULL && host[0] != '\0' &&
	    strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == strlen(host) ?
	    host : "unknown", sizeof(s->host));
}

/* local_peer - -l: the peer is a local user; never a network one. */
static void
local_peer(struct session *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(0, (struct sockaddr *)&ss, &len) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
		diex(EXIT_PERM, "-l is for local users (sendmail -bs): "
		    "refusing a network connection");
	strlcpy(s->ip, "local", sizeof(s->ip));
	snprintf(s->host, sizeof(s->host), "uid-%lu", (unsigned long)getuid());
}

/* knob - an integer control file (ctl_knob.c); -1 if broken. */
static int
knob(const char *name, long long *v)
{
	return ctl_knob(name, v) == -1 ? -1 : 0;
}

/*
 * session_load - the settings of control/ for this session.  Returns
 * 0, or -1 when a file is broken (logged): the session then refuses
 * with a temporary error rather than guess.
 */
int
session_load(struct session *s)
{
	struct settings *t = &s->set;
	long long db;
	int r;

	if (trust_me(&t->me) == -1 || (r = ctl_list("locals", &t->locals)) ==
	    -1)
		return -1;
	if (r == 0 && (sa_catb(&t->locals, t->me.s, t->me.len) == -1 ||
	    sa_catc(&t->locals, '\0') == -1))
		return -1;
	if (ctl_list("badmailfrom", &t->badmailfrom) == -1 ||
	    ctl_list("badrcptto", &t->badrcptto) == -1)
		return -1;
	if (knob("databytes", &db) == -1 ||
	    knob("maxrcpt", &t->maxrcpt) == -1 ||
	    knob("maxerrors", &t->maxerrors) == -1 ||
	    knob("timeoutsmtpd", &t->timeout) == -1 ||
	    knob("timeoutsession", &t->session_timeout) == -1 ||
	    knob("greetdelay", &t->greetdelay) == -1 ||
	    knob("softbounce", &t->soft_bounce) == -1 ||
	    knob("rejectunknownsender", &t->reject_unknown_sender) == -1 ||
	    knob("rejectbadhelo", &t->reject_bad_helo) == -1 ||
	    knob("lookupclientname", &t->lookup_client_name) == -1 ||
	    knob("rejectunknownclient", &t->reject_unknown_client) == -1 ||
	    session_policy_load() == -1 || session_checks_load() == -1)
		return -1;
	t->databytes = (unsigned long long)db;
	/* a broken certificate only costs STARTTLS (454), not the session */
	s->tls_ok = stls_load(&s->tls);
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct session s;
	const char *listen_on = NULL;
	long max = 0, per_client = 0, rate = 0, nice_incr = -1;
	int ch, loaded, qerr;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "aC:c:hlL:n:R:s")) != -1) {
		switch (ch) {
		case 'a':
			s.needs_auth = 1;	/* a submission port */
			break;
		case 'c':
			if ((max = smtpd_listen_max(optarg)) == -1)
				diex(EXIT_PERM, "-c %s: give the most sessions "
				    "at once, 1 to %d", optarg,
				    LISTEN_MAX_LIMIT);
			break;
		case 'C':
			if ((per_client = smtpd_listen_max(optarg)) == -1)
				diex(EXIT_PERM, "-C %s: give the most sessions "
				    "at once from one client, 1 to %d", optarg,
				    LISTEN_MAX_LIMIT);
			break;
		case 'L':
			listen_on = optarg;	/* smtpd_listen.c */
			break;
		case 'R':
			if ((rate = smtpd_listen_max(optarg)) == -1)
				diex(EXIT_PERM, "-R %s: give the most new "
				    "connections a minute from one client, 1 to "
				    "%d", optarg, LISTEN_MAX_LIMIT);
			break;
		case 'n':
			if ((nice_incr = smtpd_listen_nice(optarg)) == -1)
				diex(EXIT_PERM, "-n %s: give how much nicer "
				    "than its caller the listener runs, 0 to "
				    "%d", optarg, LISTEN_NICE_LIMIT);
			break;
		case 'h':
			(void)fd_write_all(1, USAGE "\n", sizeof(USAGE));
			return 0;
		case 'l':
			s.is_local = 1;
			break;
		case 's':
			s.implicit_tls = 1;
			break;
		default:
			diex(EXIT_PERM, "%s", USAGE);
		}
	}
	if (optind != argc ||
	    ((max != 0 || per_client != 0 || rate != 0 || nice_incr != -1) &&
	    listen_on == NULL))
		diex(EXIT_PERM, "%s", USAGE);
	if (listen_on != NULL && s.is_local)
		diex(EXIT_PERM, "-l (a local user on a pipe) and -L (a "
		    "network listener) do not go together");
	/* returns in each session's process, its ids dropped */
	if (listen_on != NULL)
		smtpd_listen(listen_on, max != 0 ? max : LISTEN_MAX_DEFAULT,
		    nice_incr != -1 ? nice_incr : LISTEN_NICE_DEFAULT,
		    per_client, rate);
	/* -l keeps the local user's uid: qinject runs as that user */
	else if (!s.is_local && !priv_single_user())
		priv_drop(USER_SMTPD);
	signal(SIGPIPE, SIG_IGN);
	/* what qinject may have signed (qpost-qpdkim(8)): AUTH adds "auth" */
	if (s.is_local)
		setenv("QPOST_SIGN", "local", 1);
	else
		unsetenv("QPOST_SIGN");
	/* what a filter's milter hears of the client: set by HELO and AUTH */
	unsetenv("QPOST_HELO");
	unsetenv("QPOST_AUTH_USER");
	/* qinject's runner: forked with no secret, outside the sandbox */
	(void)runner_start();
	snprintf(s.sid, sizeof(s.sid), "%ld", (long)getpid());
	buf_init(&s.in, 0, s.inbuf, sizeof(s.inbuf));
	buf_init(&s.out, 1, s.outbuf, sizeof(s.outbuf));
	if (s.is_local)
		local_peer(&s);
	else
		peer(&s);
	/*
	 * Control files and the TLS key before the sandbox, the sandbox
	 * before the first byte from the network (the PROXY header).
	 * Under -L a session is in its acceptor's filter from its start
	 * (lib/sandbox.c), and sandbox_enter returns at once.
	 */
	s.queue_fd = open(paths_queue(), O_PATH | O_DIRECTORY | O_CLOEXEC);
	qerr = errno;
	loaded = s.queue_fd != -1 && session_load(&s) == 0;
	/* DNSBL lookups before the sandbox, when the client is known */
	if (loaded)
		session_dnsbl(&s, DNSBL_EARLY);
	(void)sandbox_enter(SANDBOX_SMTPD);
	/* a listed balancer's header first: it names the client */
	if (!s.is_local)
		session_proxy(&s);
	if (loaded) {
		session_dnsbl(&s, DNSBL_LATE);
		session_access(&s);
	}
	if (s.client_ptr != CLIENT_PTR_UNASKED)
		log_info("session=%s connect ip=%s host=%s ptr=%s", s.sid,
		    s.ip, s.host, s.ptr);
	else
		log_info("session=%s connect ip=%s host=%s", s.sid, s.ip,
		    s.host);
	if (!loaded) {
		if (s.queue_fd == -1) {
			errno = qerr;
			log_warn("unable to open the queue %s", paths_queue());
		}
		(void)fd_write_all(1, NOT_NOW, sizeof(NOT_NOW) - 1);
		return 0;
	}
	if (s.is_local)
		s.may_relay = 1;
	else
		s.may_relay = getenv("RELAYCLIENT") != NULL ? 1 :
		    relay_allowed(s.ip);
	s.deadline = time(NULL) + s.set.session_timeout;
	session_run(&s);
#ifndef __SANITIZE_ADDRESS__
	/*
	 * Replies and log lines are written as they are made, so nothing
	 * is left to flush; the libraries' destructors (and LeakSanitizer's
	 * check, kept in the sanitizer build) only cost a session CPU.
	 */
	_exit(0);
#endif
	return 0;
}
