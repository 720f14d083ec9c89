/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * checks - pcre tables for header and body checks.  See checks.h.
 *
 * FILTER is refused when the table is read, not taken as DUNNO as
 * policy.c takes a policy server's: a table is the admin's own text,
 * and quietly delivering what it says to send through a filter would
 * be the opposite of what was asked.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "checks.h"
#include "ctl.h"
#include "log.h"
#include "policy.h"
#include "sa.h"

#define GROUPS_MAX	9	/* $1 to $9 */
#define LOGICAL_MAX	8192	/* octets of a rule, continued lines joined */

enum rule_kind { RULE_MATCH, RULE_IF, RULE_ENDIF };

struct check_rule {
	pcre2_code	*re;
	enum rule_kind	 kind;
	int		 negate;
	size_t		 endif;		/* RULE_IF: its endif's index */
	char		*result;	/* RULE_MATCH: the action, $n kept */
};

struct action_name {
	const char		*word;
	enum check_verdict	 verdict;
	int			 needs_arg;
};

static const struct action_name actions[] = {
	{ "DUNNO", CHECK_DUNNO, 0 },	{ "OK", CHECK_DUNNO, 0 },
	{ "REJECT", CHECK_REFUSE, 0 },	{ "DEFER", CHECK_REFUSE, 0 },
	{ "DISCARD", CHECK_DISCARD, 0 },	{ "HOLD", CHECK_HOLD, 0 },
	{ "WARN", CHECK_LOG, 0 },	{ "INFO", CHECK_LOG, 0 },
	{ "IGNORE", CHECK_IGNORE, 0 },	{ "REPLACE", CHECK_REPLACE, 1 },
	{ "PREPEND", CHECK_PREPEND, 1 },
	{ "REDIRECT", CHECK_REDIRECT, 1 }, { "BCC", CHECK_BCC, 1 },
};

/* parse state: the table being built and where the reading is */
struct reader {
	struct checks	*c;
	unsigned	 line;		/* of the rule being read */
	size_t		 open[64];	/* indexes of the ifs not yet closed */
	unsigned	 open_line[64];	/* ... and their lines */
	size_t		 nopen;
	char		*why;
	size_t		 whylen;
};

static int __attribute__((format(printf, 2, 3)))
fail(struct reader *r, const char *fmt, ...)
{
	char msg[CHECKS_WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)snprintf(r->why, r->whylen, "line %u: %s", r->line, msg);
	return -1;
}

/* action_find - the action named by the first n octets of word */
static const struct action_name *
action_find(const char *word, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strlen(actions[i].word) == n &&
		    strncasecmp(actions[i].word, word, n) == 0)
			return &actions[i];
	return NULL;
}

/*
 * dollar - the group a "$" at p names (p[0] is '$'): its number, 0 for
 * "$$", with *len its length; -1 when it names none.
 */
static int
dollar(const char *p, size_t *len)
{
	char close;

	if (p[1] == '$') {
		*len = 2;
		return 0;
	}
	if (p[1] >= '1' && p[1] <= '9') {
		*len = 2;
		return p[1] - '0';
	}
	close = p[1] == '{' ? '}' : p[1] == '(' ? ')' : '\0';
	if (close != '\0' && p[2] >= '1' && p[2] <= '9' && p[3] == close) {
		*len = 4;
		return p[2] - '0';
	}
	return -1;
}

/* result_check - a rule's result, as far as it can be known unexpanded */
static int
result_check(struct reader *r, const char *res, size_t nsub, int negate)
{
	const struct action_name *a;
	struct check_action act;
	const char *arg;
	size_t n = strcspn(res, " \t"), len;
	int g;

	if ((a = action_find(res, n)) == NULL) {
		if (n == 6 && strncasecmp(res, "FILTER", 6) == 0)
			return fail(r, "FILTER is not supported: use "
			    "control/filter");
		return fail(r, "unknown action \"%.*s\"",
		    (int)(n > 40 ? 40 : n), res);
	}
	for (const char *p = res; (p = strchr(p, '$')) != NULL; p += len) {
		if ((g = dollar(p, &len)) == -1)
			return fail(r, "a $ that is neither $$ nor $1 to $9");
		if (g > 0 && (negate || (size_t)g > nsub))
			return fail(r, "$%d names no group of the pattern", g);
	}
	arg = res + n + strspn(res + n, " \t");
	if (a->needs_arg && *arg == '\0')
		return fail(r, "%s needs a text", a->word);
	if (strchr(arg, '$') == NULL &&
	    check_action_parse(res, r->c->is_header, &act) == -1)
		return fail(r, "%s's text is not %s", a->word,
		    a->verdict == CHECK_REDIRECT || a->verdict == CHECK_BCC ?
		    "an address" : "a header field");
	return 0;
}

