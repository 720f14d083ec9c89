/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_proxy - the PROXY header of a load balancer: when the peer is
 * listed in control/proxyfrom, the header is read before the greeting
 * (and before the handshake of implicit TLS) and its client becomes
 * the session's client for everything after: relay rules, Received:,
 * the log, AUTH's per-client limits in qpauth, and qinject's
 * environment.  A listed peer that sends no valid header is refused;
 * an unlisted one is never read from here, so its PROXY line meets the
 * SMTP session as an unknown command (500) and changes nothing.
 */
#include <sys/socket.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "proxy.h"
#include "smtpd.h"

#define PROXY_WAIT	30	/* seconds for the header, at most */
#define NOT_NOW	\
	"421 4.3.0 Temporary configuration problem, try again later\r\n"
#define NO_HEADER \
	"421 4.7.0 No valid PROXY header from the balancer: closing\r\n"

/*
 * refuse - the reply and end of a connection that cannot go on.  The
 * peer may have sent more than was read (garbage after a bad header):
 * closing with unread bytes would reset the connection and could
 * destroy the reply before it is read, so say we are done (SHUT_WR)
 * and discard what comes for a moment, until the peer closes.
 */
static void __attribute__((noreturn))
refuse(const char *reply, size_t len)
{
	char junk[4096];
	struct pollfd pfd;
	int i;

	(void)fd_write_all(1, reply, len);
	(void)shutdown(1, SHUT_WR);
	pfd.fd = 0;
	pfd.events = POLLIN;
	for (i = 0; i < 16 && poll(&pfd, 1, 1000) == 1; i++)
		if (read(0, junk, sizeof(junk)) <= 0)
			break;
	exit(0);
}

/*
 * header_wait - how long a balancer may take to send its header, in
 * milliseconds: control/timeoutsmtpd (default 300 s) but at most
 * PROXY_WAIT, since a balancer sends it with the connection.  -1 if
 * the file is broken (logged).
 */
static int
header_wait(void)
{
	long long t;
	int r = ctl_int("timeoutsmtpd", 1, 86400, &t);

	if (r == -1)
		return -1;
	if (r == 0 || t > PROXY_WAIT)
		t = PROXY_WAIT;
	return (int)t * 1000;
}

/*
 * take_client - the header's client becomes the session's, and the
 * environment says so to qinject and anything else that reads
 * tcpserver's variables: TCPREMOTEHOST and TCPREMOTEINFO described the
 * balancer, so they go.
 */
static void
take_client(struct session *s, const struct proxy_hdr *h)
{
	char ip[INET6_ADDRSTRLEN], port[8];

	if (proxy_client(h, ip, sizeof(ip)) == -1)
		diex(EXIT_TEMP, "session=%s proxy header without a client",
		    s->sid);
	snprintf(port, sizeof(port), "%u", h->sport);
	log_info("session=%s proxy from=%s client=%s%s%s:%s version=%d",
	    s->sid, s->ip, h->family == AF_INET6 ? "[" : "", ip,
	    h->family == AF_INET6 ? "]" : "", port, h->version);
	strlcpy(s->ip, ip, sizeof(s->ip));
	strlcpy(s->host, "unknown", sizeof(s->host));
	if (setenv("TCPREMOTEIP", ip, 1) == -1 ||
	    setenv("TCPREMOTEPORT", port, 1) == -1 ||
	    (getenv("REMOTE_ADDR") != NULL &&
	    (setenv("REMOTE_ADDR", ip, 1) == -1 ||
	    setenv("REMOTE_PORT", port, 1) == -1)))
		die(EXIT_TEMP, "session=%s unable to set the environment",
		    s->sid);
	unsetenv("TCPREMOTEHOST");
	unsetenv("TCPREMOTEINFO");
}

/*
 * session_proxy - if the peer is a listed balancer, read its header
 * and take its client; returns only when the session may go on.
 */
void
session_proxy(struct session *s)
{
	static unsigned char buf[PROXY_MAX];
	struct proxy_hdr h;
	int r, wait;

	if ((r = proxy_from_listed(s->ip)) == 0)
		return;
	if (r == -1 || (wait = header_wait()) == -1) {
		log_info("session=%s ip=%s closed reason=proxyfrom_broken",
		    s->sid, s->ip);
		refuse(NOT_NOW, sizeof(NOT_NOW) - 1);
	}
	if (proxy_read(0, wait, buf, &h) == -1) {
		log_info("session=%s proxy from=%s refused reason=%s", s->sid,
		    s->ip, h.why);
		refuse(NO_HEADER, sizeof(NO_HEADER) - 1);
	}
	/*
	 * tcpserver's rules (RELAYCLIENT) were chosen for the balancer's
	 * address, so they would hold for every client behind it: relay
	 * by control/relay, which sees the real client, instead.
	 */
	unsetenv("RELAYCLIENT");
	if (h.is_local) {
		/* a health check, or a client with no address to give */
		log_info("session=%s proxy from=%s client=local version=%d",
		    s->sid, s->ip, h.version);
		return;
	}
	take_client(s, &h);
}
