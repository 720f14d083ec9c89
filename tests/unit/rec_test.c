/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * rec_test - tests of lib/rec.c: field round trips (binary values
 * included), strict rejection of malformed fields and of every
 * truncation, and netstring frames through a real pipe.
 */
#include <sys/wait.h>
#include <atf-c.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "rec.h"
#include "lsan_atf.h"

/* parse_all - walk a record; the number of fields, or -1. */
static int
parse_all(const char *p, size_t n)
{
	struct rec_reader rr;
	const char *v;
	size_t vlen;
	char tag;
	int r, count = 0;

	rec_reader_init(&rr, p, n);
	while ((r = rec_next(&rr, &tag, &v, &vlen)) == 1) {
		/* the value lies inside the record */
		ATF_REQUIRE(v >= p && v + vlen <= p + n);
		count++;
	}
	return r == 0 ? count : -1;
}

ATF_TC_WITHOUT_HEAD(round_trip);
ATF_TC_BODY(round_trip, tc)
{
	static const struct {
		char		 tag;
		const char	*v;
		size_t		 n;
	} t[] = {
		{ 'F', "a@example.org", 13 },
		{ 'Z', "", 0 },
		{ 'x', "\0\0\0", 3 },
		{ 'B', "\r\n,:0123,\n", 10 },
		{ 'q', "\xff\xfe\x80", 3 },
		{ 'T', ",", 1 },
		{ 'A', ":", 1 },
	};
	struct sa sa = SA_INIT;
	struct rec_reader rr;
	unsigned char bin[1000];
	const char *v;
	size_t i, vlen;
	char tag;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_REQUIRE_EQ(rec_put(&sa, t[i].tag, t[i].v, t[i].n), 0);
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7);
	ATF_REQUIRE_EQ(rec_put(&sa, 'K', bin, sizeof(bin)), 0);
	ATF_REQUIRE_EQ(rec_puts(&sa, 'S', "text"), 0);
	ATF_REQUIRE_EQ(rec_putu(&sa, 'U', 0), 0);
	ATF_REQUIRE_EQ(rec_putu(&sa, 'U', 18446744073709551615ULL), 0);

	ATF_CHECK_EQ(memcmp(sa.s, "F13:a@example.org,Z0:,x3:", 25), 0);
	rec_reader_init(&rr, sa.s, sa.len);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ATF_REQUIRE_EQ(rec_next(&rr, &tag, &v, &vlen), 1);
		ATF_CHECK_EQ(tag, t[i].tag);
		ATF_CHECK_EQ(vlen, t[i].n);
		ATF_CHECK(memcmp(v, t[i].v, vlen) == 0);
	}
	ATF_REQUIRE_EQ(rec_next(&rr, &tag, &v, &vlen), 1);
	ATF_CHECK_EQ(tag, 'K');
	ATF_CHECK_EQ(vlen, sizeof(bin));
	ATF_CHECK(memcmp(v, bin, sizeof(bin)) == 0);
	ATF_REQUIRE_EQ(rec_next(&rr, &tag, &v, &vlen), 1);
	ATF_CHECK(tag == 'S' && vlen == 4 && memcmp(v, "text", 4) == 0);
	ATF_REQUIRE_EQ(rec_next(&rr, &tag, &v, &vlen), 1);
	ATF_CHECK(tag == 'U' && vlen == 1 && v[0] == '0');
	ATF_REQUIRE_EQ(rec_next(&rr, &tag, &v, &vlen), 1);
	ATF_CHECK(vlen == 20 && memcmp(v, "18446744073709551615", 20) == 0);
	ATF_CHECK_EQ(rec_next(&rr, &tag, &v, &vlen), 0);
	/* the end stays the end */
	ATF_CHECK_EQ(rec_next(&rr, &tag, &v, &vlen), 0);
	ATF_CHECK_EQ(parse_all(sa.s, 0), 0);
	sa_free(&sa);
}

