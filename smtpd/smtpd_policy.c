/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_policy - control/policy: ask policy servers (Postfix's policy
 * delegation protocol, policy.h) about each recipient, after smtpd's
 * own checks have taken it, so that postgrey's greylisting or another
 * server written for Postfix can refuse it or add a header.
 *
 * The servers are asked in the file's order; the first answer other
 * than DUNNO decides (OK: accept, asking no further one).  Each
 * connection is made at the first question and kept for the session,
 * as Postfix keeps its own; one that fails on a kept connection (the
 * server may have closed it while idle) is asked again once on a new
 * one.  A server that cannot be reached, does not answer within
 * control/timeoutpolicy, or answers what policy.c does not take gets
 * "451 4.3.5", as from Postfix, and one log line: a greylisting server
 * that is down defers mail, it does not let everything through.
 *
 * Not asked: local users (-l), relay clients (RELAYCLIENT or
 * control/relay) and authenticated clients, as Postfix is usually set
 * up (permit_mynetworks, permit_sasl_authenticated first), so that a
 * greylisting server does not delay a user's own mail.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "ctl_knob.h"
#include "lmtp_client.h"
#include "log.h"
#include "policy.h"
#include "smtpd.h"

#define PREPEND_MAX	(8 * 1024)	/* header bytes one transaction adds */

static struct {
	struct lmtp_dest	addr[POLICY_MAX];
	int			fd[POLICY_MAX];	/* -1: not connected */
	size_t			n;
	long long		timeout;	/* seconds, for one question */
} pol;

/*
 * session_policy_load - control/policy and control/timeoutpolicy: 0,
 * or -1 (logged) when either is broken.
 */
int
session_policy_load(void)
{
	size_t k;

	if (ctl_knob("timeoutpolicy", &pol.timeout) == -1 ||
	    policy_load(pol.addr, &pol.n) == -1)
		return -1;
	for (k = 0; k < pol.n; k++)
		pol.fd[k] = -1;
	return 0;
}

/* request - the question about rcpt, in the protocol's attributes */
static int
request(const struct session *s, const char *rcpt, struct sa *req)
{
	const char *env;
	char n[32];
	int r = 0;

	(void)snprintf(n, sizeof(n), "%zu", s->nrcpt);
	r |= policy_attr(req, "request", "smtpd_access_policy");
	r |= policy_attr(req, "protocol_state", "RCPT");
	r |= policy_attr(req, "protocol_name", s->is_esmtp ? "ESMTP" : "SMTP");
	r |= policy_attr(req, "helo_name", s->helo);
	r |= policy_attr(req, "queue_id", "");
	r |= policy_attr(req, "sender", s->sender);
	r |= policy_attr(req, "recipient", rcpt);
	r |= policy_attr(req, "recipient_count", n);
	r |= policy_attr(req, "client_address", s->ip);
	r |= policy_attr(req, "client_name", s->host);
	/* without a lookup of its own, smtpd knows one name at most */
	r |= policy_attr(req, "reverse_client_name",
	    s->client_ptr != CLIENT_PTR_UNASKED ? s->ptr : s->host);
	env = getenv("TCPREMOTEPORT");
	r |= policy_attr(req, "client_port", env != NULL ? env : "");
	env = getenv("TCPLOCALIP");
	r |= policy_attr(req, "server_address", env != NULL ? env : "");
	env = getenv("TCPLOCALPORT");
	r |= policy_attr(req, "server_port", env != NULL ? env : "");
	/* one value for every recipient of a transaction (postgrey's) */
	(void)snprintf(n, sizeof(n), "%s.%u", s->sid, s->transactions);
	r |= policy_attr(req, "instance", n);
	(void)snprintf(n, sizeof(n), "%llu", s->mail.size);
	r |= policy_attr(req, "size", n);
	r |= policy_attr(req, "encryption_protocol", s->tls_active ?
	    stls_version(&s->tls) : "");
	r |= policy_attr(req, "encryption_cipher", s->tls_active ?
	    stls_cipher(&s->tls) : "");
	r |= policy_attr(req, "mail_version", "qpost");
	return r | sa_catc(req, '\n');
}

static const char NO_ANSWER[] = "no answer in time (control/timeoutpolicy)";
static const char CLOSED[] = "the server closed the connection";

/*
 * ask - send req to server k and read its reply into a: 0, or -1 with
 * why (a constant, or errno's text; CLOSED when the server had closed
 * the connection).
 */
static int
ask(size_t k, const struct sa *req, struct policy_action *a,
    const char **why)
{
	char store[POLICY_REPLY_MAX];
	struct buf b;
	long long deadline = clock_ms() + pol.timeout * 1000;
	ssize_t got;
	int end;

	buf_init(&b, pol.fd[k], store, sizeof(store));
	b.timeout = (int)(pol.timeout * 1000);
	if (buf_put(&b, req->s, req->len) == -1 || buf_flush(&b) == -1) {
		*why = errno == EPIPE || errno == ECONNRESET ? CLOSED :
		    errno == ETIMEDOUT ? NO_ANSWER : strerror(errno);
		return -1;
	}
	while ((end = policy_reply_end(store, b.len)) == 0) {
		if ((b.timeout = (int)(deadline - clock_ms())) <= 0 ||
		    (got = buf_fill(&b)) == -1) {
			*why = b.timeout <= 0 || errno == ETIMEDOUT ?
			    NO_ANSWER : errno == ECONNRESET ? CLOSED :
			    strerror(errno);
			return -1;
		}
		if (got == 0) {
			*why = CLOSED;
			return -1;
		}
	}
	if (end == -1) {
		*why = memchr(store, '\0', b.len) != NULL ?
		    "the reply holds a NUL" : "the reply is too long";
		return -1;
	}
	if (b.len != (size_t)end) {
		*why = "the server sent more than one reply";
		return -1;
	}
	return policy_reply_parse(store, (size_t)end, a, why);
}

