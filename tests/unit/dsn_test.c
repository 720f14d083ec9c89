/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * dsn_test - tests of the delivery status notifications sched queues
 * (queue/queue_dsn.c): what a result text is taken to say (status,
 * remote server, its reply), the header of a message found within
 * bounds, the boundary search, and whole notices composed from hostile
 * result texts: every line short, every byte safe, the parts and the
 * report fields in place.  Python's email package checks delivered
 * notices in tests/queue/dsn_test.
 */
#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "queue_dsn.h"
#include "queue_env.h"
#include "lsan_atf.h"

#define ID1	"0123456789abcdef"
#define ID2	"fedcba9876543210"

/* ---- result texts ---- */

static void
parsed(const char *text, char action, const char *status,
    const char *remote, const char *diag)
{
	struct dsn_result r;

	dsn_parse_result(text, action, &r);
	ATF_CHECK_STREQ_MSG(r.status, status, "status of \"%s\"",
	    text ? text : "(null)");
	ATF_CHECK_STREQ_MSG(r.remote, remote, "remote of \"%s\"",
	    text ? text : "(null)");
	if (diag == NULL)
		ATF_CHECK_MSG(r.diag == NULL, "diag of \"%s\"", text);
	else
		ATF_CHECK_MSG(r.diag != NULL && r.diaglen == strlen(diag) &&
		    memcmp(r.diag, diag, r.diaglen) == 0,
		    "diag of \"%s\": \"%.*s\"", text, (int)r.diaglen,
		    r.diag ? r.diag : "");
}

ATF_TC_WITHOUT_HEAD(parse_result);
ATF_TC_BODY(parse_result, tc)
{
	char longhost[400];

	/* the remote sender's form */
	parsed("5.1.1 127.0.0.2[127.0.0.2] said: 550 5.1.1 no such mailbox "
	    "(in reply to RCPT TO)", DSN_FAILED, "5.1.1", "127.0.0.2",
	    "550 5.1.1 no such mailbox");
	parsed("4.2.1 mx.example.org[192.0.2.1] said: 450 4.2.1 busy / "
	    "try later (in reply to RCPT TO)", DSN_DELAYED, "4.2.1",
	    "mx.example.org", "450 4.2.1 busy / try later");
	parsed("5.0.0 mx6.example.org[2001:db8::1] said: 554 no (in reply "
	    "to end of data)", DSN_FAILED, "5.0.0", "mx6.example.org",
	    "554 no");
	parsed("4.4.7 message expired in the queue; last error: 4.2.1 "
	    "mx.example.org[192.0.2.1] said: 450 busy (in reply to RCPT TO)",
	    DSN_FAILED, "4.4.7", "mx.example.org", "450 busy");
	/* the server's own words keep a "(in reply to": only ours goes */
	parsed("5.0.0 h[1.2.3.4] said: 550 x (in reply to RCPT TO) (in "
	    "reply to DATA)", DSN_FAILED, "5.0.0", "h",
	    "550 x (in reply to RCPT TO)");
	parsed("5.0.0 h[1.2.3.4] said: 550", DSN_FAILED, "5.0.0", "h", "550");
	parsed("5.0.0 h[1.2.3.4] said: 550 cut (in reply to RCP",
	    DSN_FAILED, "5.0.0", "h", "550 cut (in reply to RCP");
	/* local and other results: no server */
	parsed("5.1.1 <x@example.test>: no mailbox here by that name",
	    DSN_FAILED, "5.1.1", "", NULL);
	parsed("4.4.1 127.0.0.1[127.0.0.1]: connect: Connection refused",
	    DSN_DELAYED, "4.4.1", "", NULL);
	/* status codes: form and class */
	parsed("", DSN_FAILED, "5.0.0", "", NULL);
	parsed(NULL, DSN_FAILED, "5.0.0", "", NULL);
	parsed("", DSN_DELAYED, "4.0.0", "", NULL);
	parsed("5.1.1", DSN_FAILED, "5.1.1", "", NULL);
	parsed("5.123.123 x", DSN_FAILED, "5.123.123", "", NULL);
	parsed("5.1.1 x", DSN_DELAYED, "4.0.0", "", NULL);
	parsed("2.0.0 ok", DSN_FAILED, "5.0.0", "", NULL);
	parsed("2.1.5 ok", DSN_SUCCESS, "2.1.5", "", NULL);
	parsed("5.1.1 no", DSN_SUCCESS, "2.0.0", "", NULL);
	parsed("", DSN_SUCCESS, "2.0.0", "", NULL);
	parsed("5.1234.1 x", DSN_FAILED, "5.0.0", "", NULL);
	parsed("5.1.1234 x", DSN_FAILED, "5.0.0", "", NULL);
	parsed("5.1.1x", DSN_FAILED, "5.0.0", "", NULL);
	parsed("5.1 x", DSN_FAILED, "5.0.0", "", NULL);
	parsed("5..1 x", DSN_FAILED, "5.0.0", "", NULL);
	parsed("6.1.1 x", DSN_FAILED, "5.0.0", "", NULL);
	parsed("5.1.1\tx", DSN_FAILED, "5.0.0", "", NULL);
	parsed(" 5.1.1 x", DSN_FAILED, "5.0.0", "", NULL);
	/* hostile forms of "said" */
	parsed(" said: 550 x", DSN_FAILED, "5.0.0", "", NULL);
	parsed("5.0.0 said: 550 x", DSN_FAILED, "5.0.0", "", NULL);
	parsed("5.0.0 b[c said: 550 x", DSN_FAILED, "5.0.0", "", NULL);
	parsed("5.0.0 [1.2.3.4] said: 550 x", DSN_FAILED, "5.0.0", "", NULL);
	parsed("5.0.0 h\x01st[1.2.3.4] said: 550 x", DSN_FAILED, "5.0.0", "",
	    NULL);
	parsed("5.0.0 h/st[1.2.3.4] said: 550 x", DSN_FAILED, "5.0.0", "",
	    NULL);
	parsed("5.0.0 h[1.2.3.4] said: 99 x", DSN_FAILED, "5.0.0", "", NULL);
	parsed("5.0.0 h[1.2.3.4] said: 650 x", DSN_FAILED, "5.0.0", "", NULL);
	parsed("5.0.0 h[1.2.3.4] said: 5500 x", DSN_FAILED, "5.0.0", "", NULL);
	parsed("5.0.0 h[1.2.3.4] said: ", DSN_FAILED, "5.0.0", "", NULL);
	memset(longhost, 'a', sizeof(longhost));
	memcpy(longhost, "5.0.0 ", 6);
	snprintf(longhost + 300, sizeof(longhost) - 300,
	    "[1.2.3.4] said: 550 x");
	parsed(longhost, DSN_FAILED, "5.0.0", "", NULL);
}

