/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_cmd - the command parser of smtpd_cmd.h: split one command line
 * into verb and argument, and check the arguments of MAIL, RCPT and
 * BDAT strictly (RFC 5321 4.1.1, 4.1.2; RFC 1870, 6152, 6531, 4954,
 * 3030, 3461).  Everything here comes from the network client and is
 * hostile: every function takes a pointer and a length, never reads
 * past them, and accepts or refuses without repairing anything.
 */
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "dsnparam.h"
#include "smtpd_cmd.h"

static const struct {
	const char	*name;
	enum smtp_verb	 verb;
} verbs[] = {
	{ "HELO", VERB_HELO },
	{ "EHLO", VERB_EHLO },
	{ "MAIL", VERB_MAIL },
	{ "RCPT", VERB_RCPT },
	{ "DATA", VERB_DATA },
	{ "BDAT", VERB_BDAT },
	{ "RSET", VERB_RSET },
	{ "NOOP", VERB_NOOP },
	{ "QUIT", VERB_QUIT },
	{ "VRFY", VERB_VRFY },
	{ "EXPN", VERB_EXPN },
	{ "HELP", VERB_HELP },
	{ "STARTTLS", VERB_STARTTLS },
	{ "AUTH", VERB_AUTH },
};

#define NVERBS	(sizeof(verbs) / sizeof(verbs[0]))

/*
 * cmd_parse - split a command line (CRLF removed) of n octets into its
 * verb and argument.  The verb ends at the first space or the end; the
 * argument starts after exactly that one space (further spaces belong
 * to the argument, for the verb's parser to refuse).  Returns -1 if the
 * line holds a NUL or a control octet other than TAB, else 0; an
 * unknown verb is VERB_UNKNOWN with the argument still split.
 */
int
cmd_parse(const char *s, size_t n, struct smtp_cmd *cmd)
{
	size_t i, vlen;

	cmd->verb = VERB_UNKNOWN;
	cmd->arg = "";
	cmd->arglen = 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 32 && c != '\t') || c == 127)
			return -1;
	}
	for (vlen = 0; vlen < n && s[vlen] != ' '; vlen++)
		;
	for (i = 0; i < NVERBS; i++) {
		if (strlen(verbs[i].name) == vlen &&
		    strncasecmp(s, verbs[i].name, vlen) == 0) {
			cmd->verb = verbs[i].verb;
			break;
		}
	}
	if (vlen < n) {
		cmd->arg = s + vlen + 1;
		cmd->arglen = n - vlen - 1;
	}
	return 0;
}

/* cmd_verb_name - the verb in capitals, for logs; "UNKNOWN" if none. */
const char *
cmd_verb_name(enum smtp_verb v)
{
	size_t i;

	for (i = 0; i < NVERBS; i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "UNKNOWN";
}

/*
 * prefix - if s (n octets) starts with word (any case), the offset just
 * after it and any spaces following (which RFC 5321 does not allow but
 * many clients send); else 0.
 */
static size_t
prefix(const char *s, size_t n, const char *word)
{
	size_t w = strlen(word);

	if (n < w || strncasecmp(s, word, w) != 0)
		return 0;
	while (w < n && s[w] == ' ')
		w++;
	return w;
}

/*
 * path_too_long - whether the path (span octets, brackets included)
 * is over a limit of RFC 5321 4.5.3.1: path 256, local part 64, domain
 * 255.  Measured here, before the syntax check, so that a client gets
 * 553 for a long address and 501 for a malformed one.  The source
 * route counts toward the path but not toward the mailbox.
 */
static int
path_too_long(const char *s, size_t span)
{
	const char *p = s + 1, *end = s + span - 1, *colon;
	size_t i, at, n;
	int in_quote = 0;

	if (span > ADDR_PATH_MAX)
		return 1;
	if (p < end && *p == '@' &&
	    (colon = memchr(p, ':', (size_t)(end - p))) != NULL)
		p = colon + 1;
	n = (size_t)(end - p);
	at = n;
	for (i = 0; i < n; i++) {
		if (p[i] == '\\' && in_quote)
			i++;
		else if (p[i] == '"')
			in_quote = !in_quote;
		else if (p[i] == '@' && !in_quote)
			at = i;
	}
	if (at > ADDR_LOCAL_MAX)
		return 1;
	return at < n && n - at - 1 > ADDR_DOMAIN_MAX;
}

/* digits - a decimal number of 1 to 20 digits that fits 64 bits. */
static int
digits(const char *s, size_t n, unsigned long long *v)
{
	size_t i;
	unsigned long long x = 0;

	if (n == 0 || n > 20)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return 0;
		d = (unsigned)(s[i] - '0');
		if (x > (~0ULL - d) / 10)
			return 0;
		x = x * 10 + d;
	}
	*v = x;
	return 1;
}

