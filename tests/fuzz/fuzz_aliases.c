/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_aliases - libFuzzer target for lookup/aliases_parse.c and
 * lookup/vdomains.c: the input is the text of control/aliases (and,
 * the same bytes, of an :include: file and of control/virtualdomains).
 * Besides "no sanitizer report" it checks: every alias handed over has
 * a non-empty lowercase name without control bytes, between 1 and
 * ALIASES_TARGETS_MAX targets, each NUL-terminated, non-empty, at most
 * ALIASES_TARGET_MAX bytes, free of control bytes, of a known kind;
 * a syntax error names a line inside the input; a simple alias
 * formatted again ("name: t1, t2") parses to the same targets.
 * A broken property aborts, which libFuzzer and replay report.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliases.h"
#include "sa.h"
#include "vdomains.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_aliases: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

static size_t	 nlines;	/* lines in the input, for error lines */
static const struct aliases_entry *first;	/* for again() and same() */

/* clean - no control bytes (tab included) in s. */
static int
clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* check_targets - the stored targets (vlen bytes), n of them. */
static void
check_targets(const char *v, size_t vlen, size_t n)
{
	const char *t;
	size_t count = 0, tl;
	int k;

	CHECK(vlen > 0 && v[vlen - 1] == '\0');
	CHECK(vlen <= ALIASES_VALUE_MAX);
	for (t = v; t < v + vlen; t += tl + 1) {
		tl = strlen(t);
		CHECK(tl > 0 && tl <= ALIASES_TARGET_MAX);
		CHECK(clean(t));
		k = aliases_kind(t);
		CHECK(k >= ALIASES_ADDRESS && k <= ALIASES_INCLUDE);
		if (k == ALIASES_INCLUDE)
			CHECK(t[9] == '/');
		count++;
	}
	CHECK(count == n && n >= 1 && n <= ALIASES_TARGETS_MAX);
}

/* simple - a target that needs no quoting to be written again */
static int
simple(const char *t)
{
	return strpbrk(t, "\",# ") == NULL;
}

/* plain_key - a name made of atext and inner dots, written unquoted */
static int
plain_key(const char *k)
{
	const char *p;

	if (k[0] == '.' || k[strlen(k) - 1] == '.' || strstr(k, "..") != NULL)
		return 0;
	for (p = k; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) &&
		    strchr("!$%&'*+-/=?^_`{|}~.", *p) == NULL)
			return 0;
	return 1;
}

/* same - the alias parsed again is the one first handed over. */
static int
same(void *arg, const struct aliases_entry *e, struct aliases_error *err)
{
	const struct aliases_entry *want = first;

	(void)arg;
	(void)err;
	CHECK(strcmp(e->key, want->key) == 0);
	CHECK(e->vlen == want->vlen && memcmp(e->val, want->val, e->vlen) == 0);
	return ALIASES_OK;
}

/* again - format an alias with simple targets and parse it again. */
static void
again(const struct aliases_entry *e)
{
	struct aliases_error err;
	struct sa line = SA_INIT;
	const char *t;

	if (!plain_key(e->key))
		return;
	for (t = e->val; t < e->val + e->vlen; t += strlen(t) + 1)
		if (!simple(t))
			return;
	CHECK(sa_copys(&line, e->key) == 0 && sa_cats(&line, ":") == 0);
	for (t = e->val; t < e->val + e->vlen; t += strlen(t) + 1)
		CHECK(sa_cats(&line, t == e->val ? " " : ",\n ") == 0 &&
		    sa_cats(&line, t) == 0);
	first = e;
	CHECK(aliases_parse(line.s, line.len, same, NULL, &err) ==
	    ALIASES_OK);
	sa_free(&line);
}

static int
check(void *arg, const struct aliases_entry *e, struct aliases_error *err)
{
	const char *k;

	(void)arg;
	(void)err;
	CHECK(e->key[0] != '\0' && strlen(e->key) <= 64 && clean(e->key));
	for (k = e->key; *k != '\0'; k++)
		CHECK(!isupper((unsigned char)*k));
	CHECK(e->line >= 1 && e->line <= nlines);
	check_targets(e->val, e->vlen, e->ntargets);
	again(e);
	return ALIASES_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char prefix[VDOM_PREFIX_MAX + 1];
	struct aliases_error err;
	struct sa list = SA_INIT;
	size_t i, count, bad;
	int r;

	if (size > 65536)
		return 0;
	for (nlines = 1, i = 0; i < size; i++)
		nlines += s[i] == '\n';
	r = aliases_parse(s, size, check, NULL, &err);
	CHECK(r == ALIASES_OK || r == ALIASES_SYNTAX);
	if (r == ALIASES_SYNTAX)
		CHECK(err.line <= nlines && err.text[0] != '\0' &&
		    strlen(err.name) <= 64);
	r = aliases_parse_list(s, size, &list, &count, &err);
	CHECK(r == ALIASES_OK || r == ALIASES_SYNTAX);
	if (r == ALIASES_OK && count > 0)
		check_targets(list.s, list.len, count);
	sa_free(&list);
	r = vdom_match(s, size, "a.example.test", prefix, sizeof(prefix),
	    &bad);
	CHECK(r == 0 || r == 1 || r == -1);
	if (r == 1)
		CHECK(prefix[0] != '\0' && strlen(prefix) <= VDOM_PREFIX_MAX &&
		    clean(prefix));
	if (r == -1)
		CHECK(bad >= 1 && bad <= nlines);
	return 0;
}