/* ---- files ---- */

/* tmpfile_with - an unlinked temporary file holding n bytes of p. */
static int
tmpfile_with(const char *p, size_t n)
{
	char name[] = "dsn.XXXXXX";
	int fd;

	ATF_REQUIRE((fd = mkstemp(name)) != -1);
	ATF_REQUIRE_EQ(unlink(name), 0);
	ATF_REQUIRE_EQ(fd_write_all(fd, p, n), 0);
	return fd;
}

static off_t
hlen(const char *p)
{
	int fd = tmpfile_with(p, strlen(p));
	off_t r = dsn_header_len(fd, (off_t)strlen(p));

	close(fd);
	return r;
}

ATF_TC_WITHOUT_HEAD(header_len);
ATF_TC_BODY(header_len, tc)
{
	char *big;
	size_t i;
	int fd;

	ATF_CHECK_EQ(hlen("A: b\nC: d\n\nbody\n"), 10);
	ATF_CHECK_EQ(hlen("A: b\r\nC: d\r\n\r\nbody\r\n"), 12);
	ATF_CHECK_EQ(hlen("A: b\n\tcont\n\nbody\n"), 11);
	ATF_CHECK_EQ(hlen("A: b\n"), 5);
	ATF_CHECK_EQ(hlen("A: b"), 4);
	ATF_CHECK_EQ(hlen("\nbody\n"), 0);
	ATF_CHECK_EQ(hlen(""), 0);
	/* a bare CR is no blank line */
	ATF_CHECK_EQ(hlen("A: b\n\rC: d\n\nx"), 11);

	/* past the bound: whole lines only, or the bound */
	ATF_REQUIRE((big = malloc(3 * DSN_HEADER_MAX)) != NULL);
	for (i = 0; i < 3 * DSN_HEADER_MAX; i++)
		big[i] = i % 100 == 99 ? '\n' : 'x';
	fd = tmpfile_with(big, 3 * DSN_HEADER_MAX);
	ATF_CHECK_EQ(dsn_header_len(fd, 3 * DSN_HEADER_MAX),
	    DSN_HEADER_MAX / 100 * 100);
	close(fd);
	memset(big, 'x', 3 * DSN_HEADER_MAX);
	fd = tmpfile_with(big, 3 * DSN_HEADER_MAX);
	ATF_CHECK_EQ(dsn_header_len(fd, 3 * DSN_HEADER_MAX), DSN_HEADER_MAX);
	close(fd);
	free(big);
}