ATF_TC_WITHOUT_HEAD(rejects);
ATF_TC_BODY(rejects, tc)
{
	static const struct {
		const char	*in;
		size_t		 n;
	} t[] = {
#define R(x)	{ x, sizeof(x) - 1 }
		R("1:a,"),		/* no tag */
		R("01:a,"),
		R("?1:a,"),		/* bad tag */
		R(" A1:a,"),
		R("\0" "1:a,"),
		R("\xc3" "1:a,"),
		R("A:a,"),		/* no length */
		R("A01:a,"),		/* leading zero */
		R("A00:,"),
		R("A-1:a,"),
		R("A+1:a,"),
		R("A 1:a,"),
		R("A1a,"),		/* missing ':' */
		R("A1;a,"),
		R("A1:a"),		/* missing ',' */
		R("A1:a;"),
		R("A1:ab,"),		/* length too short */
		R("A2:a,"),		/* length past the end */
		R("A3:a,"),
		R("A4294967295:a,"),
		R("A18446744073709551617:a,"),	/* wraps to 1 in 64 bits */
		R("A00000000001:a,"),
		R("A10000000000:a,"),	/* 11 digits */
		R("A1:a,B"),		/* trailing garbage */
		R("A1:a,B1"),
		R("A1:a,B1:"),
		R("A1:a,B1:b"),
		R("A1:a,\n"),
		R("A1:a,\0"),
		R("A1:a,,"),
		R("A"),
		R("A1"),
		R("A1:"),
#undef R
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ATF_CHECK_EQ_MSG(parse_all(t[i].in, t[i].n), -1, "case %zu "
		    "(%.*s)", i, (int)t[i].n, t[i].in);
	/* ... and the good neighbours of those */
	ATF_CHECK_EQ(parse_all("A1:a,", 5), 1);
	ATF_CHECK_EQ(parse_all("A0:,", 4), 1);
	ATF_CHECK_EQ(parse_all("z10:0123456789,", 15), 1);
}

/* A valid record whose every proper prefix must be refused. */
ATF_TC_WITHOUT_HEAD(truncation);
ATF_TC_BODY(truncation, tc)
{
	struct sa sa = SA_INIT;
	struct rec_reader rr;
	const char *v;
	size_t n, vlen, ends[16], nends = 0;
	char tag;
	int r;

	ATF_REQUIRE_EQ(rec_puts(&sa, 'V', "1"), 0);
	ends[nends++] = sa.len;
	ATF_REQUIRE_EQ(rec_put(&sa, 'X', "0123456789,:", 12), 0);
	ends[nends++] = sa.len;
	ATF_REQUIRE_EQ(rec_put(&sa, 'Z', "", 0), 0);
	ends[nends++] = sa.len;

	for (n = 0; n < sa.len; n++) {
		size_t e;
		int boundary = 0;

		for (e = 0; e < nends; e++)
			if (ends[e] == n)
				boundary = 1;
		/*
		 * A prefix is never read as something else: it is refused,
		 * or, cut at a field boundary, it ends cleanly early (the
		 * formats on top then see their end marker missing).
		 */
		rec_reader_init(&rr, sa.s, n);
		while ((r = rec_next(&rr, &tag, &v, &vlen)) == 1)
			;
		if (boundary || n == 0)
			ATF_CHECK_EQ_MSG(r, 0, "prefix %zu", n);
		else
			ATF_CHECK_EQ_MSG(r, -1, "prefix %zu", n);
	}
	sa_free(&sa);
}

ATF_TC_WITHOUT_HEAD(getu);
ATF_TC_BODY(getu, tc)
{
	static const struct {
		const char		*in;
		int			 want;
		unsigned long long	 val;
	} t[] = {
		{ "0", 0, 0 },
		{ "1", 0, 1 },
		{ "42", 0, 42 },
		{ "18446744073709551615", 0, 18446744073709551615ULL },
		{ "18446744073709551616", -1, 0 },
		{ "99999999999999999999", -1, 0 },
		{ "184467440737095516150", -1, 0 },
		{ "", -1, 0 },
		{ "00", -1, 0 },
		{ "01", -1, 0 },
		{ "-1", -1, 0 },
		{ "+1", -1, 0 },
		{ " 1", -1, 0 },
		{ "1 ", -1, 0 },
		{ "1a", -1, 0 },
		{ "0x10", -1, 0 },
		{ "1.0", -1, 0 },
		{ "1\n", -1, 0 },
	};
	unsigned long long u;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		u = 12345;
		ATF_CHECK_EQ_MSG(rec_getu(t[i].in, strlen(t[i].in), &u),
		    t[i].want, "case %zu (%s)", i, t[i].in);
		if (t[i].want == 0)
			ATF_CHECK_EQ_MSG(u, t[i].val, "case %zu", i);
		else
			ATF_CHECK_EQ_MSG(u, 12345, "case %zu wrote *u", i);
	}
	/* NUL inside the given length */
	ATF_CHECK_EQ(rec_getu("1\0" "2", 3, &u), -1);
	/* only n bytes are looked at */
	ATF_CHECK_EQ(rec_getu("123x", 3, &u), 0);
	ATF_CHECK_EQ(u, 123);

	ATF_CHECK_EQ(rec_value_ok("abc", 3), 1);
	ATF_CHECK_EQ(rec_value_ok("", 0), 1);
	ATF_CHECK_EQ(rec_value_ok("a\nb", 3), 0);
	ATF_CHECK_EQ(rec_value_ok("a\rb", 3), 0);
	ATF_CHECK_EQ(rec_value_ok("a\0b", 3), 0);
	ATF_CHECK_EQ(rec_value_ok("a\tb\x7f\xff", 5), 1);
}

