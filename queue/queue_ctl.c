/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_ctl - parse and write the command lines of the control FIFO.
 * See queue_ctl.h.  The parser is the only thing between whatever was
 * written into the FIFO and sched's actions, so it accepts exactly the
 * documented forms and nothing else.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "queue_ctl.h"

static const char *const verbs[] = {
	[QCTL_FLUSH] = "flush",
	[QCTL_HOLD] = "hold",
	[QCTL_RELEASE] = "release",
	[QCTL_DELETE] = "delete",
	[QCTL_BOUNCE] = "bounce",
	[QCTL_RELOAD] = "reload",
};
#define NVERBS	(sizeof(verbs) / sizeof(verbs[0]))

const char *
qctl_verb_name(enum qctl_verb v)
{
	return (size_t)v < NVERBS ? verbs[v] : "?";
}

/* qctl_verb - the verb named s (NUL-terminated); -1 if none. */
int
qctl_verb(const char *s, enum qctl_verb *v)
{
	size_t i;

	for (i = 0; i < NVERBS; i++)
		if (strcmp(s, verbs[i]) == 0) {
			*v = (enum qctl_verb)i;
			return 0;
		}
	return -1;
}

/*
 * qctl_domain_ok - an ASCII domain name: labels of letters, digits and
 * '-' (not first or last), joined by single dots, 253 bytes at most.
 */
int
qctl_domain_ok(const char *d, size_t n)
{
	size_t i, label = 0;
	char c;

	if (n == 0 || n > QCTL_DOMAIN_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		c = d[i];
		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && d[n - 1] != '-';
}

/*
 * qctl_parse - one line of n bytes, without its newline, into c.
 * Returns 0, or -1 with *why saying what is wrong (for the log).
 */
int
qctl_parse(const char *line, size_t n, struct qctl_cmd *c, const char **why)
{
	char word[16];
	const char *sp, *arg;
	size_t wlen, alen, i;
	enum qctl_verb v;

	memset(c, 0, sizeof(*c));
	if (n > QCTL_LINE_MAX)
		return (*why = "line too long", -1);
	if (memchr(line, '\0', n) != NULL)
		return (*why = "NUL byte", -1);
	sp = memchr(line, ' ', n);
	wlen = sp != NULL ? (size_t)(sp - line) : n;
	if (wlen == 0 || wlen >= sizeof(word))
		return (*why = "unknown command", -1);
	memcpy(word, line, wlen);
	word[wlen] = '\0';
	if (qctl_verb(word, &v) == -1)
		return (*why = "unknown command", -1);
	c->verb = v;
	arg = sp != NULL ? sp + 1 : line + n;
	alen = sp != NULL ? n - wlen - 1 : 0;
	if (sp != NULL && alen == 0)
		return (*why = "space without an argument", -1);
	if (v == QCTL_FLUSH) {
		if (sp == NULL)
			return 0;
		if (!qctl_domain_ok(arg, alen))
			return (*why = "bad domain", -1);
		for (i = 0; i < alen; i++)
			c->domain[i] = (char)(arg[i] >= 'A' && arg[i] <= 'Z' ?
			    arg[i] - 'A' + 'a' : arg[i]);
		c->domain[alen] = '\0';
		return 0;
	}
	if (v == QCTL_RELOAD)
		return sp == NULL ? 0 : (*why = "reload takes no argument", -1);
	if (sp == NULL)
		return (*why = "no queue id", -1);
	if (alen != QID_LEN || !qid_valid(arg, alen))
		return (*why = "bad queue id", -1);
	memcpy(c->id, arg, QID_LEN);
	c->id[QID_LEN] = '\0';
	return 0;
}

/*
 * qctl_format - the line for c, newline included, into buf; its
 * length, or -1 (EINVAL) when c is not a command qctl_parse accepts.
 */
int
qctl_format(const struct qctl_cmd *c, char *buf, size_t size)
{
	const char *arg = c->verb == QCTL_FLUSH ? c->domain : c->id;
	struct qctl_cmd check;
	const char *why;
	int n;

	if ((size_t)c->verb >= NVERBS)
		return (errno = EINVAL, -1);
	n = snprintf(buf, size, "%s%s%s\n", verbs[c->verb],
	    arg[0] != '\0' ? " " : "", arg);
	if (n < 0 || (size_t)n >= size ||
	    qctl_parse(buf, (size_t)n - 1, &check, &why) == -1)
		return (errno = EINVAL, -1);
	return n;
}