ATF_TC_WITHOUT_HEAD(fd_contains);
ATF_TC_BODY(fd_contains, tc)
{
	const size_t n = 200000, chunk = 65536;
	const char *needle = "=_qpost_needle";
	size_t nl = strlen(needle), at[] = { 0, chunk - 5, chunk - 1,
	    chunk, 2 * chunk - 7, n - 14 };
	char *b;
	size_t i;
	int fd, eight;

	ATF_REQUIRE((b = malloc(n)) != NULL);
	memset(b, 'x', n);
	fd = tmpfile_with(b, n);
	eight = 0;
	ATF_CHECK_EQ(dsn_fd_contains(fd, (off_t)n, needle, &eight), 0);
	ATF_CHECK_EQ(eight, 0);
	close(fd);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		memset(b, 'x', n);
		memcpy(b + at[i], needle, nl);
		fd = tmpfile_with(b, n);
		ATF_CHECK_EQ_MSG(dsn_fd_contains(fd, (off_t)n, needle, NULL),
		    1, "needle at %zu", at[i]);
		/* only the first len bytes are looked at */
		ATF_CHECK_EQ_MSG(dsn_fd_contains(fd, (off_t)(at[i] + nl - 1),
		    needle, NULL), 0, "needle cut at %zu", at[i]);
		close(fd);
	}
	memset(b, 'x', n);
	b[n - 1] = (char)0xc3;
	fd = tmpfile_with(b, n);
	eight = 0;
	ATF_CHECK_EQ(dsn_fd_contains(fd, (off_t)n, needle, &eight), 0);
	ATF_CHECK_EQ(eight, 1);
	/* a file shorter than it is said to be is an error */
	ATF_CHECK_EQ(dsn_fd_contains(fd, (off_t)n + 10, needle, NULL), -1);
	close(fd);
	free(b);
}

/* ---- whole notices ---- */

#define ORIG	"Received: (qpost " ID1 " invoked by uid 1);\n\tSat\n" \
	"Subject: hello\nX-Test-Id: t1\n\nbody line\n--=_qpost_not_ours\n"

struct notice {
	char	*s;
	size_t	 len;
};

/* compose - the notice for e, with the original ORIG, into n. */
static void
compose(struct qenv *e, char action, long long maxbytes, struct notice *n)
{
	struct dsn_params p;
	struct buf out;
	char store[512];
	off_t size;
	int mfd, ofd;

	mfd = tmpfile_with(ORIG, strlen(ORIG));
	ofd = tmpfile_with("", 0);
	memset(&p, 0, sizeof(p));
	p.e = e;
	p.me = "mx.example.test";
	p.id = ID2;
	p.to = e->sender;
	p.action = action;
	p.now = 1790000100;
	p.retry_until = 1790400000;
	p.mess_fd = mfd;
	p.maxbytes = maxbytes;
	buf_init(&out, ofd, store, sizeof(store));
	ATF_REQUIRE_EQ(dsn_write(&p, &out), 0);
	ATF_REQUIRE_EQ(buf_flush(&out), 0);
	ATF_REQUIRE((size = lseek(ofd, 0, SEEK_END)) > 0);
	ATF_REQUIRE((n->s = malloc((size_t)size + 1)) != NULL);
	ATF_REQUIRE_EQ(pread(ofd, n->s, (size_t)size, 0), size);
	n->s[size] = '\0';
	n->len = (size_t)size;
	close(mfd);
	close(ofd);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t c = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		c++;
	return c;
}