/* write_raw - put bytes into the write end of a pipe and close it. */
static void
write_raw(int fd, const void *p, size_t n)
{
	ATF_REQUIRE_EQ(fd_write_all(fd, p, n), 0);
	ATF_REQUIRE_EQ(close(fd), 0);
}

ATF_TC_WITHOUT_HEAD(frame_pipe);
ATF_TC_BODY(frame_pipe, tc)
{
	char wstore[16], rstore[7];	/* small: force many short passes */
	struct sa out = SA_INIT, in = SA_INIT;
	struct buf wb, rb;
	int p[2];

	/* two frames, one empty, then a clean EOF at the boundary */
	ATF_REQUIRE_EQ(pipe(p), 0);
	buf_init(&wb, p[1], wstore, sizeof(wstore));
	ATF_REQUIRE_EQ(rec_puts(&out, 'J', "12"), 0);
	ATF_REQUIRE_EQ(rec_put(&out, 'B', "a\0b,:\n", 6), 0);
	ATF_REQUIRE_EQ(rec_frame_write(&wb, &out), 0);
	ATF_CHECK_EQ(wb.len, 0);	/* flushed */
	out.len = 0;
	ATF_REQUIRE_EQ(rec_frame_write(&wb, &out), 0);
	ATF_REQUIRE_EQ(close(p[1]), 0);

	buf_init(&rb, p[0], rstore, sizeof(rstore));
	ATF_REQUIRE_EQ(rec_frame_read(&rb, &in, 100), 1);
	ATF_CHECK_EQ(in.len, 16);
	ATF_CHECK(memcmp(in.s, "J2:12,B6:a\0b,:\n,", 16) == 0);
	ATF_REQUIRE_EQ(rec_frame_read(&rb, &in, 100), 1);
	ATF_CHECK_EQ(in.len, 0);
	ATF_CHECK_EQ(rec_frame_read(&rb, &in, 100), 0);
	ATF_CHECK_EQ(rec_frame_read(&rb, &in, 100), 0);
	close(p[0]);

	/* exactly max is fine */
	ATF_REQUIRE_EQ(pipe(p), 0);
	write_raw(p[1], "5:abcde,", 8);
	buf_init(&rb, p[0], rstore, sizeof(rstore));
	ATF_CHECK_EQ(rec_frame_read(&rb, &in, 5), 1);
	ATF_CHECK_EQ(in.len, 5);
	close(p[0]);

	sa_free(&out);
	sa_free(&in);
}

ATF_TC_WITHOUT_HEAD(frame_bad);
ATF_TC_BODY(frame_bad, tc)
{
	static const struct {
		const char	*in;
		size_t		 n;
		size_t		 max;
	} t[] = {
#define F(x, m)	{ x, sizeof(x) - 1, m }
		F("5:abcde,", 4),	/* over max */
		F("4194305:", REC_FRAME_MAX),
		F("99999999999:", REC_FRAME_MAX),	/* 11 digits */
		F("5:abcd", 100),	/* truncated value */
		F("5:abcde", 100),	/* no ',' */
		F("5:abcde;", 100),
		F("5", 100),		/* EOF in the length */
		F("5:", 100),
		F(":abc,", 100),	/* no length */
		F("05:abcde,", 100),	/* leading zero */
		F("00:,", 100),
		F("-1:a,", 100),
		F(" 1:a,", 100),
		F("1 :a,", 100),
		F("x", 100),
		F("\0", 100),
		F("\n", 100),
#undef F
	};
	char rstore[64];
	struct sa in = SA_INIT;
	struct buf rb;
	size_t i;
	int p[2];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ATF_REQUIRE_EQ(pipe(p), 0);
		write_raw(p[1], t[i].in, t[i].n);
		buf_init(&rb, p[0], rstore, sizeof(rstore));
		errno = 0;
		ATF_CHECK_EQ_MSG(rec_frame_read(&rb, &in, t[i].max), -1,
		    "case %zu (%.*s)", i, (int)t[i].n, t[i].in);
		ATF_CHECK_EQ_MSG(errno, EPROTO, "case %zu errno %d", i,
		    errno);
		close(p[0]);
	}
	sa_free(&in);
}

