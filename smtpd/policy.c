/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * policy - the policy delegation protocol's bytes and actions.  See
 * policy.h.
 *
 * The actions are access(5)'s, as a policy server may answer them;
 * DISCARD, REDIRECT, BCC and HOLD are carried out for the whole
 * message, as header checks carry them out; FILTER, which needs what
 * smtpd does not have, is taken as DUNNO and named for the log, since
 * accepting and delivering loses less than a guess at what it meant.
 * A name that is not an action at all (a Postfix restriction such as
 * permit_mynetworks) is an error, as it is to Postfix.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "ctl.h"
#include "log.h"
#include "milter.h"
#include "policy.h"
#include "sa.h"

/* the actions that change nothing here, with why */
static const char *const dunno_like[] = {
	"DEFER_IF_REJECT", "WARN", "INFO", "FILTER",
};

int
policy_addr_parse(const char *line, struct lmtp_dest *d)
{
	unsigned char bin[sizeof(struct in6_addr)];

	if (milter_dest_parse(line, d) == -1)
		return -1;
	/* Postfix would take a blank as the end of the name */
	if (d->is_unix)
		return strpbrk(d->path, " \t") == NULL ? 0 : -1;
	/* numeric: smtpd looks no name up for a policy server */
	return inet_pton(strchr(d->host, ':') != NULL ? AF_INET6 : AF_INET,
	    d->host, bin) == 1 ? 0 : -1;
}

int
policy_load(struct lmtp_dest addr[POLICY_MAX], size_t *n)
{
	struct sa list = SA_INIT;
	const char *p;
	int r, line = 0;

	*n = 0;
	if ((r = ctl_list("policy", &list)) == -1) {
		sa_free(&list);
		return -1;
	}
	for (p = list.s; r == 1 && p < list.s + list.len; p += strlen(p) + 1) {
		line++;
		if (*n == POLICY_MAX) {
			log_warnx("control file policy: more than %d servers",
			    POLICY_MAX);
			r = -1;
		} else if (policy_addr_parse(p, &addr[*n]) == -1) {
			log_warnx("control file policy: entry %d: \"%s\" is "
			    "not unix:/path, inet:ADDRESS:PORT or "
			    "inet:[ADDRESS]:PORT", line, p);
			r = -1;
		} else
			(*n)++;
	}
	sa_free(&list);
	return r == -1 ? -1 : 0;
}

int
policy_attr(struct sa *req, const char *name, const char *value)
{
	size_t n;

	for (n = 0; value[n] != '\0'; n++)
		if ((unsigned char)value[n] < 0x20 || value[n] == 0x7f)
			break;
	if (sa_cats(req, name) == -1 || sa_catc(req, '=') == -1 ||
	    sa_catb(req, value, n) == -1 || sa_catc(req, '\n') == -1)
		return -1;
	return 0;
}

int
policy_reply_end(const char *p, size_t n)
{
	const char *e;

	if (memchr(p, '\0', n) != NULL)
		return -1;
	if (n > 0 && p[0] == '\n')
		return 1;
	if ((e = memmem(p, n, "\n\n", 2)) != NULL &&
	    e + 2 - p <= POLICY_REPLY_MAX)
		return (int)(e + 2 - p);
	if (n >= POLICY_REPLY_MAX)
		return -1;
	return 0;
}

/* set_text - src, made printable ASCII and cut, into a->text */
static void
set_text(struct policy_action *a, const char *src)
{
	size_t k;

	for (k = 0; src[k] != '\0' && k < POLICY_TEXT_MAX; k++)
		a->text[k] = (unsigned char)src[k] < 0x20 ||
		    (unsigned char)src[k] > 0x7e ? '?' : src[k];
	a->text[k] = '\0';
}

/*
 * status_in - an enhanced status code of class cls (RFC 3463) at the
 * start of text, and where the text after it starts; NULL if none.
 */
static const char *
status_in(const char *text, char cls, char *status, size_t size)
{
	size_t k = 2, digits;
	int dots = 0;

	if (text[0] != cls || text[1] != '.')
		return NULL;
	while (dots < 2) {
		for (digits = 0; text[k] >= '0' && text[k] <= '9'; k++)
			digits++;
		if (digits < 1 || digits > 3)
			return NULL;
		if (++dots < 2) {
			if (text[k] != '.')
				return NULL;
			k++;
		}
	}
	if ((text[k] != ' ' && text[k] != '\0') || k >= size)
		return NULL;
	memcpy(status, text, k);
	status[k] = '\0';
	return text + k + (text[k] == ' ');
}