/* well_formed - short lines, safe bytes, the boundary only where due. */
static void
well_formed(const struct notice *n, int global)
{
	const char *b, *e;
	char boundary[80], delim[90];
	size_t i, col = 0;

	for (i = 0; i < n->len; i++) {
		unsigned char c = (unsigned char)n->s[i];

		ATF_CHECK_MSG(c != '\r' && c != 0 && (c >= 0x20 ||
		    c == '\n' || c == '\t') && c != 0x7f,
		    "byte 0x%02x at %zu", c, i);
		if (!global)
			ATF_CHECK_MSG(c < 128, "8-bit byte at %zu", i);
		col = c == '\n' ? 0 : col + 1;
		ATF_CHECK_MSG(col <= 998, "line too long at %zu", i);
	}
	ATF_REQUIRE((b = strstr(n->s, "boundary=\"")) != NULL);
	b += 10;
	ATF_REQUIRE((e = strchr(b, '"')) != NULL);
	ATF_REQUIRE((size_t)(e - b) < sizeof(boundary));
	memcpy(boundary, b, (size_t)(e - b));
	boundary[e - b] = '\0';
	ATF_CHECK_EQ(count(n->s, boundary), 5);	/* header, 3 parts, end */
	snprintf(delim, sizeof(delim), "\n--%s\n", boundary);
	ATF_CHECK_EQ(count(n->s, delim), 3);
	snprintf(delim, sizeof(delim), "\n--%s--\n", boundary);
	ATF_CHECK(n->len > strlen(delim) &&
	    strcmp(n->s + n->len - strlen(delim), delim) == 0);
	ATF_CHECK(strstr(n->s, "\n\n") != NULL);
}

/* unfolded - n's text with header folding undone, for searching. */
static char *
unfolded(const struct notice *n)
{
	char *u, *o;
	size_t i;

	ATF_REQUIRE((u = malloc(n->len + 1)) != NULL);
	for (i = 0, o = u; i < n->len; i++) {
		if (n->s[i] == '\n' && i + 1 < n->len && n->s[i + 1] == ' ')
			continue;
		*o++ = n->s[i];
	}
	*o = '\0';
	return u;
}

static void
make_env(struct qenv *e, const char *sender)
{
	memset(e, 0, sizeof(*e));
	strlcpy(e->id, ID1, sizeof(e->id));
	e->arrival = 1790000000;
	ATF_REQUIRE((e->sender = strdup(sender)) != NULL);
}

static struct qrcpt *
add(struct qenv *e, const char *addr, char state, const char *error,
    time_t last)
{
	struct qrcpt *r;

	ATF_REQUIRE_EQ(qenv_add_rcpt(e, addr), 0);
	r = &e->rcpt[e->nrcpt - 1];
	r->state = state;
	r->last = last;
	r->tries = last != 0;
	if (error != NULL)
		ATF_REQUIRE((r->error = strdup(error)) != NULL);
	return r;
}

