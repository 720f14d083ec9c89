/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_checks - control/headerchecks and control/bodychecks: the
 * message, as it streams to qinject, goes through content.c, and what
 * the checks decided for the whole message (refuse, drop, send
 * elsewhere, hold) is carried out when it ends.
 *
 * The checks see smtpd's own Received: line and a policy server's
 * headers as Postfix's cleanup sees its smtpd's, so that the common
 * recipe of removing the submission client's Received: line
 * (/^Received:.* with ESMTPSA/ IGNORE) works as it does there.
 * They run in smtpd, the process that holds the client, so that a
 * refusal is the reply to the end of DATA with the admin's text; mail
 * injected locally is not checked (it comes from the machine's own
 * users).
 */
#include <string.h>

#include "checks.h"
#include "content.h"
#include "dsnparam.h"
#include "log.h"
#include "smtpd.h"

static struct checks	header_table, body_table;

int
session_checks_load(void)
{
	if (checks_load("headerchecks", &header_table, 1) == -1 ||
	    checks_load("bodychecks", &body_table, 0) == -1)
		return -1;
	return 0;
}

/* hit - a check that matched, in the log */
static void
hit(void *arg, const char *where, const char *subject,
    const struct check_action *a, const char *problem)
{
	const struct session *s = arg;

	if (a == NULL) {
		log_warnx("session=%s id=%s %s check: %s: on=\"%.200s\"",
		    s->sid, s->job.id, where, problem, subject);
		return;
	}
	log_info("session=%s ip=%s id=%s %s check action=%s text=\"%.200s\" "
	    "on=\"%.200s\"", s->sid, s->ip, s->job.id, where, a->word,
	    a->verdict == CHECK_REFUSE ? a->refusal.text : a->arg, subject);
}

void
session_checks_start(struct session *s)
{
	s->checking = header_table.n + body_table.n > 0;
	if (s->checking)
		content_init(&s->content, &header_table, &body_table, hit, s);
}

/* add_bccs - each address of list (NUL-terminated, back to back) */
static int
add_bccs(struct session *s, const struct sa *list,
    const struct dsn_rcpt *none)
{
	const char *b;

	for (b = list->s; b != NULL && b < list->s + list->len;
	    b += strlen(b) + 1) {
		if (sa_cats(&s->rcpts, b) == -1 || sa_catc(&s->rcpts, '\0') ==
		    -1 || dsn_list_add(&s->rcpt_dsn, none) == -1)
			return -1;
		s->nrcpt++;
	}
	return 0;
}

/*
 * recipients - the recipients as REDIRECT (the last one: a header
 * check's, else a policy server's) and BCC leave them: 0 or -1
 */
static int
recipients(struct session *s, const struct sa *redirect,
    const struct sa *bcc)
{
	struct dsn_rcpt none;

	memset(&none, 0, sizeof(none));
	if (redirect->len > 0) {
		s->rcpts.len = s->rcpt_dsn.len = 0;
		s->nrcpt = 0;
		if (sa_catb(&s->rcpts, redirect->s, redirect->len) == -1 ||
		    sa_catc(&s->rcpts, '\0') == -1 ||
		    dsn_list_add(&s->rcpt_dsn, &none) == -1)
			return -1;
		s->nrcpt = 1;
	}
	if (add_bccs(s, &s->policy_bcc, &none) == -1 ||
	    (bcc != NULL && add_bccs(s, bcc, &none) == -1))
		return -1;
	return 0;
}

/*
 * session_checks_end - the message has ended: what the content checks
 * still held goes to out, then what they and the policy servers decided
 * for the whole message is carried out; one of CHECKS_*.
 */
int
session_checks_end(struct session *s, struct sa *out)
{
	struct content *c = &s->content;
	const struct sa *redirect = &s->policy_redirect;

	if (s->checking) {
		if (content_end(c, out) == -1 || c->nomem)
			return CHECKS_FAILED;
		if (c->verdict == CHECK_REFUSE)
			return CHECKS_REFUSED;
		if (c->verdict == CHECK_DISCARD)
			return CHECKS_DISCARDED;
		if (c->redirect.len > 0)
			redirect = &c->redirect;
		if (c->hold)	/* qinject gets it with the DSN requests */
			s->mail.dsn.hold = 1;
	}
	if (s->policy_discard == -1)
		return CHECKS_FAILED;
	if (s->policy_discard)
		return CHECKS_DISCARDED;
	if (recipients(s, redirect, s->checking ? &c->bcc : NULL) == -1)
		return CHECKS_FAILED;
	return CHECKS_QUEUE;
}

void
session_checks_feed(struct session *s, const char *p, size_t n,
    struct sa *out)
{
	if (content_feed(&s->content, p, n, out) == -1)
		s->content.nomem = 1;
}
