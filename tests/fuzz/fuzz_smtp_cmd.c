/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_smtp_cmd - libFuzzer target for smtpd/smtpd_cmd.c: the input is
 * one command line as a client might send it (CRLF removed).  Besides
 * "no sanitizer report" it checks: the verb/argument split is total and
 * stays inside the input; an accepted address holds no CR, LF or NUL
 * and keeps to the RFC 5321 limits; an accepted MAIL or RCPT argument,
 * formatted again, parses to the same values (parse, format, parse),
 * DSN requests included; a DSN parameter refused (ARGS_PARAM) says why.
 * A broken property aborts, which libFuzzer and replay report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dsnparam.h"
#include "sa.h"
#include "smtpd_cmd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_smtp_cmd: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

/* check_addr - an accepted address is clean and within the limits. */
static void
check_addr(const struct addr *a)
{
	size_t ll = strnlen(a->local, sizeof(a->local));
	size_t dl = strnlen(a->domain, sizeof(a->domain));

	CHECK(ll <= ADDR_LOCAL_MAX);
	CHECK(dl <= ADDR_DOMAIN_MAX);
	CHECK(strpbrk(a->local, "\r\n") == NULL);
	CHECK(strpbrk(a->domain, "\r\n") == NULL);
	if (a->is_null)
		CHECK(ll == 0 && dl == 0);
	else
		CHECK(ll > 0);
}

static int
same_addr(const struct addr *a, const struct addr *b)
{
	return a->is_null == b->is_null && strcmp(a->local, b->local) == 0 &&
	    strcmp(a->domain, b->domain) == 0;
}

/* mail_again - format an accepted MAIL argument and parse it again. */
static void
mail_again(const struct mail_args *m, int utf8_allowed)
{
	char addr[ADDR_PATH_MAX + 1], line[1400];
	struct mail_args m2;
	const char *err;
	int n;

	CHECK(addr_format(&m->addr, addr, sizeof(addr)) == 0);
	n = snprintf(line, sizeof(line), "FROM:<%s>%s%s%s", addr,
	    m->body_8bit ? " BODY=8BITMIME" : "",
	    m->smtputf8 ? " SMTPUTF8" : "", m->has_auth ? " AUTH=" : "");
	CHECK(n > 0 && (size_t)n < sizeof(line));
	if (m->has_auth) {
		/* the decoded value is printable: xtext-encode + and = */
		const char *p;

		for (p = m->auth; *p != '\0'; p++) {
			CHECK(*p > 32 && *p < 127);
			n += snprintf(line + n, sizeof(line) - (size_t)n,
			    *p == '+' || *p == '=' ? "+%02X" : "%c", *p);
			CHECK((size_t)n < sizeof(line));
		}
	}
	if (m->has_size) {
		n += snprintf(line + n, sizeof(line) - (size_t)n, " SIZE=%llu",
		    m->size);
		CHECK((size_t)n < sizeof(line));
	}
	if (m->dsn.ret != 0 || m->dsn.envid[0] != '\0') {
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s%s",
		    m->dsn.ret == 0 ? "" : m->dsn.ret == DSN_RET_FULL ?
		    " RET=FULL" : " RET=HDRS", m->dsn.envid[0] != '\0' ?
		    " ENVID=" : "", m->dsn.envid);
		CHECK((size_t)n < sizeof(line));
		CHECK(m->dsn.envid[0] == '\0' ||
		    dsn_envid_ok(m->dsn.envid, strlen(m->dsn.envid)));
	}
	CHECK(cmd_parse_mail(line, (size_t)n, utf8_allowed, &m2, &err) ==
	    ARGS_OK);
	CHECK(same_addr(&m->addr, &m2.addr));
	CHECK(m2.has_size == m->has_size && m2.size == m->size);
	CHECK(m2.body_8bit == m->body_8bit && m2.smtputf8 == m->smtputf8);
	CHECK(m2.has_auth == m->has_auth && strcmp(m2.auth, m->auth) == 0);
	CHECK(m2.dsn.ret == m->dsn.ret &&
	    strcmp(m2.dsn.envid, m->dsn.envid) == 0);
}

