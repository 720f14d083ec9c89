/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtp_reply_test - tests of send/smtp_reply.c, the SMTP client's
 * reply reader: table-driven line parsing (good single and multi-line
 * replies, code-only lines, changed codes, bad separators, non-digits,
 * 1xx and 6xx, control bytes, over-long lines, too many lines, text
 * truncation), EHLO keywords, the one-line form for logs; and
 * smtp_reply_read against a peer on a socketpair or loopback TCP: a
 * reply in many small writes, pipelined replies, bare LF, end of file
 * and reset mid-reply, a silent peer, dribbling peers (one total
 * deadline, not one per read, also through a TLS-like transport) and
 * an endless line (SMTP_R_TOOLONG at once, in bounded memory).
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <atf-c.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "smtp_reply.h"
#include "lsan_atf.h"

#define S(x)	x, sizeof(x) - 1

/* feed_lines - feed NULL-ended lines; the result of the last feed. */
static int
feed_lines(struct smtp_reply *r, const char *const *lines)
{
	int rc = -2;

	smtp_reply_init(r);
	for (; *lines != NULL; lines++)
		rc = smtp_reply_feed(r, *lines, strlen(*lines));
	return rc;
}

ATF_TC_WITHOUT_HEAD(feed_good);
ATF_TC_BODY(feed_good, tc)
{
	static const struct {
		const char	*lines[5];
		int		 code;
		size_t		 nlines;
		const char	*text;
	} t[] = {
		{ { "220 mx.example ESMTP ready", NULL }, 220, 1,
		    "mx.example ESMTP ready" },
		{ { "250-mx.example", "250-PIPELINING", "250 SIZE 100",
		    NULL }, 250, 3, "mx.example\nPIPELINING\nSIZE 100" },
		{ { "250", NULL }, 250, 1, "" },		/* code alone */
		{ { "250 ", NULL }, 250, 1, "" },
		{ { "354 go", NULL }, 354, 1, "go" },
		{ { "550-5.1.1 no", "550 5.1.1 such user", NULL }, 550, 2,
		    "5.1.1 no\n5.1.1 such user" },
		{ { "250-", "250-b", "250", NULL }, 250, 3, "\nb\n" },
		{ { "221  two  spaces ", NULL }, 221, 1, " two  spaces " },
		{ { "599 top", NULL }, 599, 1, "top" },
		{ { "200 bottom", NULL }, 200, 1, "bottom" },
		/* control bytes become '?', tab and UTF-8 stay */
		{ { "250 a\001b\177c\td\re", NULL }, 250, 1, "a?b?c\td?e" },
		{ { "250 caf\303\251", NULL }, 250, 1, "caf\303\251" },
	};
	struct smtp_reply r;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ATF_CHECK_EQ_MSG(feed_lines(&r, t[i].lines), 1, "case %zu", i);
		ATF_CHECK_EQ_MSG(r.code, t[i].code, "case %zu", i);
		ATF_CHECK_EQ_MSG(r.nlines, t[i].nlines, "case %zu", i);
		ATF_CHECK_STREQ_MSG(r.text, t[i].text, "case %zu", i);
		ATF_CHECK_EQ(r.textlen, strlen(t[i].text));
		ATF_CHECK_EQ(r.truncated, 0);
		/* nothing may follow a complete reply */
		ATF_CHECK_EQ(smtp_reply_feed(&r, S("250 more")), -1);
		ATF_CHECK_EQ(r.code, t[i].code);
	}
}

ATF_TC_WITHOUT_HEAD(feed_multiline_steps);
ATF_TC_BODY(feed_multiline_steps, tc)
{
	struct smtp_reply r;

	smtp_reply_init(&r);
	ATF_CHECK_EQ(smtp_reply_feed(&r, S("250-one")), 0);
	ATF_CHECK_EQ(r.code, 0);	/* not before the end */
	ATF_CHECK_EQ(r.lcode, 250);
	ATF_CHECK_EQ(smtp_reply_feed(&r, S("250-two")), 0);
	ATF_CHECK_EQ(smtp_reply_feed(&r, S("250 three")), 1);
	ATF_CHECK_EQ(r.code, 250);
	ATF_CHECK_STREQ(r.text, "one\ntwo\nthree");

	/* a NUL inside a line is a control byte like any other */
	smtp_reply_init(&r);
	ATF_CHECK_EQ(smtp_reply_feed(&r, S("250 a\0b")), 1);
	ATF_CHECK_EQ(r.textlen, 3);
	ATF_CHECK_STREQ(r.text, "a?b");
}

