/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * check_content - qpost-check -m: a message from standard input through
 * control/headerchecks and control/bodychecks as smtpd would put it,
 * so that an admin sees which rule takes which field or line before
 * the tables meet real mail (Postfix admins use postmap -q for this).
 * It prints each match and what the message would come to, and writes
 * nothing else.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_content.h"
#include "checks.h"
#include "content.h"
#include "sa.h"

/* said - one match, or the problem that kept a rule from deciding */
static void
said(void *arg, const char *where, const char *subject,
    const struct check_action *a, const char *problem)
{
	(void)arg;
	if (a == NULL)
		printf("%s: %s: %.200s\n", where, problem, subject);
	else
		printf("%s: %s%s%s: %.200s\n", where, a->word,
		    *a->arg != '\0' ? " " : "", a->verdict == CHECK_REFUSE ?
		    a->refusal.text : a->arg, subject);
}

/* verdict - what smtpd would do with the message */
static void
verdict(const struct content *c)
{
	const char *b;

	if (c->verdict == CHECK_REFUSE) {
		printf("verdict: refused with %d %s %s\n", c->refusal.code,
		    c->refusal.status, c->refusal.text);
		return;
	}
	if (c->verdict == CHECK_DISCARD) {
		printf("verdict: discarded (the client is told it was "
		    "queued)\n");
		return;
	}
	printf("verdict: queued%s", c->hold ? " held (qctl release "
	    "delivers it)" : "");
	if (c->redirect.len > 0)
		printf(", for %.*s only", (int)c->redirect.len, c->redirect.s);
	for (b = c->bcc.s; b != NULL && b < c->bcc.s + c->bcc.len;
	    b += strlen(b) + 1)
		printf(", a copy for %s", b);
	printf("\n");
}

int
check_message(int fd)
{
	static struct checks header, body;
	struct content c;
	struct sa out = SA_INIT;
	char buf[8192];
	ssize_t n;
	int r = -1;

	if (checks_load("headerchecks", &header, 1) == -1 ||
	    checks_load("bodychecks", &body, 0) == -1)
		return -1;
	if (header.n + body.n == 0)
		printf("no rules: control/headerchecks and bodychecks are "
		    "absent or empty\n");
	memset(&c, 0, sizeof(c));
	content_init(&c, &header, &body, said, NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n == -1 &&
	    errno == EINTR)) {
		if (n > 0 && content_feed(&c, buf, (size_t)n, &out) == -1)
			goto done;
		out.len = 0;
	}
	if (n == -1 || content_end(&c, &out) == -1 || c.nomem)
		goto done;
	verdict(&c);
	r = 0;
done:
	content_free(&c);
	sa_free(&out);
	checks_free(&header);
	checks_free(&body);
	return r;
}