/* all_digits - 1 to 64 decimal digits (the value may not fit). */
static int
all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * xtext_decode - decode RFC 3461 xtext into dst (size octets, NUL
 * ended).  Refuses what decodes to a space or an octet over 126 too:
 * AUTH= names a mailbox or "<>", and the value goes to logs.
 */
static int
xtext_decode(const char *s, size_t n, char *dst, size_t size)
{
	struct sa d = SA_INIT;
	size_t i;
	int ok;

	ok = dsn_xtext_ok(s, n) && dsn_xtext_decode(s, n, &d) == 0 &&
	    d.len < size;
	for (i = 0; ok && i < d.len; i++)
		ok = (unsigned char)d.s[i] > 32 && (unsigned char)d.s[i] < 127;
	if (ok)
		memcpy(dst, d.s, d.len + 1);
	sa_free(&d);
	return ok;
}

#define SEEN_BODY	0x01	/* BODY= leaves no other trace in mail_args */

/*
 * param_key - split one parameter keyword["="value] (s, n octets) and
 * check its keyword: *klen, and *val (NULL when there is no '=') with
 * *vlen.  Returns ARGS_OK, or ARGS_SYNTAX with *err set.
 */
static int
param_key(const char *s, size_t n, size_t *klen, const char **val,
    size_t *vlen, const char **err)
{
	const char *eq = memchr(s, '=', n);
	size_t i;

	*klen = eq != NULL ? (size_t)(eq - s) : n;
	*val = eq != NULL ? eq + 1 : NULL;
	*vlen = eq != NULL ? n - *klen - 1 : 0;
	/* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
	for (i = 0; i < *klen; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || (c == '-' && i > 0))) {
			*err = "bad parameter syntax";
			return ARGS_SYNTAX;
		}
	}
	if (*klen == 0) {
		*err = "bad parameter syntax";
		return ARGS_SYNTAX;
	}
	return ARGS_OK;
}

/* param_value - a value, if any: esmtp-value = 1*(%d33-60 / %d62-126) */
static int
param_value(const char *val, size_t vlen, const char **err)
{
	size_t i;

	if (val != NULL && vlen == 0) {
		*err = "empty parameter value";
		return ARGS_SYNTAX;
	}
	for (i = 0; i < vlen; i++) {
		unsigned char c = (unsigned char)val[i];

		if (c < 33 || c > 126 || c == '=') {
			*err = "bad parameter value";
			return ARGS_SYNTAX;
		}
	}
	return ARGS_OK;
}

/*
 * mail_param - one MAIL parameter keyword["="value] into a.  Returns an
 * ARGS_ code, with *err set when it is not ARGS_OK.
 */
static int
mail_param(const char *s, size_t n, int utf8_allowed, struct mail_args *a,
    unsigned *seen, const char **err)
{
	const char *val;
	size_t klen, vlen;
	int rc;

	if ((rc = param_key(s, n, &klen, &val, &vlen, err)) != ARGS_OK)
		return rc;
	/* RET and ENVID check their own values, and say what RFC 3461 wants */
	if ((rc = dsn_mail_param(s, klen, val, vlen, &a->dsn, err)) != 0)
		return rc == 1 ? ARGS_OK : ARGS_PARAM;
	if ((rc = param_value(val, vlen, err)) != ARGS_OK)
		return rc;
	if (klen == 4 && strncasecmp(s, "SIZE", 4) == 0) {
		if (a->has_size) {
			*err = "duplicate SIZE parameter";
			return ARGS_SYNTAX;
		}
		if (val == NULL || !all_digits(val, vlen)) {
			*err = "bad SIZE parameter";
			return ARGS_SYNTAX;
		}
		/* a size past 64 bits is over any limit: say so, as 552 */
		if (!digits(val, vlen, &a->size))
			a->size = ~0ULL;
		a->has_size = 1;
		return ARGS_OK;
	}
	if (klen == 4 && strncasecmp(s, "BODY", 4) == 0) {
		if (*seen & SEEN_BODY) {
			*err = "duplicate BODY parameter";
			return ARGS_SYNTAX;
		}
		*seen |= SEEN_BODY;
		if (val == NULL) {
			*err = "bad BODY parameter";
			return ARGS_SYNTAX;
		}
		if (vlen == 4 && strncasecmp(val, "7BIT", 4) == 0)
			a->body_8bit = 0;
		else if (vlen == 8 && strncasecmp(val, "8BITMIME", 8) == 0)
			a->body_8bit = 1;
		else if (vlen == 10 && strncasecmp(val, "BINARYMIME", 10) == 0) {
			*err = "BODY=BINARYMIME is not offered";
			return ARGS_UNKNOWN;
		} else {
			*err = "bad BODY parameter";
			return ARGS_SYNTAX;
		}
		return ARGS_OK;
	}
	if (klen == 8 && strncasecmp(s, "SMTPUTF8", 8) == 0) {
		if (!utf8_allowed) {
			*err = "SMTPUTF8 is not offered";
			return ARGS_UNKNOWN;
		}
		if (a->smtputf8) {
			*err = "duplicate SMTPUTF8 parameter";
			return ARGS_SYNTAX;
		}
		if (val != NULL) {
			*err = "SMTPUTF8 takes no value";
			return ARGS_SYNTAX;
		}
		a->smtputf8 = 1;
		return ARGS_OK;
	}
	if (klen == 4 && strncasecmp(s, "AUTH", 4) == 0) {
		if (a->has_auth) {
			*err = "duplicate AUTH parameter";
			return ARGS_SYNTAX;
		}
		if (val == NULL ||
		    !xtext_decode(val, vlen, a->auth, sizeof(a->auth))) {
			*err = "bad AUTH parameter";
			return ARGS_SYNTAX;
		}
		a->has_auth = 1;
		return ARGS_OK;
	}
	*err = "unknown parameter";
	return ARGS_UNKNOWN;
}

/*
 * rcpt_param - one RCPT parameter keyword["="value] into r: NOTIFY and
 * ORCPT (RFC 3461) are the only ones.  Returns as mail_param.
 */
static int
rcpt_param(const char *s, size_t n, struct rcpt_args *r, const char **err)
{
	const char *val;
	size_t klen, vlen;
	int rc;

	if ((rc = param_key(s, n, &klen, &val, &vlen, err)) != ARGS_OK)
		return rc;
	if ((rc = dsn_rcpt_param(s, klen, val, vlen, &r->dsn, err)) != 0)
		return rc == 1 ? ARGS_OK : ARGS_PARAM;
	*err = "unknown parameter";
	return ARGS_UNKNOWN;
}

/*
 * params - the parameters after a path (s, n octets, from at, where a
 * space comes before each one), into MAIL's a or, when a is NULL,
 * RCPT's r.  Returns an ARGS_ code, with *err set when not ARGS_OK.
 */
static int
params(const char *s, size_t n, size_t at, int utf8_allowed,
    struct mail_args *a, struct rcpt_args *r, const char **err)
{
	const char *sp;
	size_t start, end;
	unsigned seen = 0;
	int rc;

	for (; at < n; at = end) {
		start = at + 1;
		sp = memchr(s + start, ' ', n - start);
		end = sp != NULL ? (size_t)(sp - s) : n;
		/* two spaces, or one at the end */
		if (end == start) {
			*err = "bad parameter syntax";
			return ARGS_SYNTAX;
		}
		rc = a != NULL ? mail_param(s + start, end - start,
		    utf8_allowed, a, &seen, err) :
		    rcpt_param(s + start, end - start, r, err);
		if (rc != ARGS_OK)
			return rc;
	}
	return ARGS_OK;
}

/*
 * cmd_parse_path - the "<path>" at s (n octets) into a, with the addr_
 * flags given; *span is set to its octets.  Returns an ARGS_ code;
 * what is the sender or recipient goes in the error texts.
 */
static int
cmd_parse_path(const char *s, size_t n, struct addr *a, int flags,
    size_t *span, const char *toolong, const char *bad, const char **err)
{
	size_t used;

	if ((*span = addr_path_span(s, n)) == 0) {
		*err = bad;
		return ARGS_SYNTAX;
	}
	if (path_too_long(s, *span)) {
		*err = toolong;
		return ARGS_TOOLONG;
	}
	if (!addr_parse_path(s, *span, a, flags, &used) || used != *span) {
		*err = bad;
		return ARGS_SYNTAX;
	}
	return ARGS_OK;
}

/*
 * cmd_parse_mail - the argument of MAIL: "FROM:<path>" then parameters,
 * each after one space.  utf8_allowed: SMTPUTF8 is offered.  Fills a
 * and returns ARGS_OK, or an ARGS_ code with *err a short reason.
 */
int
cmd_parse_mail(const char *s, size_t n, int utf8_allowed,
    struct mail_args *a, const char **err)
{
	const char *path;
	size_t off, span;
	int rc, flags = ADDR_NULL;

	memset(a, 0, sizeof(*a));
	*err = "syntax: MAIL FROM:<address>";
	if ((off = prefix(s, n, "FROM:")) == 0)
		return ARGS_SYNTAX;
	path = s + off;
	n -= off;
	if ((span = addr_path_span(path, n)) == 0) {
		*err = "bad sender address syntax";
		return ARGS_SYNTAX;
	}
	/* parameters first: SMTPUTF8 changes what the path may hold */
	if (span < n && path[span] != ' ') {
		*err = "bad sender address syntax";
		return ARGS_SYNTAX;
	}
	if ((rc = params(path, n, span, utf8_allowed, a, NULL, err)) !=
	    ARGS_OK)
		return rc;
	if (a->smtputf8)
		flags |= ADDR_UTF8;
	rc = cmd_parse_path(path, n, &a->addr, flags, &span,
	    "sender address too long", "bad sender address syntax", err);
	if (rc != ARGS_OK)
		return rc;
	*err = "ok";
	return ARGS_OK;
}

/*
 * cmd_parse_rcpt - the argument of RCPT: "TO:<path>", then parameters,
 * each after one space.  utf8: the transaction's MAIL had SMTPUTF8.
 * <Postmaster> with no domain, in any case, sets is_postmaster.
 * Returns as cmd_parse_mail.
 */
int
cmd_parse_rcpt(const char *s, size_t n, int utf8, struct rcpt_args *r,
    const char **err)
{
	const char *path;
	size_t off, span;
	int rc, flags = ADDR_POSTMASTER;

	memset(r, 0, sizeof(*r));
	*err = "syntax: RCPT TO:<address>";
	if ((off = prefix(s, n, "TO:")) == 0)
		return ARGS_SYNTAX;
	path = s + off;
	n -= off;
	if (utf8)
		flags |= ADDR_UTF8;
	rc = cmd_parse_path(path, n, &r->addr, flags, &span,
	    "recipient address too long", "bad recipient address syntax", err);
	if (rc != ARGS_OK)
		return rc;
	if (span < n && path[span] != ' ') {
		*err = "bad recipient address syntax";
		return ARGS_SYNTAX;
	}
	if ((rc = params(path, n, span, utf8, NULL, r, err)) != ARGS_OK)
		return rc;
	r->is_postmaster = r->addr.domain[0] == '\0' &&
	    strcasecmp(r->addr.local, "postmaster") == 0;
	*err = "ok";
	return ARGS_OK;
}

/*
 * cmd_parse_bdat - the argument of BDAT: "<size>" [" LAST"] (RFC 3030).
 * Returns 0 with *size and *last set, or -1.
 */
int
cmd_parse_bdat(const char *s, size_t n, unsigned long long *size, int *last)
{
	size_t i;

	for (i = 0; i < n && s[i] != ' '; i++)
		;
	if (!digits(s, i, size))
		return -1;
	*last = 0;
	if (i == n)
		return 0;
	if (n - i - 1 != 4 || strncasecmp(s + i + 1, "LAST", 4) != 0)
		return -1;
	*last = 1;
	return 0;
}