ATF_TC_WITHOUT_HEAD(bounce);
ATF_TC_BODY(bounce, tc)
{
	char hostile[1100];
	struct notice n;
	struct qenv e;
	char *u;

	/* a reply of 1000 bytes without a space, and bytes to neuter */
#define EVIL	"5.7.1 evil[1.2.3.4] said: 550 \x01\x7f\xc3\xa9"
	memset(hostile, 'Z', sizeof(hostile));
	memcpy(hostile, EVIL, sizeof(EVIL) - 1);
	hostile[sizeof(hostile) - 1] = '\0';
	make_env(&e, "s@example.test");
	add(&e, "a@x.test", RCPT_FAILED, "5.1.1 mx.x.test[192.0.2.1] said: "
	    "550 5.1.1 no such user (in reply to RCPT TO)", 1790000050);
	add(&e, "ok@x.test", RCPT_DELIVERED, "2.0.0 fine", 1790000050);
	add(&e, "wait@x.test", RCPT_PENDING, "4.2.1 busy", 1790000050);
	add(&e, "b@y.test", RCPT_FAILED, hostile, 1790000060);
	add(&e, "c@z.test", RCPT_FAILED, NULL, 0);
	compose(&e, DSN_FAILED, 100000, &n);
	well_formed(&n, 0);
	u = unfolded(&n);
	ATF_CHECK(strstr(u, "\nTo: <s@example.test>\n") != NULL);
	ATF_CHECK(strncmp(u, "From: Mail Delivery System "
	    "<MAILER-DAEMON@mx.example.test>\n", 59) == 0);
	ATF_CHECK(strstr(u, "\nMessage-ID: <" ID2 "." ID1
	    "@mx.example.test>\n") != NULL);
	ATF_CHECK(strstr(u, "\nAuto-Submitted: auto-replied\n") != NULL);
	ATF_CHECK(strstr(u, "\nMIME-Version: 1.0\n") != NULL);
	ATF_CHECK(strstr(u, "\nContent-Type: multipart/report; "
	    "report-type=delivery-status;\n") != NULL);
	ATF_CHECK(strstr(u, "\nContent-Type: text/plain; charset=us-ascii\n")
	    != NULL);
	ATF_CHECK(strstr(u, "\nContent-Type: message/delivery-status\n") !=
	    NULL);
	ATF_CHECK(strstr(u, "\nContent-Type: message/rfc822\n") != NULL);
	ATF_CHECK(strstr(u, "\nReporting-MTA: dns; mx.example.test\n") !=
	    NULL);
	ATF_CHECK(strstr(u, "\nArrival-Date: ") != NULL);
	ATF_CHECK(strstr(u, "\n\nFinal-Recipient: rfc822; a@x.test\n"
	    "Action: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.x.test\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 no such user\n"
	    "Last-Attempt-Date: ") != NULL);
	ATF_CHECK(strstr(u, "\n\nFinal-Recipient: rfc822; b@y.test\n"
	    "Action: failed\nStatus: 5.7.1\nRemote-MTA: dns; evil\n"
	    "Diagnostic-Code: smtp; 550   ??ZZZ") != NULL);
	ATF_CHECK(strstr(u, "\n\nFinal-Recipient: rfc822; c@z.test\n"
	    "Action: failed\nStatus: 5.0.0\n\n") != NULL);
	/* the person's part names the failed ones with their reasons */
	ATF_CHECK(strstr(n.s, "\n<a@x.test>:\n    5.1.1 mx.x.test[192.0.2.1] "
	    "said: 550 5.1.1 no such user (in reply to RCPT TO)\n") != NULL);
	ATF_CHECK(strstr(n.s, "\n<c@z.test>:\n    no attempt") != NULL);
	ATF_CHECK(strstr(u, "ok@x.test") == NULL);
	ATF_CHECK(strstr(u, "wait@x.test") == NULL);
	ATF_CHECK(strstr(u, "Will-Retry-Until") == NULL);
	/* the whole original, as it was */
	ATF_CHECK(strstr(n.s, "\n\n" ORIG "\n--") != NULL);
	free(u);
	free(n.s);

	/* over the size limit: the header only */
	compose(&e, DSN_FAILED, 10, &n);
	well_formed(&n, 0);
	ATF_CHECK(strstr(n.s, "\nContent-Type: text/rfc822-headers\n") !=
	    NULL);
	ATF_CHECK(strstr(n.s, "X-Test-Id: t1\n\n--") != NULL);
	ATF_CHECK(strstr(n.s, "body line") == NULL);
	free(n.s);
	qenv_free(&e);
}

ATF_TC_WITHOUT_HEAD(delay);
ATF_TC_BODY(delay, tc)
{
	struct notice n;
	struct qenv e;
	char *u;

	make_env(&e, "s@example.test");
	add(&e, "a@x.test", RCPT_FAILED, "5.1.1 gone", 1790000050);
	add(&e, "w1@x.test", RCPT_PENDING, "4.2.1 mx.x.test[192.0.2.1] said: "
	    "450 4.2.1 busy (in reply to RCPT TO)", 1790000050);
	add(&e, "w2@x.test", RCPT_PENDING, "5.9.9 odd", 1790000050);
	compose(&e, DSN_DELAYED, 100000, &n);
	well_formed(&n, 0);
	u = unfolded(&n);
	ATF_CHECK(strstr(u, "\n\nFinal-Recipient: rfc822; w1@x.test\n"
	    "Action: delayed\nStatus: 4.2.1\nRemote-MTA: dns; mx.x.test\n"
	    "Diagnostic-Code: smtp; 450 4.2.1 busy\nLast-Attempt-Date: ") !=
	    NULL);
	/* a pending recipient is never reported with a 5.x.x status */
	ATF_CHECK(strstr(u, "\n\nFinal-Recipient: rfc822; w2@x.test\n"
	    "Action: delayed\nStatus: 4.0.0\n") != NULL);
	ATF_CHECK_EQ(count(u, "Will-Retry-Until: "), 2);
	ATF_CHECK(strstr(u, "a@x.test") == NULL);
	ATF_CHECK(strstr(u, "Subject: Delayed mail") != NULL);
	free(u);
	free(n.s);
	qenv_free(&e);
}