ATF_TC_WITHOUT_HEAD(feed_bad);
ATF_TC_BODY(feed_bad, tc)
{
	static const struct {
		const char	*lines[4];
	} t[] = {
		{ { "", NULL } },
		{ { "2", NULL } },
		{ { "25", NULL } },
		{ { "250-a", "251 b", NULL } },		/* code changed */
		{ { "220-a", "250 b", NULL } },
		{ { "250-a", "250-b", "550 c", NULL } },
		{ { "250_x", NULL } },			/* separators */
		{ { "250x", NULL } },
		{ { "2500", NULL } },
		{ { "250\tx", NULL } },
		{ { "250\rx", NULL } },
		{ { "250-a", "250=b", NULL } },
		{ { "2a0 x", NULL } },			/* not digits */
		{ { "abc def", NULL } },
		{ { "25 x", NULL } },
		{ { " 250 x", NULL } },
		{ { "+250 x", NULL } },
		{ { "\3620 x", NULL } },
		{ { "150 x", NULL } },			/* 1xx, 6xx, 0xx */
		{ { "100 x", NULL } },
		{ { "199 x", NULL } },
		{ { "600 x", NULL } },
		{ { "999 x", NULL } },
		{ { "099 x", NULL } },
		{ { "250-a", "600 x", NULL } },
		{ { "250-a", "", NULL } },		/* empty line inside */
		{ { "250-a", "250", "250 c", NULL } },	/* after the end */
	};
	struct smtp_reply r;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ATF_CHECK_EQ_MSG(feed_lines(&r, t[i].lines), -1, "case %zu", i);
		ATF_CHECK_EQ_MSG(r.code, i == sizeof(t) / sizeof(t[0]) - 1 ?
		    250 : 0, "case %zu", i);
		/* malformed stays malformed */
		if (r.code == 0) {
			ATF_CHECK_EQ(r.state, SMTP_RS_BAD);
			ATF_CHECK_EQ(smtp_reply_feed(&r, S("250 ok")), -1);
			ATF_CHECK_EQ(r.code, 0);
		}
	}
	/* a NUL in the code */
	smtp_reply_init(&r);
	ATF_CHECK_EQ(smtp_reply_feed(&r, S("2\0000 x")), -1);
}

ATF_TC_WITHOUT_HEAD(feed_limits);
ATF_TC_BODY(feed_limits, tc)
{
	char line[SMTP_REPLY_LINE_MAX + 2];
	struct smtp_reply r;
	size_t i;

	/* SMTP_REPLY_LINES_MAX lines are a reply; one more is not */
	smtp_reply_init(&r);
	for (i = 0; i < SMTP_REPLY_LINES_MAX - 1; i++)
		ATF_REQUIRE_EQ(smtp_reply_feed(&r, S("250-x")), 0);
	ATF_CHECK_EQ(smtp_reply_feed(&r, S("250 x")), 1);
	ATF_CHECK_EQ(r.nlines, SMTP_REPLY_LINES_MAX);
	smtp_reply_init(&r);
	for (i = 0; i < SMTP_REPLY_LINES_MAX; i++)
		ATF_REQUIRE_EQ(smtp_reply_feed(&r, S("250-x")), 0);
	ATF_CHECK_EQ(smtp_reply_feed(&r, S("250 x")), -1);
	ATF_CHECK_EQ(r.nlines, SMTP_REPLY_LINES_MAX);

	/* a line of SMTP_REPLY_LINE_MAX is taken, one more byte is not */
	memset(line, 'a', sizeof(line));
	memcpy(line, "250 ", 4);
	smtp_reply_init(&r);
	ATF_CHECK_EQ(smtp_reply_feed(&r, line, SMTP_REPLY_LINE_MAX), 1);
	ATF_CHECK_EQ(r.textlen, SMTP_REPLY_LINE_MAX - 4);
	smtp_reply_init(&r);
	ATF_CHECK_EQ(smtp_reply_feed(&r, line, SMTP_REPLY_LINE_MAX + 1), -1);

	/* the text keeps SMTP_REPLY_TEXT_MAX bytes and says it lost some */
	line[3] = '-';
	smtp_reply_init(&r);
	for (i = 0; i < 3; i++)
		ATF_REQUIRE_EQ(smtp_reply_feed(&r, line, 1500), 0);
	ATF_CHECK_EQ(smtp_reply_feed(&r, S("250 end")), 1);
	ATF_CHECK_EQ(r.textlen, SMTP_REPLY_TEXT_MAX);
	ATF_CHECK_EQ(strlen(r.text), SMTP_REPLY_TEXT_MAX);
	ATF_CHECK_EQ(r.truncated, 1);
	ATF_CHECK_EQ(r.nlines, 4);
	ATF_CHECK_EQ(r.code, 250);
}

