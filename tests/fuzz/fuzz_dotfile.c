/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_dotfile - libFuzzer target for send/local_parse.c: the input is
 * a dot file (or ~/.forward) as a user might write it, and also a
 * message header for the loop scan and an extension for the dot-file
 * name.  Besides "no sanitizer report" it checks: every line returned
 * is inside the buffer's bounds, holds no LF or NUL, has no blank at
 * either end and is no comment or :include:; line numbers only grow;
 * every .forward entry is a dot-file instruction that fits its buffer
 * and the position only moves forward, within the line; a dot-file
 * name never holds '/' and is as long as it says.
 * A broken property aborts, which libFuzzer and replay report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "local_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_dotfile: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

/* check_entries - split one line as ~/.forward does. */
static void
check_entries(const char *line)
{
	char item[128];
	size_t pos = 0, last, len = strlen(line), n = 0;
	int got;

	for (;;) {
		last = pos;
		got = forward_next(line, &pos, item, sizeof(item));
		CHECK(got == 1 || got == 0 || got == DOT_TOOLONG ||
		    got == DOT_BADBYTE || got == DOT_INCLUDE ||
		    got == DOT_SYNTAX);
		if (got != 1)
			break;
		CHECK(pos > last && pos <= len);
		CHECK(strlen(item) < sizeof(item));
		CHECK(strchr("|/\\&", item[0]) != NULL && item[0] != '\0');
		CHECK(++n <= len);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct dot_reader r;
	char line[256], name[64];
	unsigned lastno = 0;
	size_t n;
	int got, k;

	if (size > 65536)
		return 0;
	dot_init(&r, s, size);
	while ((got = dot_next(&r, line, sizeof(line))) == 1) {
		n = strlen(line);
		CHECK(n > 0 && n < sizeof(line));
		CHECK(memchr(line, '\n', n) == NULL);
		CHECK(line[0] != ' ' && line[0] != '\t' && line[0] != '#');
		CHECK(line[n - 1] != ' ' && line[n - 1] != '\t' &&
		    line[n - 1] != '\r');
		CHECK(strncasecmp(line, ":include:", 9) != 0);
		CHECK(r.lineno > lastno && r.off <= size);
		lastno = r.lineno;
		check_entries(line);
	}
	CHECK(got == 0 || got == DOT_TOOLONG || got == DOT_BADBYTE ||
	    got == DOT_INCLUDE);
	CHECK(r.off <= size);
	CHECK(dot_strerror(got) != NULL);

	k = local_loop_scan(s, size, "a@b");
	CHECK(k == LOOP_NONE || k == LOOP_DELIVERED || k == LOOP_RECEIVED);

	k = dot_name(name, sizeof(name), s, size, "-default");
	if (k != -1) {
		CHECK((size_t)k == strlen(name) && (size_t)k < sizeof(name));
		CHECK(strchr(name, '/') == NULL);
		CHECK(strncmp(name, ".qpost-", 7) == 0);
	} else
		CHECK(size + 16 >= sizeof(name) || memchr(s, '\0', size));
	return 0;
}
