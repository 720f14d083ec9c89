/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtp_dot_test - tests of send/smtp_dot.c, the DATA writer remote and
 * local's LMTP client share: a table of messages and what goes on the
 * wire (CRLF for LF, CRLF and a bare CR; dot stuffing; a last line
 * ended; the final dot), each also fed in two pieces at every split
 * point, so a CRLF or a leading dot across two calls comes out the
 * same; and smtp_dot_file from a file.
 */
#include <sys/mman.h>
#include <atf-c.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "smtp_dot.h"
#include "lsan_atf.h"

static const struct {
	const char	*in;
	const char	*out;
} cases[] = {
	{ "", ".\r\n" },
	{ "a", "a\r\n.\r\n" },
	{ "a\n", "a\r\n.\r\n" },
	{ "a\r\nb\r\n", "a\r\nb\r\n.\r\n" },
	{ "a\rb", "a\r\nb\r\n.\r\n" },
	{ "a\r\r\nb", "a\r\n\r\nb\r\n.\r\n" },
	{ ".\n", "..\r\n.\r\n" },
	{ "x\n.\n..\n.y\n", "x\r\n..\r\n...\r\n..y\r\n.\r\n" },
	{ "x.\n", "x.\r\n.\r\n" },
	{ "\n\n", "\r\n\r\n.\r\n" },
	{ "a\n\r.b", "a\r\n\r\n..b\r\n.\r\n" },
};

/* run - in through smtp_dot in two pieces split at cut; the output */
static void
run(const char *in, size_t cut, char *out, size_t size)
{
	struct smtp_dot d;
	struct buf b;
	int fd;
	ssize_t n;

	ATF_REQUIRE((fd = memfd_create("smtp_dot_test", 0)) != -1);
	buf_init(&b, fd, out, size);	/* big enough: never flushed early */
	smtp_dot_init(&d);
	ATF_REQUIRE(smtp_dot_put(&d, &b, in, cut) == 0);
	ATF_REQUIRE(smtp_dot_put(&d, &b, in + cut, strlen(in) - cut) == 0);
	ATF_REQUIRE(smtp_dot_end(&d, &b) == 0);
	ATF_REQUIRE(buf_flush(&b) == 0);
	n = pread(fd, out, size - 1, 0);
	ATF_REQUIRE(n >= 0);
	out[n] = '\0';
	close(fd);
}

ATF_TC_WITHOUT_HEAD(table);
ATF_TC_BODY(table, tc)
{
	char out[256];
	size_t i, cut;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (cut = 0; cut <= strlen(cases[i].in); cut++) {
			run(cases[i].in, cut, out, sizeof(out));
			ATF_CHECK_STREQ_MSG(out, cases[i].out,
			    "case %zu cut %zu", i, cut);
		}
}

ATF_TC_WITHOUT_HEAD(from_file);
ATF_TC_BODY(from_file, tc)
{
	static char big[100000], out[300000], want[300000];
	struct smtp_dot d;
	struct buf b;
	size_t i, w = 0;
	int in, fd;
	ssize_t n;

	/* lines of 99 bytes, every other one starting with a dot */
	for (i = 0; i < sizeof(big); i++)
		big[i] = i % 100 == 99 ? '\n' : i % 200 == 0 ? '.' : 'x';
	for (i = 0; i < sizeof(big); i++) {
		if (big[i] == '\n') {
			want[w++] = '\r';
			want[w++] = '\n';
			continue;
		}
		if (big[i] == '.')
			want[w++] = '.';
		want[w++] = big[i];
	}
	memcpy(want + w, ".\r\n", 4);
	ATF_REQUIRE((in = memfd_create("in", 0)) != -1);
	ATF_REQUIRE(write(in, big, sizeof(big)) == (ssize_t)sizeof(big));
	ATF_REQUIRE((fd = memfd_create("out", 0)) != -1);
	buf_init(&b, fd, out, 4096);	/* flushed many times */
	smtp_dot_init(&d);
	ATF_REQUIRE(smtp_dot_file(&d, &b, in) == 0);
	ATF_REQUIRE(smtp_dot_end(&d, &b) == 0);
	ATF_REQUIRE(buf_flush(&b) == 0);
	n = pread(fd, out, sizeof(out) - 1, 0);
	ATF_REQUIRE(n == (ssize_t)(w + 3));
	out[n] = '\0';
	ATF_CHECK(memcmp(out, want, w + 3) == 0);
	ATF_CHECK_EQ(smtp_dot_file(&d, &b, -1), -2);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, table);
	ATF_TP_ADD_TC(tp, from_file);
	return atf_no_error();
}