int
policy_refuse(struct policy_action *a, int code, const char *dflt,
    const char *text, const char *none)
{
	const char *rest;

	a->verdict = POLICY_REFUSE;
	a->code = code;
	(void)strlcpy(a->status, dflt, sizeof(a->status));
	if ((rest = status_in(text, dflt[0], a->status,
	    sizeof(a->status))) != NULL)
		text = rest;
	set_text(a, *text != '\0' ? text : none);
	return 0;
}

int
policy_is_header(const char *text)
{
	size_t k;

	for (k = 0; text[k] != '\0' && text[k] != ':'; k++)
		if ((unsigned char)text[k] < 33 || (unsigned char)text[k] > 126)
			return 0;
	return k > 0 && text[k] == ':';
}

int
policy_action_parse(const char *value, struct policy_action *a)
{
	struct addr ad;
	char word[32];
	const char *text;
	size_t n, i;

	memset(a, 0, sizeof(*a));
	n = strcspn(value, " \t");
	if (n == 0 || n >= sizeof(word))
		return -1;
	memcpy(word, value, n);
	word[n] = '\0';
	for (text = value + n; *text == ' ' || *text == '\t'; text++)
		;
	if (n == 3 && (word[0] == '4' || word[0] == '5') &&
	    strspn(word, "0123456789") == 3)
		return policy_refuse(a, atoi(word), word[0] == '4' ? "4.7.1" :
		    "5.7.1", text, "Access denied");
	/* access(5): an all-numerical result (pop-before-smtp's) is OK */
	if ((strspn(word, "0123456789") == n && *text == '\0') ||
	    strcasecmp(word, "OK") == 0) {
		a->verdict = POLICY_OK;
		return 0;
	}
	if (strcasecmp(word, "DUNNO") == 0)
		return 0;
	if (strcasecmp(word, "REJECT") == 0)
		return policy_refuse(a, 550, "5.7.1", text, "Access denied");
	if (strcasecmp(word, "DEFER") == 0 ||
	    strcasecmp(word, "DEFER_IF_PERMIT") == 0)
		return policy_refuse(a, 450, "4.7.1", text, "Try again later");
	if (strcasecmp(word, "PREPEND") == 0) {
		/* whole or not at all: a header cut short may lose its ':' */
		if (!policy_is_header(text) || strlen(text) > POLICY_TEXT_MAX)
			return -1;
		a->verdict = POLICY_PREPEND;
		set_text(a, text);
		return 0;
	}
	if (strcasecmp(word, "DISCARD") == 0 || strcasecmp(word, "HOLD") == 0) {
		a->verdict = word[0] == 'D' || word[0] == 'd' ? POLICY_DISCARD :
		    POLICY_HOLD;
		set_text(a, text);
		return 0;
	}
	if (strcasecmp(word, "REDIRECT") == 0 || strcasecmp(word, "BCC") == 0) {
		/* an address whole, or not at all: a cut one is another */
		if (strlen(text) > POLICY_TEXT_MAX ||
		    !addr_parse(text, strlen(text), &ad, 0))
			return -1;
		a->verdict = word[0] == 'B' || word[0] == 'b' ? POLICY_BCC :
		    POLICY_REDIRECT;
		set_text(a, text);
		return 0;
	}
	for (i = 0; i < sizeof(dunno_like) / sizeof(dunno_like[0]); i++)
		if (strcasecmp(word, dunno_like[i]) == 0) {
			a->ignored = dunno_like[i];
			set_text(a, text);
			return 0;
		}
	return -1;
}

int
policy_reply_parse(const char *p, size_t n, struct policy_action *a,
    const char **why)
{
	char value[POLICY_REPLY_MAX + 1];
	const char *line, *lf, *eq;
	size_t len;
	int has_action = 0;

	if (n > POLICY_REPLY_MAX) {
		*why = "the reply is too long";
		return -1;
	}
	for (line = p; line < p + n && *line != '\n'; line = lf + 1) {
		if ((lf = memchr(line, '\n', (size_t)(p + n - line))) == NULL)
			break;
		len = (size_t)(lf - line);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if ((eq = memchr(line, '=', len)) == NULL || eq == line) {
			*why = "a line of the reply is not name=value";
			return -1;
		}
		if ((size_t)(eq - line) != 6 || memcmp(line, "action", 6) != 0)
			continue;	/* other attributes mean nothing here */
		if (has_action++) {
			*why = "the reply has two actions";
			return -1;
		}
		memcpy(value, eq + 1, len - 7);
		value[len - 7] = '\0';
		if (policy_action_parse(value, a) == -1) {
			*why = "the reply's action is unknown or malformed";
			return -1;
		}
	}
	if (!has_action) {
		*why = "the reply has no action";
		return -1;
	}
	return 0;
}