/* flag - the compile option a pattern's flag letter toggles; 0 if none */
static uint32_t
flag(char f)
{
	static const struct {
		char		letter;
		uint32_t	option;
	} flags[] = {
		{ 'i', PCRE2_CASELESS }, { 'm', PCRE2_MULTILINE },
		{ 's', PCRE2_DOTALL }, { 'x', PCRE2_EXTENDED },
		{ 'A', PCRE2_ANCHORED }, { 'E', PCRE2_DOLLAR_ENDONLY },
		{ 'U', PCRE2_UNGREEDY },
	};
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (flags[i].letter == f)
			return flags[i].option;
	return 0;
}

/* pattern - "[!]/re/flags" at p compiled into rule; *rest: what follows */
static int
pattern(struct reader *r, const char *p, struct check_rule *rule,
    const char **rest)
{
	/* pcre_table(5)'s defaults: . matches a folded field's breaks */
	uint32_t options = PCRE2_CASELESS | PCRE2_DOTALL, f;
	PCRE2_UCHAR err[128];
	PCRE2_SIZE at;
	const char *re;
	size_t i;
	int e;

	if (*p == '!') {
		rule->negate = 1;
		p++;
	}
	/* any delimiter pcre_table(5) allows; "/" is the usual one */
	if (!isgraph((unsigned char)*p) || isalnum((unsigned char)*p) ||
	    *p == '\\')
		return fail(r, "a rule starts with /pattern/ or !/pattern/");
	for (i = 1; p[i] != '\0' && p[i] != p[0]; i++)
		if (p[i] == '\\' && p[i + 1] != '\0')
			i++;
	if (p[i] != p[0])
		return fail(r, "the pattern has no closing %c", p[0]);
	if (i == 1)
		return fail(r, "an empty pattern");
	re = p + 1;
	for (p += i + 1; *p != '\0' && *p != ' ' && *p != '\t'; p++) {
		if ((f = flag(*p)) != 0)
			options ^= f;
		else if (*p != 'X')	/* PCRE1's "extra": PCRE2's own rule */
			return fail(r, "unknown flag '%c' (i, m, s, x, A, E, U "
			    "and X are known)", isprint((unsigned char)*p) ?
			    *p : '?');
	}
	rule->re = pcre2_compile((PCRE2_SPTR)re, i - 1, options, &e, &at,
	    NULL);
	if (rule->re == NULL) {
		(void)pcre2_get_error_message(e, err, sizeof(err));
		return fail(r, "the pattern does not compile: %s at octet %zu",
		    (const char *)err, (size_t)at + 1);
	}
	*rest = p + strspn(p, " \t");
	return 0;
}

/* add - room for one more rule, zeroed; NULL (why said) if none */
static struct check_rule *
add(struct reader *r)
{
	struct checks *c = r->c;
	struct check_rule *n;

	if (c->n == CHECKS_RULES_MAX) {
		(void)fail(r, "more than %d rules", CHECKS_RULES_MAX);
		return NULL;
	}
	if ((n = reallocarray(c->rule, c->n + 1, sizeof(*n))) == NULL) {
		(void)fail(r, "out of memory");
		return NULL;
	}
	c->rule = n;
	memset(&n[c->n], 0, sizeof(n[c->n]));
	return &n[c->n];
}

/* is_word - line starts with word, then a blank or its end */
static int
is_word(const char *line, const char *word)
{
	size_t n = strlen(word);

	return strncmp(line, word, n) == 0 &&
	    (line[n] == '\0' || line[n] == ' ' || line[n] == '\t');
}