/* ehlo - the offer of a reply made of the NULL-ended lines. */
static void
ehlo(const char *const *lines, struct smtp_ext *e)
{
	struct smtp_reply r;

	feed_lines(&r, lines);
	smtp_ehlo_parse(&r, e);
}

ATF_TC_WITHOUT_HEAD(ehlo_parse);
ATF_TC_BODY(ehlo_parse, tc)
{
	static const char *const all[] = { "250-mx.example greets you",
	    "250-PIPELINING", "250-SIZE 10000000", "250-8BITMIME",
	    "250-SMTPUTF8", "250-ENHANCEDSTATUSCODES", "250-STARTTLS",
	    "250-CHUNKING", "250-DSN", "250 AUTH CRAM-MD5 PLAIN LOGIN", NULL };
	static const char *const lower[] = { "250-mx", "250-pipelining",
	    "250-Size", "250-8bitmime", "250-smtputf8",
	    "250-enhancedStatusCodes", "250-starttls", "250-Dsn",
	    "250 chunking", NULL };
	static const char *const none[] = { "250 mx.example", NULL };
	static const char *const first[] = { "250-STARTTLS",
	    "250 8BITMIME", NULL };
	static const char *const near[] = { "250-mx", "250-PIPELININGX",
	    "250-XSTARTTLS", "250-8BITMIME=yes", "250-SIZES 10",
	    "250-AUTHX PLAIN", "250-SMTP UTF8", "250-DSNX", "250-DSN=1",
	    "250 STARTTLS2", NULL };
	static const char *const refused[] = { "502 5.5.1 no EHLO", NULL };
	static const char *const bad[] = { "250-mx", "250-PIPELINING",
	    "251 STARTTLS", NULL };
	struct smtp_ext e;

	ehlo(all, &e);
	ATF_CHECK(e.pipelining && e.eightbitmime && e.smtputf8 &&
	    e.enhancedstatuscodes && e.starttls && e.chunking && e.dsn);
	ATF_CHECK(e.has_size && e.size == 10000000);
	ATF_CHECK(e.auth_plain && e.auth_login);

	ehlo(lower, &e);
	ATF_CHECK(e.pipelining && e.eightbitmime && e.smtputf8 &&
	    e.enhancedstatuscodes && e.starttls && e.chunking && e.dsn);
	ATF_CHECK(e.has_size && e.size == 0);
	ATF_CHECK(!e.auth_plain && !e.auth_login);

	ehlo(none, &e);
	ATF_CHECK(memcmp(&e, &(struct smtp_ext){ 0 }, sizeof(e)) == 0);
	/* the first line is the server's name, whatever it says */
	ehlo(first, &e);
	ATF_CHECK(!e.starttls && e.eightbitmime);
	ehlo(near, &e);
	ATF_CHECK(memcmp(&e, &(struct smtp_ext){ 0 }, sizeof(e)) == 0);
	ehlo(refused, &e);
	ATF_CHECK(memcmp(&e, &(struct smtp_ext){ 0 }, sizeof(e)) == 0);
	ehlo(bad, &e);
	ATF_CHECK(memcmp(&e, &(struct smtp_ext){ 0 }, sizeof(e)) == 0);

	/* AUTH=, as servers wrote it before RFC 2554 */
	{
		const char *const old1[] = { "250-mx", "250-AUTH=PLAIN LOGIN",
		    "250 HELP", NULL };
		const char *const old2[] = { "250-mx", "250 AUTH=LOGIN", NULL };
		const char *const old3[] = { "250-mx", "250-auth=login",
		    "250 AUTH CRAM-MD5 plain", NULL };
		const char *const other[] = { "250-mx", "250 AUTH CRAM-MD5 "
		    "XOAUTH2 PLAINX", NULL };

		ehlo(old1, &e);
		ATF_CHECK(e.auth_plain && e.auth_login);
		ehlo(old2, &e);
		ATF_CHECK(!e.auth_plain && e.auth_login);
		ehlo(old3, &e);
		ATF_CHECK(e.auth_plain && e.auth_login);
		ehlo(other, &e);
		ATF_CHECK(!e.auth_plain && !e.auth_login);
	}
}