ATF_TC_WITHOUT_HEAD(global);
ATF_TC_BODY(global, tc)
{
	struct notice n;
	struct qenv e;
	char *u;

	/* a UTF-8 address makes the notice global, even without O */
	make_env(&e, "s@example.test");
	add(&e, "j\xc3\xb6rg@x.test", RCPT_FAILED, "5.1.1 n\xc3\xa9", 1);
	add(&e, "plain@x.test", RCPT_FAILED, "5.1.1 no", 1);
	compose(&e, DSN_FAILED, 100000, &n);
	well_formed(&n, 1);
	u = unfolded(&n);
	ATF_CHECK(strstr(u, "report-type=global-delivery-status;") != NULL);
	ATF_CHECK(strstr(u, "\nContent-Type: message/global-delivery-status\n"
	    "Content-Description: Delivery report\n"
	    "Content-Transfer-Encoding: 8bit\n") != NULL);
	ATF_CHECK(strstr(u, "\nContent-Type: message/global\n") != NULL);
	ATF_CHECK(strstr(u, "charset=utf-8") != NULL);
	ATF_CHECK(strstr(u, "Final-Recipient: utf-8; j\xc3\xb6rg@x.test\n") !=
	    NULL);
	ATF_CHECK(strstr(u, "Final-Recipient: rfc822; plain@x.test\n") !=
	    NULL);
	ATF_CHECK(strstr(u, "5.1.1 n\xc3\xa9") != NULL);
	free(u);
	free(n.s);
	qenv_free(&e);

	/* SMTPUTF8 mail, ASCII addresses: global, headers only */
	make_env(&e, "s@example.test");
	e.is_utf8 = 1;
	add(&e, "a@x.test", RCPT_FAILED, "5.1.1 no", 1);
	compose(&e, DSN_FAILED, 0, &n);
	well_formed(&n, 1);
	ATF_CHECK(strstr(n.s, "\nContent-Type: message/global-headers\n") !=
	    NULL);
	ATF_CHECK(strstr(n.s, "Final-Recipient: rfc822; a@x.test\n") != NULL);
	free(n.s);
	qenv_free(&e);
}