/* logical - one rule, its continued lines joined, NUL-terminated */
static int
logical(struct reader *r, char *line)
{
	struct check_rule *rule;
	const char *rest;
	uint32_t groups;

	if (is_word(line, "endif")) {
		if (line[5 + strspn(line + 5, " \t")] != '\0')
			return fail(r, "text after endif");
		if (r->nopen == 0)
			return fail(r, "an endif without its if");
		if ((rule = add(r)) == NULL)
			return -1;
		rule->kind = RULE_ENDIF;
		r->c->rule[r->open[--r->nopen]].endif = r->c->n++;
		return 0;
	}
	if ((rule = add(r)) == NULL)
		return -1;
	if (is_word(line, "if")) {
		if (r->nopen == sizeof(r->open) / sizeof(r->open[0]))
			return fail(r, "ifs nested too deeply");
		if (pattern(r, line + 2 + strspn(line + 2, " \t"), rule,
		    &rest) == -1)
			return -1;
		rule->kind = RULE_IF;
		r->open_line[r->nopen] = r->line;
		r->open[r->nopen++] = r->c->n++;
		if (*rest != '\0')
			return fail(r, "text after an if's pattern");
		return 0;
	}
	if (pattern(r, line, rule, &rest) == -1)
		return -1;
	r->c->n++;	/* compiled: checks_free must free it */
	if (*rest == '\0')
		return fail(r, "the pattern has no action after it");
	(void)pcre2_pattern_info(rule->re, PCRE2_INFO_CAPTURECOUNT, &groups);
	if (result_check(r, rest, groups, rule->negate) == -1)
		return -1;
	if ((rule->result = strdup(rest)) == NULL)
		return fail(r, "out of memory");
	return 0;
}

/* rule_done - the logical line gathered in rule, if any, read */
static int
rule_done(struct reader *r, struct sa *rule)
{
	int rc;

	if (rule->len == 0)
		return 0;
	while (rule->len > 0 && (rule->s[rule->len - 1] == ' ' ||
	    rule->s[rule->len - 1] == '\t'))
		rule->len--;
	if (sa_0(rule) == -1)
		return fail(r, "out of memory");
	rc = logical(r, rule->s);
	rule->len = 0;
	return rc;
}

/* is_skipped - a blank line or a comment */
static int
is_skipped(const char *p, size_t n)
{
	size_t k = 0;

	while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'))
		k++;
	return k == n || p[k] == '#';
}

int
checks_parse(struct checks *c, const char *text, size_t len, int is_header,
    char *why, size_t whylen)
{
	struct reader r;
	struct sa rule = SA_INIT;
	const char *p, *nl;
	size_t n, i;
	unsigned lineno = 0;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	c->is_header = is_header;
	if ((c->md = pcre2_match_data_create(GROUPS_MAX + 1, NULL)) == NULL ||
	    (c->mc = pcre2_match_context_create(NULL)) == NULL) {
		(void)snprintf(why, whylen, "out of memory");
		checks_free(c);
		return -1;
	}
	/* a pattern that backtracks without end gives up in time */
	(void)pcre2_set_match_limit(c->mc, CHECKS_MATCH_LIMIT);
	(void)pcre2_set_depth_limit(c->mc, CHECKS_MATCH_LIMIT);
	(void)pcre2_set_heap_limit(c->mc, CHECKS_HEAP_KIB);
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.why = why;
	r.whylen = whylen;
	/* the next line is found from nl: n loses a line's CR below */
	for (i = 0; i < len && rc == 0;
	    i = nl != NULL ? (size_t)(nl + 1 - text) : len) {
		p = text + i;
		nl = memchr(p, '\n', len - i);
		n = nl != NULL ? (size_t)(nl - p) : len - i;
		lineno++;
		if (n >= CTL_LINE_MAX || memchr(p, '\0', n) != NULL) {
			r.line = lineno;
			rc = n >= CTL_LINE_MAX ? fail(&r, "longer than %d bytes",
			    CTL_LINE_MAX) : fail(&r, "a NUL byte");
		} else if (is_skipped(p, n))
			continue;
		else if (p[0] == ' ' || p[0] == '\t') {
			if (rule.len == 0) {
				r.line = lineno;
				rc = fail(&r, "a continued line with no rule "
				    "before it");
			}
		} else if ((rc = rule_done(&r, &rule)) == 0)
			r.line = lineno;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (rc == 0 && rule.len + n + 1 > LOGICAL_MAX)
			rc = fail(&r, "a rule longer than %d octets",
			    LOGICAL_MAX);
		if (rc == 0 && (sa_catb(&rule, p, n) == -1))
			rc = fail(&r, "out of memory");
	}
	if (rc == 0)
		rc = rule_done(&r, &rule);
	if (rc == 0 && r.nopen > 0) {
		r.line = r.open_line[r.nopen - 1];
		rc = fail(&r, "an if without its endif");
	}
	sa_free(&rule);
	if (rc == -1)
		checks_free(c);
	return rc;
}

void
checks_free(struct checks *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		pcre2_code_free(c->rule[i].re);
		free(c->rule[i].result);
	}
	free(c->rule);
	c->rule = NULL;
	c->n = 0;
	pcre2_match_data_free(c->md);
	pcre2_match_context_free(c->mc);
	c->md = NULL;
	c->mc = NULL;
}