ATF_TC_WITHOUT_HEAD(ehlo_size);
ATF_TC_BODY(ehlo_size, tc)
{
	static const struct {
		const char		*line;
		int			 has;
		unsigned long long	 size;
	} t[] = {
		{ "250 SIZE", 1, 0 },
		{ "250 SIZE 0", 1, 0 },
		{ "250 SIZE 52428800", 1, 52428800 },
		{ "250 size\t1000", 1, 1000 },
		{ "250 SIZE   1000  ", 1, 1000 },
		{ "250 SIZE 18446744073709551615", 1, 18446744073709551615ULL },
		{ "250 SIZE 18446744073709551616", 1, 0 },	/* overflow */
		{ "250 SIZE 000000000000000000001", 1, 0 },	/* 21 digits */
		{ "250 SIZE 00000000000000000001", 1, 1 },	/* 20 */
		{ "250 SIZE 10M", 1, 0 },
		{ "250 SIZE -1", 1, 0 },
		{ "250 SIZE +5", 1, 0 },
		{ "250 SIZE 100 200", 1, 0 },
		{ "250 SIZE=100", 0, 0 },
		{ "250 PIPELINING", 0, 0 },
	};
	const char *lines[3];
	struct smtp_ext e;
	size_t i;

	lines[0] = "250-mx.example";
	lines[2] = NULL;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		lines[1] = t[i].line;
		ehlo(lines, &e);
		ATF_CHECK_EQ_MSG(e.has_size, t[i].has, "case %zu", i);
		ATF_CHECK_MSG(e.size == t[i].size, "case %zu: %llu", i,
		    e.size);
	}
}

/* A last line cut by SMTP_REPLY_TEXT_MAX is not read as an offer. */
ATF_TC_WITHOUT_HEAD(ehlo_truncated);
ATF_TC_BODY(ehlo_truncated, tc)
{
	char filler[1200];
	struct smtp_reply r;
	struct smtp_ext e;
	size_t i, room;

	memset(filler, 'f', sizeof(filler));
	memcpy(filler, "250-X", 5);
	smtp_reply_init(&r);
	ATF_REQUIRE_EQ(smtp_reply_feed(&r, S("250-mx")), 0);
	for (i = 0; i < 3; i++)
		ATF_REQUIRE_EQ(smtp_reply_feed(&r, filler, sizeof(filler)), 0);
	/* leave room for "\nSIZE 10" of the next line's "SIZE 10000000" */
	room = SMTP_REPLY_TEXT_MAX - r.textlen - 1 - 8;
	ATF_REQUIRE(room > 0 && room < sizeof(filler) - 4);
	ATF_REQUIRE_EQ(smtp_reply_feed(&r, filler, 4 + room), 0);
	ATF_REQUIRE_EQ(smtp_reply_feed(&r, S("250-SIZE 10000000")), 0);
	ATF_REQUIRE_EQ(smtp_reply_feed(&r, S("250 PIPELINING")), 1);
	ATF_REQUIRE_EQ(r.truncated, 1);
	ATF_REQUIRE(r.textlen == SMTP_REPLY_TEXT_MAX);
	ATF_REQUIRE(strcmp(r.text + r.textlen - 8, "\nSIZE 10") == 0);
	smtp_ehlo_parse(&r, &e);
	ATF_CHECK_EQ(e.has_size, 0);
	ATF_CHECK_EQ(e.pipelining, 0);
}

