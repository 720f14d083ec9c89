/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * mbox_quote_test - tests of send/mbox_quote.c, the mboxrd encoder of
 * local's mbox delivery: each line ^>*From  gets one more '>', nothing
 * else changes, the end is a newline and a blank line; the same bytes
 * whether the input comes whole, cut at any point or byte by byte; and
 * the count-only mode agrees with what is written.  A long run of '>'
 * costs no memory.  tests/local/mbox_test checks whole deliveries.
 */
#include <atf-c.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "mbox_quote.h"
#include "lsan_atf.h"

static const struct {
	const char	*in;
	const char	*out;
} cases[] = {
	{ "", "\n" },
	{ "a\n", "a\n\n" },
	{ "a", "a\n\n" },
	{ "From x\n", ">From x\n\n" },
	{ "From ", ">From \n\n" },
	{ "From", "From\n\n" },
	{ ">From x\n", ">>From x\n\n" },
	{ ">>>From x\n", ">>>>From x\n\n" },
	{ "x\nFrom y\nFrom z", "x\n>From y\n>From z\n\n" },
	{ " From x\n", " From x\n\n" },
	{ "FROM x\n", "FROM x\n\n" },
	{ "From:x\n", "From:x\n\n" },
	{ "Fromx\n", "Fromx\n\n" },
	{ ">\n>>\n", ">\n>>\n\n" },
	{ ">F>From x\n", ">F>From x\n\n" },
	{ "a From b\n", "a From b\n\n" },
	{ "Fro\nFrom \n", "Fro\n>From \n\n" },
	{ ">>\n", ">>\n\n" },
	{ ">>", ">>\n\n" },
	{ "\n\n", "\n\n\n" },
	{ "From x\r\n>From y\r\n", ">From x\r\n>>From y\r\n\n" },
};

/* feed - the same piece to the writing and the counting encoder. */
static void
feed(struct mbox_quote *q, struct mbox_quote *c, const char *p, size_t n)
{
	ATF_REQUIRE_EQ(mbox_quote_put(q, p, n), 0);
	ATF_REQUIRE_EQ(mbox_quote_put(c, p, n), 0);
}

/* encode - in cut into pieces of at most step bytes (0: one cut at
 * cut), into a file; its contents in *out (malloc), the count too. */
static size_t
encode(const char *in, size_t step, size_t cut, char **out, off_t *count)
{
	char obuf[7], *res;
	struct mbox_quote q, c;
	struct buf b;
	size_t n = strlen(in), i, k;
	ssize_t r;
	int fd;

	ATF_REQUIRE((fd = open("out", O_RDWR | O_CREAT | O_TRUNC, 0600)) != -1);
	buf_init(&b, fd, obuf, sizeof(obuf));	/* small: many flushes */
	mbox_quote_init(&q, &b);
	mbox_quote_init(&c, NULL);
	if (step == 0) {
		feed(&q, &c, in, cut);
		feed(&q, &c, in + cut, n - cut);
	} else
		for (i = 0; i < n; i += k) {
			k = n - i < step ? n - i : step;
			feed(&q, &c, in + i, k);
		}
	ATF_REQUIRE_EQ(mbox_quote_end(&q), 0);
	ATF_REQUIRE_EQ(mbox_quote_end(&c), 0);
	ATF_REQUIRE_EQ(buf_flush(&b), 0);
	ATF_REQUIRE_EQ(q.count, c.count);
	*count = q.count;
	ATF_REQUIRE((res = malloc((size_t)q.count + 1)) != NULL);
	r = pread(fd, res, (size_t)q.count + 1, 0);
	ATF_REQUIRE_EQ(r, (ssize_t)q.count);
	res[r] = '\0';
	close(fd);
	*out = res;
	return (size_t)r;
}

ATF_TC_WITHOUT_HEAD(table);
ATF_TC_BODY(table, tc)
{
	size_t i, cut, step;
	off_t count;
	char *out;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (step = 0; step <= 3; step++)
			for (cut = 0; cut <= strlen(cases[i].in); cut++) {
				encode(cases[i].in, step, cut, &out, &count);
				ATF_CHECK_STREQ_MSG(out, cases[i].out,
				    "case %zu step %zu cut %zu", i, step, cut);
				ATF_CHECK_EQ(count,
				    (off_t)strlen(cases[i].out));
				free(out);
			}
	}
}

ATF_TC_WITHOUT_HEAD(many_gt);
ATF_TC_BODY(many_gt, tc)
{
	size_t n = 1000000, len;
	char *in, *out;
	off_t count;

	/* a million '>' then "From ": all held back, then one more */
	ATF_REQUIRE((in = malloc(n + 8)) != NULL);
	memset(in, '>', n);
	memcpy(in + n, "From x\n", 8);
	len = encode(in, 0, n / 2, &out, &count);
	ATF_REQUIRE_EQ(len, n + 1 + 7 + 1);
	ATF_CHECK(out[0] == '>' && out[n] == '>');
	ATF_CHECK(memcmp(out + n + 1, "From x\n\n", 8) == 0);
	free(out);
	free(in);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, table);
	ATF_TP_ADD_TC(tp, many_gt);
	return atf_no_error();
}
