/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * check_log - parse the log lines of the control file readers for
 * qpost-check.  See check_log.h.  The input is our own programs' text,
 * but it quotes control file content, so it is parsed as if hostile:
 * bounded copies, decimal numbers checked for overflow.
 */
#include <string.h>

#include "check_log.h"

/* number - a decimal at s, up to ": "; its value, or 0 if none. */
static size_t
number(const char *s, const char **end)
{
	size_t v = 0;

	*end = s;
	if (*s < '0' || *s > '9')
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > ((size_t)-1 - 9) / 10)
			return 0;
		v = v * 10 + (size_t)(*s - '0');
	}
	if (strncmp(s, ": ", 2) != 0)
		return 0;
	*end = s + 2;
	return v;
}

/* skip - s past prefix when it starts with it; else NULL. */
static const char *
skip(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

/*
 * check_log_parse - text (one log line, NUL-terminated, no newline)
 * about the file dflt (the file being checked) into out; out->what
 * points into text.
 */
void
check_log_parse(const char *dflt, const char *text, struct check_log *out)
{
	const char *rest, *p, *slash, *end;
	size_t n, num;

	memset(out, 0, sizeof(*out));
	(void)strlcpy(out->file, dflt, sizeof(out->file));
	if ((p = strstr(text, ": ")) != NULL)
		text = p + 2;			/* the program's name */
	if ((p = skip(text, "warning: ")) != NULL ||
	    (p = skip(text, "fatal: ")) != NULL)
		text = p;
	out->what = text;
	if ((rest = skip(text, "control file ")) == NULL &&
	    (rest = skip(text, "control/")) == NULL)
		return;
	n = strcspn(rest, ": ");
	/* a full path (ctl_read names the path): its last part */
	for (p = rest; (slash = memchr(p, '/', (size_t)(rest + n - p))) !=
	    NULL; p = slash + 1)
		;
	if (rest + n - p == 0 || (size_t)(rest + n - p) > CHECK_NAME_MAX)
		return;
	memcpy(out->file, p, (size_t)(rest + n - p));
	out->file[rest + n - p] = '\0';
	rest += n;
	rest += strspn(rest, ": ");
	if ((p = skip(rest, "line ")) != NULL &&
	    (num = number(p, &end)) > 0) {
		out->line = num;
		rest = end;
	} else if ((p = skip(rest, "entry ")) != NULL &&
	    (num = number(p, &end)) > 0) {
		out->entry = num;
		rest = end;
	}
	out->what = rest;
}