ATF_TC_WITHOUT_HEAD(oneline);
ATF_TC_BODY(oneline, tc)
{
	static const char *const two[] = { "550-5.1.1 first line",
	    "550 5.1.1 second\tline", NULL };
	static const char *const alone[] = { "250", NULL };
	static const char *const bad[] = { "451-a", "452 b", NULL };
	struct smtp_reply r;
	char out[64];

	feed_lines(&r, two);
	smtp_reply_oneline(&r, out, sizeof(out));
	ATF_CHECK_STREQ(out, "550 5.1.1 first line / 5.1.1 second line");
	smtp_reply_oneline(&r, out, 12);
	ATF_CHECK_STREQ(out, "550 5.1.1 f");
	smtp_reply_oneline(&r, out, 23);
	ATF_CHECK_STREQ(out, "550 5.1.1 first line /");
	smtp_reply_oneline(&r, out, 3);
	ATF_CHECK_STREQ(out, "55");
	smtp_reply_oneline(&r, out, 1);
	ATF_CHECK_STREQ(out, "");
	out[0] = 'Z';
	smtp_reply_oneline(&r, out, 0);
	ATF_CHECK_EQ(out[0], 'Z');

	feed_lines(&r, alone);
	smtp_reply_oneline(&r, out, sizeof(out));
	ATF_CHECK_STREQ(out, "250");

	/* a malformed reply shows the code its lines had */
	feed_lines(&r, bad);
	smtp_reply_oneline(&r, out, sizeof(out));
	ATF_CHECK_STREQ(out, "451 a");
	smtp_reply_init(&r);
	smtp_reply_oneline(&r, out, sizeof(out));
	ATF_CHECK_STREQ(out, "");
}

ATF_TC_WITHOUT_HEAD(strerror_words);
ATF_TC_BODY(strerror_words, tc)
{
	const int rc[] = { SMTP_R_TIMEOUT, SMTP_R_EOF, SMTP_R_TOOLONG,
	    SMTP_R_MALFORMED, SMTP_R_IOERR, 250, 0, -99 };
	size_t i, k;

	for (i = 0; i < sizeof(rc) / sizeof(rc[0]); i++) {
		ATF_REQUIRE(smtp_reply_strerror(rc[i]) != NULL);
		for (k = 0; k < i && k < 5; k++)
			ATF_CHECK(strcmp(smtp_reply_strerror(rc[i]),
			    smtp_reply_strerror(rc[k])) != 0);
	}
}

/* --- smtp_reply_read against a peer ---------------------------------- */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * peer - a child on the other end of a socketpair, running fn(fd);
 * our end is returned.  SIGPIPE is ignored so its writes fail with
 * EPIPE once we close.
 */
static int
peer(void (*fn)(int, const void *), const void *arg, pid_t *pidp)
{
	int sv[2];
	pid_t pid;

	ATF_REQUIRE_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		signal(SIGPIPE, SIG_IGN);
		close(sv[0]);
		fn(sv[1], arg);
		_exit(0);
	}
	close(sv[1]);
	*pidp = pid;
	return sv[0];
}

/* peer_stop - end the peer (it may loop for ever) and reap it. */
static void
peer_stop(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	ATF_REQUIRE_EQ(waitpid(pid, &st, 0), pid);
}

/* bytewise - write the string one byte a write, then close. */
static void
bytewise(int fd, const void *arg)
{
	const char *s = arg;

	for (; *s != '\0'; s++) {
		if (write(fd, s, 1) != 1)
			return;
		if (s[1] == '\n' || s[0] == '\n')
			usleep(2000);	/* apart, so reads see pieces */
	}
	close(fd);
}

/* whole - write the string in one write, then close. */
static void
whole(int fd, const void *arg)
{
	(void)fd_write_all(fd, arg, strlen(arg));
	close(fd);
}

ATF_TC_WITHOUT_HEAD(read_split);
ATF_TC_BODY(read_split, tc)
{
	char store[5];		/* many fills for each line */
	struct smtp_reply r;
	struct buf b;
	pid_t pid;
	int fd;

	fd = peer(bytewise, "220 mx.example ESMTP\r\n250-mx.example\r\n"
	    "250-PIPELINING\r\n250 SIZE 1000\r\n550 5.1.1 no\r\n"
	    "354 go on\n", &pid);
	buf_init(&b, fd, store, sizeof(store));
	b.timeout = 4321;
	ATF_CHECK_EQ(smtp_reply_read(&b, &r, 10000), 220);
	ATF_CHECK_STREQ(r.text, "mx.example ESMTP");
	ATF_CHECK_EQ(b.timeout, 4321);	/* the caller's, put back */
	ATF_CHECK_EQ(smtp_reply_read(&b, &r, 10000), 250);
	ATF_CHECK_EQ(r.nlines, 3);
	ATF_CHECK_STREQ(r.text, "mx.example\nPIPELINING\nSIZE 1000");
	ATF_CHECK_EQ(smtp_reply_read(&b, &r, 10000), 550);
	ATF_CHECK_STREQ(r.text, "5.1.1 no");
	/* bare LF ends a line as CRLF does */
	ATF_CHECK_EQ(smtp_reply_read(&b, &r, 10000), 354);
	ATF_CHECK_STREQ(r.text, "go on");
	ATF_CHECK_EQ(smtp_reply_read(&b, &r, 10000), SMTP_R_EOF);
	ATF_CHECK_EQ(r.nlines, 0);
	close(fd);
	peer_stop(pid);
}

