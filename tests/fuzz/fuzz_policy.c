/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_policy - libFuzzer target for smtpd/policy.c, what smtpd makes
 * of a policy server's reply (a server is a program the admin chose,
 * but one that breaks must not break smtpd) and of control/policy.
 * Besides "no sanitizer report" it checks: policy_reply_end is 0, -1
 * or a length ending in an empty line; a reply taken decides one of
 * one of the verdicts; a refusal has a 4xx or 5xx code, an enhanced
 * status of its class and a text of printable ASCII, never empty; a
 * header to prepend is "Name: value" in printable ASCII; every text
 * fits POLICY_TEXT_MAX.  The input as a string: an address taken names
 * an absolute socket path or a numeric address and a port; as an
 * attribute value it makes exactly one line.  A broken property aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "policy.h"
#include "sa.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_policy: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static void
check_action(const struct policy_action *a)
{
	struct addr ad;

	CHECK(strlen(a->text) <= POLICY_TEXT_MAX && printable(a->text));
	switch (a->verdict) {
	case POLICY_DUNNO:
	case POLICY_OK:
		break;
	case POLICY_REFUSE:
		CHECK(a->code >= 400 && a->code <= 599);
		CHECK(a->status[0] == '0' + a->code / 100 &&
		    a->status[1] == '.');
		CHECK(a->text[0] != '\0');
		break;
	case POLICY_PREPEND:
		CHECK(strchr(a->text, ':') != NULL && a->text[0] != ':' &&
		    strcspn(a->text, " \t") > (size_t)(strchr(a->text, ':') -
		    a->text));
		break;
	case POLICY_DISCARD:
	case POLICY_HOLD:
		break;
	case POLICY_REDIRECT:
	case POLICY_BCC:
		CHECK(addr_parse(a->text, strlen(a->text), &ad, 0));
		break;
	default:
		CHECK(0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *why;
	struct policy_action a;
	struct lmtp_dest addr;
	struct sa req = SA_INIT;
	char *str;
	int end;

	end = policy_reply_end(in, size);
	CHECK(end == -1 || (end >= 0 && (size_t)end <= size &&
	    end <= POLICY_REPLY_MAX));
	if (end > 0) {
		CHECK(in[end - 1] == '\n' && (end == 1 || in[end - 2] == '\n'));
		if (policy_reply_parse(in, (size_t)end, &a, &why) == 0)
			check_action(&a);
		else
			CHECK(why != NULL);
	}
	if ((str = malloc(size + 1)) == NULL)
		return 0;
	memcpy(str, data, size);
	str[size] = '\0';
	if (policy_action_parse(str, &a) == 0)
		check_action(&a);
	if (policy_addr_parse(str, &addr) == 0)
		CHECK(addr.is_unix ? addr.path[0] == '/' :
		    addr.port >= 1 && addr.port <= 65535 && addr.host[0] != '\0');
	CHECK(policy_attr(&req, "name", str) == 0);
	CHECK(req.len >= 6 && req.s[req.len - 1] == '\n' &&
	    memchr(req.s, '\n', req.len) == req.s + req.len - 1);
	sa_free(&req);
	free(str);
	return 0;
}