/*
 * question - server k's answer; when a kept connection turns out closed
 * (the server may close one that was idle), asked again once on a new
 * one.  0, or -1 (logged).
 */
static int
question(const struct session *s, size_t k, const struct sa *req,
    struct policy_action *a)
{
	const struct lmtp_dest *d = &pol.addr[k];
	char failed[256];
	const char *why = NULL;
	int tries, was_kept;

	for (tries = 0; tries < 2; tries++) {
		was_kept = pol.fd[k] != -1;
		if (!was_kept && (pol.fd[k] = lmtp_dest_connect(d,
		    (int)pol.timeout, failed, sizeof(failed))) == -1)
			why = failed;
		else if (ask(k, req, a, &why) == 0)
			return 0;
		if (pol.fd[k] != -1) {
			close(pol.fd[k]);
			pol.fd[k] = -1;
		}
		if (!was_kept || why != CLOSED)
			break;
	}
	log_warnx("session=%s ip=%s policy=%s%s unusable: %s", s->sid, s->ip,
	    d->is_unix ? "" : "inet:", d->name, why);
	return -1;
}

/* prepend - keep a header a server asked for, once, within PREPEND_MAX */
static void
prepend(struct session *s, const char *header)
{
	size_t n = strlen(header);
	const char *p;

	for (p = s->prepend.s; p != NULL && p < s->prepend.s + s->prepend.len;
	    p = strchr(p, '\n') + 1)
		if (strncmp(p, header, n) == 0 && p[n] == '\n')
			return;
	if (s->prepend.len + n + 1 > PREPEND_MAX ||
	    sa_catb(&s->prepend, header, n) == -1 ||
	    sa_catc(&s->prepend, '\n') == -1)
		log_warnx("session=%s policy header not added: too many",
		    s->sid);
}

/*
 * whole_message - DISCARD, REDIRECT, BCC or HOLD: kept for the end of
 * the message (smtpd_checks.c carries them out; HOLD rides in the DSN
 * requests to qinject), and logged now
 */
static void
whole_message(struct session *s, const char *rcpt,
    const struct policy_action *a)
{
	static const char *const word[] = {
		[POLICY_DISCARD] = "DISCARD", [POLICY_REDIRECT] = "REDIRECT",
		[POLICY_BCC] = "BCC", [POLICY_HOLD] = "HOLD",
	};
	int r = 0;

	if (a->verdict == POLICY_DISCARD)
		s->policy_discard = 1;
	else if (a->verdict == POLICY_HOLD)
		s->mail.dsn.hold = 1;
	else if (a->verdict == POLICY_REDIRECT)
		r = sa_copys(&s->policy_redirect, a->text);
	else
		r = content_bcc_add(&s->policy_bcc, &s->policy_nbcc, a->text);
	if (r == -1)
		s->policy_discard = -1;	/* the message gets 451 */
	log_info("session=%s ip=%s rcpt=<%s> policy action=%s text=\"%s\"",
	    s->sid, s->ip, rcpt, word[a->verdict], a->text);
}

/*
 * session_policy_rcpt - may rcpt be accepted, by the policy servers?
 * 1; 0, refused, with the reply in line; -1, a temporary failure, with
 * the reply in line.
 */
int
session_policy_rcpt(struct session *s, const char *rcpt, char *line,
    size_t size)
{
	struct policy_action a;
	struct sa req = SA_INIT;
	size_t k;

	if (pol.n == 0 || session_is_own(s))
		return 1;
	if (request(s, rcpt, &req) == -1) {
		sa_free(&req);
		(void)strlcpy(line, "452 4.3.0 Out of memory", size);
		return -1;
	}
	for (k = 0; k < pol.n; k++) {
		if (question(s, k, &req, &a) == -1) {
			sa_free(&req);
			(void)strlcpy(line, "451 4.3.5 Server configuration "
			    "problem", size);
			return -1;
		}
		if (a.ignored != NULL)
			log_info("session=%s ip=%s rcpt=<%s> policy action=%s "
			    "taken as DUNNO text=\"%s\"", s->sid, s->ip, rcpt,
			    a.ignored, a.text);
		if (a.verdict == POLICY_PREPEND)
			prepend(s, a.text);
		if (a.verdict >= POLICY_DISCARD)
			whole_message(s, rcpt, &a);
		if (a.verdict == POLICY_OK || a.verdict == POLICY_REFUSE)
			break;
	}
	sa_free(&req);
	if (k == pol.n || a.verdict != POLICY_REFUSE)
		return 1;
	log_info("session=%s ip=%s refused rcpt=<%s> policy=%d text=\"%s\"",
	    s->sid, s->ip, rcpt, a.code, a.text);
	(void)snprintf(line, size, "%d %s <%s>: Recipient address rejected: "
	    "%s", a.code, a.status, rcpt, a.text);
	return 0;
}