/* Pipelined replies in one write: each read takes one, leaves the rest. */
ATF_TC_WITHOUT_HEAD(read_pipelined);
ATF_TC_BODY(read_pipelined, tc)
{
	char store[4096];
	struct smtp_reply r;
	struct buf b;
	pid_t pid;
	int fd;

	fd = peer(whole, "250 2.1.0 ok\r\n450 4.2.0 later\r\n250-2.1.5 ok\r\n"
	    "250 2.1.5 really\r\n354 go\r\n", &pid);
	buf_init(&b, fd, store, sizeof(store));
	ATF_CHECK_EQ(smtp_reply_read(&b, &r, INT_MAX), 250);
	ATF_CHECK_EQ(smtp_reply_read(&b, &r, -1), 450);
	ATF_CHECK_STREQ(r.text, "4.2.0 later");
	ATF_CHECK_EQ(smtp_reply_read(&b, &r, 5000), 250);
	ATF_CHECK_EQ(r.nlines, 2);
	ATF_CHECK_EQ(smtp_reply_read(&b, &r, 5000), 354);
	ATF_CHECK_EQ(smtp_reply_read(&b, &r, 5000), SMTP_R_EOF);
	close(fd);
	peer_stop(pid);
}

ATF_TC_WITHOUT_HEAD(read_eof_malformed);
ATF_TC_BODY(read_eof_malformed, tc)
{
	static const struct {
		const char	*in;
		int		 rc;
		const char	*text;
	} t[] = {
		{ "", SMTP_R_EOF, "" },
		{ "250-a\r\n250", SMTP_R_EOF, "a" },	/* EOF mid-reply */
		{ "250-a\r\n", SMTP_R_EOF, "a" },
		{ "220-a\r\n250 b\r\n", SMTP_R_MALFORMED, "a" },
		{ "220 a\r\n", 220, "a" },
		{ "hello\r\n", SMTP_R_MALFORMED, "" },
		{ "150 x\r\n", SMTP_R_MALFORMED, "" },
		{ "250 a\rb\r\n", 250, "a?b" },
		{ "250 a\r\r\n", 250, "a?" },
		{ "\r\n", SMTP_R_MALFORMED, "" },
	};
	char store[64];
	struct smtp_reply r;
	struct buf b;
	size_t i;
	pid_t pid;
	int fd;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fd = peer(whole, t[i].in, &pid);
		buf_init(&b, fd, store, sizeof(store));
		ATF_CHECK_EQ_MSG(smtp_reply_read(&b, &r, 5000), t[i].rc,
		    "case %zu", i);
		ATF_CHECK_STREQ_MSG(r.text, t[i].text, "case %zu", i);
		close(fd);
		peer_stop(pid);
	}
}