/* Every proper prefix of a valid frame stream is refused (or is EOF). */
ATF_TC_WITHOUT_HEAD(frame_truncation);
ATF_TC_BODY(frame_truncation, tc)
{
	static const char whole[] = "11:J1:7,I2:ab,,";
	char rstore[8];
	struct sa in = SA_INIT;
	struct buf rb;
	size_t n;
	int p[2];

	for (n = 0; n < sizeof(whole) - 1; n++) {
		ATF_REQUIRE_EQ(pipe(p), 0);
		write_raw(p[1], whole, n);
		buf_init(&rb, p[0], rstore, sizeof(rstore));
		ATF_CHECK_EQ_MSG(rec_frame_read(&rb, &in, 100), n == 0 ? 0 : -1,
		    "prefix %zu", n);
		close(p[0]);
	}
	ATF_REQUIRE_EQ(pipe(p), 0);
	write_raw(p[1], whole, sizeof(whole) - 1);
	buf_init(&rb, p[0], rstore, sizeof(rstore));
	ATF_CHECK_EQ(rec_frame_read(&rb, &in, 100), 1);
	ATF_CHECK_EQ(in.len, 11);
	ATF_CHECK_EQ(parse_all(in.s, in.len), 2);
	ATF_CHECK_EQ(rec_frame_read(&rb, &in, 100), 0);
	close(p[0]);
	sa_free(&in);
}

/* A frame bigger than the pipe buffer, written by a child. */
ATF_TC_WITHOUT_HEAD(frame_big);
ATF_TC_BODY(frame_big, tc)
{
	char wstore[4096], rstore[4096];
	struct sa out = SA_INIT, in = SA_INIT;
	struct buf wb, rb;
	pid_t pid;
	size_t i;
	int p[2], st;

	for (i = 0; i < 300000; i++)
		ATF_REQUIRE_EQ(sa_catc(&out, (char)(i % 251)), 0);
	ATF_REQUIRE_EQ(pipe(p), 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		buf_init(&wb, p[1], wstore, sizeof(wstore));
		if (rec_frame_write(&wb, &out) == -1 ||
		    rec_frame_write(&wb, &out) == -1)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	buf_init(&rb, p[0], rstore, sizeof(rstore));
	ATF_CHECK_EQ(rec_frame_read(&rb, &in, out.len), 1);
	ATF_CHECK(in.len == out.len && memcmp(in.s, out.s, in.len) == 0);
	/* the second one is too big for a max one byte smaller */
	ATF_CHECK_EQ(rec_frame_read(&rb, &in, out.len - 1), -1);
	/* drain, so the writer ends cleanly */
	while (fd_read(p[0], rstore, sizeof(rstore)) > 0)
		;
	close(p[0]);
	ATF_REQUIRE_EQ(waitpid(pid, &st, 0), pid);
	ATF_CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "writer status %#x", st);
	sa_free(&out);
	sa_free(&in);
}

/* Writing to a pipe nobody reads fails with EPIPE, no signal death. */
ATF_TC_WITHOUT_HEAD(frame_write_epipe);
ATF_TC_BODY(frame_write_epipe, tc)
{
	char wstore[16];
	struct sa out = SA_INIT;
	struct buf wb;
	int p[2];

	ATF_REQUIRE(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	ATF_REQUIRE_EQ(pipe(p), 0);
	close(p[0]);
	ATF_REQUIRE_EQ(rec_puts(&out, 'J', "1"), 0);
	buf_init(&wb, p[1], wstore, sizeof(wstore));
	errno = 0;
	ATF_CHECK_EQ(rec_frame_write(&wb, &out), -1);
	ATF_CHECK_EQ(errno, EPIPE);
	close(p[1]);
	sa_free(&out);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, round_trip);
	ATF_TP_ADD_TC(tp, rejects);
	ATF_TP_ADD_TC(tp, truncation);
	ATF_TP_ADD_TC(tp, getu);
	ATF_TP_ADD_TC(tp, frame_pipe);
	ATF_TP_ADD_TC(tp, frame_bad);
	ATF_TP_ADD_TC(tp, frame_truncation);
	ATF_TP_ADD_TC(tp, frame_big);
	ATF_TP_ADD_TC(tp, frame_write_epipe);
	return atf_no_error();
}