/* rcpt_again - format an accepted RCPT argument and parse it again. */
static void
rcpt_again(const struct rcpt_args *r, int utf8)
{
	char addr[ADDR_PATH_MAX + 1];
	struct sa line = SA_INIT;
	struct rcpt_args r2;
	const char *err;

	CHECK(addr_format(&r->addr, addr, sizeof(addr)) == 0);
	CHECK(sa_catf(&line, "TO:<%s>", addr) == 0);
	if (r->dsn.notify != 0)
		CHECK(sa_cats(&line, " NOTIFY=") == 0 &&
		    dsn_notify_smtp(r->dsn.notify, &line) == 0);
	if (r->dsn.orcpt[0] != '\0') {
		CHECK(dsn_orcpt_ok(r->dsn.orcpt, strlen(r->dsn.orcpt)));
		CHECK(sa_catf(&line, " ORCPT=%s", r->dsn.orcpt) == 0);
	}
	CHECK(cmd_parse_rcpt(line.s, line.len, utf8, &r2, &err) == ARGS_OK);
	CHECK(same_addr(&r->addr, &r2.addr));
	CHECK(r2.is_postmaster == r->is_postmaster);
	CHECK(r2.dsn.notify == r->dsn.notify &&
	    strcmp(r2.dsn.orcpt, r->dsn.orcpt) == 0);
	sa_free(&line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct smtp_cmd cmd;
	struct mail_args m;
	struct rcpt_args r;
	unsigned long long bsize;
	const char *err;
	int rc, utf8, last;

	if (size > 1024)
		return 0;
	rc = cmd_parse(s, size, &cmd);
	CHECK(rc == 0 || rc == -1);
	CHECK(cmd_verb_name(cmd.verb) != NULL);
	if (rc == 0) {
		/* the argument is the tail of the line, after one space */
		CHECK(cmd.arglen <= size);
		if (cmd.arglen > 0)
			CHECK(cmd.arg + cmd.arglen == s + size &&
			    cmd.arg[-1] == ' ');
		CHECK(memchr(s, '\0', size) == NULL);
	} else {
		cmd.arg = s;
		cmd.arglen = size;
	}
	/* the argument parsers see every input, not only well-split ones */
	for (utf8 = 0; utf8 <= 1; utf8++) {
		err = NULL;
		rc = cmd_parse_mail(s, size, utf8, &m, &err);
		CHECK(rc == ARGS_OK || rc == ARGS_SYNTAX ||
		    rc == ARGS_UNKNOWN || rc == ARGS_TOOLONG ||
		    rc == ARGS_PARAM);
		CHECK(err != NULL && strlen(err) < 100);
		if (rc == ARGS_OK) {
			check_addr(&m.addr);
			CHECK(!m.smtputf8 || utf8);
			mail_again(&m, utf8);
		}
		err = NULL;
		rc = cmd_parse_rcpt(s, size, utf8, &r, &err);
		CHECK(rc == ARGS_OK || rc == ARGS_SYNTAX ||
		    rc == ARGS_UNKNOWN || rc == ARGS_TOOLONG ||
		    rc == ARGS_PARAM);
		CHECK(err != NULL && strlen(err) < 100);
		if (rc == ARGS_OK) {
			check_addr(&r.addr);
			CHECK(!r.addr.is_null);
			rcpt_again(&r, utf8);
		}
		(void)cmd_parse_mail(cmd.arg, cmd.arglen, utf8, &m, &err);
		(void)cmd_parse_rcpt(cmd.arg, cmd.arglen, utf8, &r, &err);
	}
	if (cmd_parse_bdat(s, size, &bsize, &last) == 0)
		CHECK(last == 0 || last == 1);
	(void)cmd_parse_bdat(cmd.arg, cmd.arglen, &bsize, &last);
	return 0;
}