/* the DSN requests of RFC 3461: successes told, NOTIFY, RET, ENVID, ORCPT */
ATF_TC_WITHOUT_HEAD(requests);
ATF_TC_BODY(requests, tc)
{
	struct notice n;
	struct qenv e;
	struct qrcpt *r;
	char *u;

	make_env(&e, "s@example.test");
	strlcpy(e.dsn.envid, "QQ+2B314", sizeof(e.dsn.envid));
	r = add(&e, "in@x.test", RCPT_TELL_DELIVERED, "2.0.0 delivered to "
	    "the mailbox", 1790000050);
	r->notify = DSN_NOTIFY_SUCCESS;
	ATF_REQUIRE((r->orcpt = strdup("rfc822;Boss+40x.test")) != NULL);
	add(&e, "out@y.test", RCPT_TELL_RELAYED, "2.0.0 mx.y.test[192.0.2.9] "
	    "said: 250 2.0.0 queued (in reply to end of data)",
	    1790000050)->notify = DSN_NOTIFY_SUCCESS;
	add(&e, "list@x.test", RCPT_TELL_EXPANDED, "2.0.0 forwarded",
	    1790000050)->notify = DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE;
	add(&e, "quiet@x.test", RCPT_FAILED, "5.1.1 no",
	    1790000050)->notify = DSN_NOTIFY_NEVER;
	add(&e, "nofail@x.test", RCPT_FAILED, "5.1.1 no",
	    1790000050)->notify = DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY;
	add(&e, "ok@x.test", RCPT_DELIVERED, "2.0.0 fine", 1790000050)->notify =
	    DSN_NOTIFY_SUCCESS;
	ATF_CHECK(dsn_reported(DSN_FAILED, &e.rcpt[0]));
	ATF_CHECK(!dsn_reported(DSN_FAILED, &e.rcpt[3]));
	ATF_CHECK(!dsn_reported(DSN_FAILED, &e.rcpt[4]));
	ATF_CHECK(!dsn_reported(DSN_FAILED, &e.rcpt[5]));

	/* successes only: their Actions, the header alone, the fields */
	compose(&e, DSN_FAILED, 100000, &n);
	well_formed(&n, 0);
	u = unfolded(&n);
	ATF_CHECK(strstr(u, "\nSubject: Delivery report: your message was "
	    "delivered\n") != NULL);
	ATF_CHECK(strstr(u, "\n\nOriginal-Envelope-Id: QQ+314\n"
	    "Reporting-MTA: dns; mx.example.test\n") != NULL);
	ATF_CHECK(strstr(u, "\n\nOriginal-Recipient: rfc822;Boss@x.test\n"
	    "Final-Recipient: rfc822; in@x.test\nAction: delivered\n"
	    "Status: 2.0.0\n") != NULL);
	ATF_CHECK(strstr(u, "\n\nFinal-Recipient: rfc822; out@y.test\n"
	    "Action: relayed\nStatus: 2.0.0\nRemote-MTA: dns; mx.y.test\n"
	    "Diagnostic-Code: smtp; 250 2.0.0 queued\n") != NULL);
	ATF_CHECK(strstr(u, "\n\nFinal-Recipient: rfc822; list@x.test\n"
	    "Action: expanded\nStatus: 2.0.0\n") != NULL);
	ATF_CHECK(strstr(n.s, "\n<in@x.test>: delivered\n") != NULL);
	ATF_CHECK(strstr(u, "quiet@") == NULL && strstr(u, "nofail@") == NULL &&
	    strstr(u, "ok@") == NULL);
	ATF_CHECK(strstr(n.s, "\nContent-Type: text/rfc822-headers\n") !=
	    NULL);
	ATF_CHECK(strstr(n.s, "body line") == NULL);
	free(u);
	free(n.s);

	/* a failure among them: a bounce that says so, the whole message */
	e.rcpt[4].notify = DSN_NOTIFY_FAILURE;
	compose(&e, DSN_FAILED, 100000, &n);
	well_formed(&n, 0);
	u = unfolded(&n);
	ATF_CHECK(strstr(u, "\nSubject: Undelivered mail: failure notice\n")
	    != NULL);
	ATF_CHECK(strstr(u, "which recipients your message did reach") !=
	    NULL);
	ATF_CHECK(strstr(u, "\n\nFinal-Recipient: rfc822; nofail@x.test\n"
	    "Action: failed\nStatus: 5.1.1\n") != NULL);
	ATF_CHECK(strstr(n.s, "\nContent-Type: message/rfc822\n") != NULL);
	free(u);
	free(n.s);

	/* RET=HDRS: a bounce with the header only */
	e.dsn.ret = DSN_RET_HDRS;
	compose(&e, DSN_FAILED, 100000, &n);
	well_formed(&n, 0);
	ATF_CHECK(strstr(n.s, "\nContent-Type: text/rfc822-headers\n") !=
	    NULL);
	ATF_CHECK(strstr(n.s, "body line") == NULL);
	free(n.s);
	qenv_free(&e);

	/* a delay notice names only those whose NOTIFY lets it */
	make_env(&e, "s@example.test");
	add(&e, "late@x.test", RCPT_PENDING, "4.2.1 busy", 1790000050);
	add(&e, "nodelay@x.test", RCPT_PENDING, "4.2.1 busy",
	    1790000050)->notify = DSN_NOTIFY_FAILURE;
	add(&e, "delay@x.test", RCPT_PENDING, "4.2.1 busy",
	    1790000050)->notify = DSN_NOTIFY_DELAY;
	compose(&e, DSN_DELAYED, 100000, &n);
	well_formed(&n, 0);
	ATF_CHECK(strstr(n.s, "late@x.test") != NULL);
	ATF_CHECK(strstr(n.s, "\nFinal-Recipient: rfc822; delay@x.test") !=
	    NULL);
	ATF_CHECK(strstr(n.s, "nodelay@") == NULL);
	free(n.s);
	qenv_free(&e);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, parse_result);
	ATF_TP_ADD_TC(tp, header_len);
	ATF_TP_ADD_TC(tp, fd_contains);
	ATF_TP_ADD_TC(tp, bounce);
	ATF_TP_ADD_TC(tp, delay);
	ATF_TP_ADD_TC(tp, global);
	ATF_TP_ADD_TC(tp, requests);
	return atf_no_error();
}