/* expand - res with its $n replaced by what the groups matched */
static int
expand(struct sa *out, const char *res, const char *subject,
    const PCRE2_SIZE *ov, int groups)
{
	const char *p;
	size_t len;
	int g;

	out->len = 0;
	for (p = res; *p != '\0'; p += len) {
		if (*p != '$' || (g = dollar(p, &len)) == -1) {
			len = strcspn(p + 1, "$") + 1;
			if (sa_catb(out, p, len) == -1)
				return -1;
		} else if (g == 0) {
			if (sa_catc(out, '$') == -1)
				return -1;
		} else if (g < groups && ov[2 * g] != PCRE2_UNSET &&
		    sa_catb(out, subject + ov[2 * g], ov[2 * g + 1] -
		    ov[2 * g]) == -1)
			return -1;
	}
	return sa_0(out);
}

/*
 * try - whether rule r matches subject: 1 or 0 (the pattern's answer,
 * negated if the rule is), -1 when the match gave up at a limit.
 */
static int
try(const struct checks *c, const struct check_rule *r, const char *subject,
    size_t len)
{
	int m;

	m = pcre2_match(r->re, (PCRE2_SPTR)subject, len, 0, 0, c->md, c->mc);
	if (m < 0 && m != PCRE2_ERROR_NOMATCH)
		return -1;
	return (m >= 0) != r->negate;
}

int
checks_match(const struct checks *c, const char *subject, struct sa *result)
{
	const struct check_rule *r;
	size_t i, len = strlen(subject);
	int hit, gave_up = 0;

	for (i = 0; i < c->n; i++) {
		r = &c->rule[i];
		if (r->kind == RULE_ENDIF)
			continue;
		if ((hit = try(c, r, subject, len)) == -1) {
			gave_up = 1;	/* taken as no match, as Postfix does */
			hit = 0;
		}
		if (r->kind == RULE_IF) {
			if (!hit)
				i = r->endif;
			continue;
		}
		if (hit)
			return expand(result, r->result, subject,
			    pcre2_get_ovector_pointer(c->md),
			    (int)pcre2_get_ovector_count(c->md)) == -1 ? -1 : 1;
	}
	return gave_up ? CHECKS_GAVE_UP : 0;
}

/*
 * is_field - a header field fit to put in a message: "Name:" and each
 * line break followed by a blank (a folded line), no CR.
 */
static int
is_field(const char *text)
{
	const char *p;

	if (!policy_is_header(text) || strchr(text, '\r') != NULL)
		return 0;
	for (p = text; (p = strchr(p, '\n')) != NULL; p++)
		if (p[1] != ' ' && p[1] != '\t')
			return 0;
	return 1;
}

int
check_action_parse(const char *res, int is_header, struct check_action *a)
{
	const struct action_name *name;
	struct addr ad;
	size_t n = strcspn(res, " \t");

	memset(a, 0, sizeof(*a));
	if ((name = action_find(res, n)) == NULL)
		return -1;
	a->verdict = name->verdict;
	a->word = name->word;
	a->arg = res + n + strspn(res + n, " \t");
	switch (a->verdict) {
	case CHECK_REFUSE:
		if (strcmp(a->word, "DEFER") == 0)
			return policy_refuse(&a->refusal, 450, "4.7.1", a->arg,
			    "Try again later");
		return policy_refuse(&a->refusal, 550, "5.7.1", a->arg,
		    "Message content rejected");
	case CHECK_REPLACE:
	case CHECK_PREPEND:
		return (is_header ? is_field(a->arg) :
		    strpbrk(a->arg, "\r\n") == NULL) ? 0 : -1;
	case CHECK_REDIRECT:
	case CHECK_BCC:
		return addr_parse(a->arg, strlen(a->arg), &ad, 0) ? 0 : -1;
	default:
		return 0;
	}
}

int
checks_load(const char *name, struct checks *c, int is_header)
{
	struct sa text = SA_INIT;
	char why[CHECKS_WHY_MAX];
	int r;

	checks_free(c);
	c->is_header = is_header;
	if ((r = ctl_read(name, &text)) == 1) {
		r = checks_parse(c, text.s, text.len, is_header, why,
		    sizeof(why));
		if (r == -1)
			log_warnx("control file %s: %s", name, why);
	}
	sa_free(&text);
	return r == -1 ? -1 : 0;
}