/* A reset (TCP RST) mid-reply counts as the connection lost. */
ATF_TC_WITHOUT_HEAD(read_reset);
ATF_TC_BODY(read_reset, tc)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct linger lg = { 1, 0 };
	struct smtp_reply r;
	char store[64];
	struct buf b;
	int ls, c, s;

	ATF_REQUIRE((ls = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ATF_REQUIRE_EQ(bind(ls, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ATF_REQUIRE_EQ(listen(ls, 1), 0);
	ATF_REQUIRE_EQ(getsockname(ls, (struct sockaddr *)&sin, &slen), 0);
	ATF_REQUIRE((c = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	ATF_REQUIRE_EQ(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ATF_REQUIRE((s = accept(ls, NULL, NULL)) != -1);
	ATF_REQUIRE_EQ(fd_write_all(s, "250-a\r\n250-b", 12), 0);
	ATF_REQUIRE_EQ(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg,
	    sizeof(lg)), 0);
	close(s);
	buf_init(&b, c, store, sizeof(store));
	ATF_CHECK_EQ(smtp_reply_read(&b, &r, 5000), SMTP_R_EOF);
	close(c);
	close(ls);
}

/* silent - write nothing; wait until the reader closes. */
static void
silent(int fd, const void *arg)
{
	char c;

	(void)arg;
	if (fd_read(fd, &c, 1) == -1)
		return;
}

ATF_TC(read_timeout);
ATF_TC_HEAD(read_timeout, tc)
{
	atf_tc_set_md_var(tc, "descr", "a peer that sends nothing: "
	    "SMTP_R_TIMEOUT when the deadline passes");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(read_timeout, tc)
{
	char store[64];
	struct smtp_reply r;
	struct buf b;
	double t0, dt;
	pid_t pid;
	int fd;

	fd = peer(silent, NULL, &pid);
	buf_init(&b, fd, store, sizeof(store));
	t0 = now();
	ATF_CHECK_EQ(smtp_reply_read(&b, &r, 300), SMTP_R_TIMEOUT);
	dt = now() - t0;
	ATF_CHECK_MSG(dt >= 0.29 && dt < 2.0, "took %.3f s", dt);
	ATF_CHECK_EQ(b.timeout, -1);
	/* no time at all: a timeout at once */
	ATF_CHECK_EQ(smtp_reply_read(&b, &r, 0), SMTP_R_TIMEOUT);
	close(fd);
	peer_stop(pid);
}

/* dribble - a byte of arg's string every 20 ms, round and round. */
static void
dribble(int fd, const void *arg)
{
	const char *s = arg;
	size_t i;

	for (i = 0;; i = s[i + 1] == '\0' ? 0 : i + 1) {
		if (write(fd, s + i, 1) != 1)
			return;
		usleep(20000);
	}
}

/*
 * dribbled - read from a peer sending arg's bytes one at a time, each
 * well within the deadline: the reply as a whole must still end at it.
 */
static void
dribbled(const char *arg)
{
	char store[64];
	struct smtp_reply r;
	struct buf b;
	double t0, dt;
	pid_t pid;
	int fd;

	fd = peer(dribble, arg, &pid);
	buf_init(&b, fd, store, sizeof(store));
	t0 = now();
	ATF_CHECK_EQ(smtp_reply_read(&b, &r, 500), SMTP_R_TIMEOUT);
	dt = now() - t0;
	ATF_CHECK_MSG(dt >= 0.49 && dt < 1.5, "took %.3f s", dt);
	close(fd);
	peer_stop(pid);
}

ATF_TC(read_dribble);
ATF_TC_HEAD(read_dribble, tc)
{
	atf_tc_set_md_var(tc, "descr", "a peer dribbling one endless line "
	    "or endless continuation lines cannot hold the reader past "
	    "the deadline");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(read_dribble, tc)
{
	dribbled("220-abcdefghij");	/* one line, never ended */
	dribbled("250-x\r\n");		/* a line every 140 ms */
}

/*
 * A TLS-like transport: it reads the fd a byte at a time into a
 * "record" and says "want read" until RECORD bytes are in, then hands
 * them out, as libtls does with a record that arrives in pieces.  It
 * also counts the bytes it took from the fd.
 */
#define RECORD	600

struct tlsish {
	char	rec[RECORD];
	size_t	have, out;
	size_t	taken;
};

static ssize_t
tlsish_io(void *ctx, int fd, void *p, size_t n, int writing)
{
	struct tlsish *t = ctx;
	ssize_t r;

	ATF_REQUIRE(!writing);
	if (t->out == t->have)
		t->out = t->have = 0;
	while (t->have < RECORD) {
		if ((r = read(fd, t->rec + t->have, 1)) == -1)
			return errno == EAGAIN ? BUF_WANT_READ : -1;
		if (r == 0)
			return 0;
		t->have++;
		t->taken++;
		if (t->have < RECORD)
			return BUF_WANT_READ;
	}
	if (n > t->have - t->out)
		n = t->have - t->out;
	memcpy(p, t->rec + t->out, n);
	t->out += n;
	return (ssize_t)n;
}

ATF_TC(read_dribble_transport);
ATF_TC_HEAD(read_dribble_transport, tc)
{
	atf_tc_set_md_var(tc, "descr", "through a transport that wants "
	    "read after each byte (TLS), a dribbling peer still meets the "
	    "one deadline, and the transport is put back");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(read_dribble_transport, tc)
{
	static struct tlsish t;
	char store[64];
	struct smtp_reply r;
	struct buf b;
	double t0, dt;
	pid_t pid;
	int fd;

	fd = peer(dribble, "250-x\r\n", &pid);
	/* as a TLS connection's: reads that would block say so */
	ATF_REQUIRE(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != -1);
	buf_init(&b, fd, store, sizeof(store));
	buf_transport(&b, tlsish_io, &t);
	b.timeout = 60000;
	t0 = now();
	ATF_CHECK_EQ(smtp_reply_read(&b, &r, 500), SMTP_R_TIMEOUT);
	dt = now() - t0;
	ATF_CHECK_MSG(dt >= 0.49 && dt < 1.5, "took %.3f s", dt);
	ATF_CHECK(b.io == tlsish_io && b.ctx == &t && b.timeout == 60000);
	close(fd);
	peer_stop(pid);
}

/* endless - the same bytes as fast as the reader takes them. */
static void
endless(int fd, const void *arg)
{
	char x[4096];

	memset(x, 'x', sizeof(x));
	if (arg != NULL)
		(void)fd_write_all(fd, arg, strlen(arg));
	while (fd_write_all(fd, x, sizeof(x)) == 0)
		;
}

/* A counting transport: read(2), and the bytes it took. */
static ssize_t
count_io(void *ctx, int fd, void *p, size_t n, int writing)
{
	size_t *taken = ctx;
	ssize_t r;

	ATF_REQUIRE(!writing);
	if ((r = read(fd, p, n)) > 0)
		*taken += (size_t)r;
	return r;
}

ATF_TC(read_endless_line);
ATF_TC_HEAD(read_endless_line, tc)
{
	atf_tc_set_md_var(tc, "descr", "an endless line is SMTP_R_TOOLONG "
	    "as soon as SMTP_REPLY_LINE_MAX is passed, having read little "
	    "more than that");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(read_endless_line, tc)
{
	char store[1024];
	struct smtp_reply r;
	struct buf b;
	size_t taken;
	double t0, dt;
	pid_t pid;
	int fd, pass;

	for (pass = 0; pass < 3; pass++) {
		fd = peer(endless, pass == 2 ? "250-first line\r\n250-" :
		    "220-", &pid);
		buf_init(&b, fd, store, sizeof(store));
		taken = 0;
		if (pass > 0)
			buf_transport(&b, count_io, &taken);
		t0 = now();
		ATF_CHECK_EQ(smtp_reply_read(&b, &r, 20000), SMTP_R_TOOLONG);
		dt = now() - t0;
		ATF_CHECK_MSG(dt < 2.0, "pass %d took %.3f s", pass, dt);
		if (pass > 0)
			ATF_CHECK_MSG(taken <= 16 + SMTP_REPLY_LINE_MAX +
			    sizeof(store), "pass %d read %zu bytes", pass,
			    taken);
		if (pass == 2)
			ATF_CHECK_STREQ(r.text, "first line");
		close(fd);
		peer_stop(pid);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, feed_good);
	ATF_TP_ADD_TC(tp, feed_multiline_steps);
	ATF_TP_ADD_TC(tp, feed_bad);
	ATF_TP_ADD_TC(tp, feed_limits);
	ATF_TP_ADD_TC(tp, ehlo_parse);
	ATF_TP_ADD_TC(tp, ehlo_size);
	ATF_TP_ADD_TC(tp, ehlo_truncated);
	ATF_TP_ADD_TC(tp, oneline);
	ATF_TP_ADD_TC(tp, strerror_words);
	ATF_TP_ADD_TC(tp, read_split);
	ATF_TP_ADD_TC(tp, read_pipelined);
	ATF_TP_ADD_TC(tp, read_eof_malformed);
	ATF_TP_ADD_TC(tp, read_reset);
	ATF_TP_ADD_TC(tp, read_timeout);
	ATF_TP_ADD_TC(tp, read_dribble);
	ATF_TP_ADD_TC(tp, read_dribble_transport);
	ATF_TP_ADD_TC(tp, read_endless_line);
	return atf_no_error();
}
