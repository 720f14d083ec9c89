/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * log - the one way programs write to the log.  See log.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <getopt.h>

#include "buf.h"
#include "log.h"

#define LOG_LINE_MAX	2048

static const char *prog = "qpost";
static void (*exit_hook)(void);

/* log_on_die - run fn before die(), diex() or panic() exit: cleanup. */
void
log_on_die(void (*fn)(void))
{
	exit_hook = fn;
}

static void __attribute__((noreturn))
leave(int code)
{
	if (exit_hook != NULL)
		exit_hook();
	_exit(code);
}

void
log_init(const char *name)
{
	const char *slash = strrchr(name, '/');

	prog = slash ? slash + 1 : name;
}

const char *
log_prog(void)
{
	return prog;
}

/* escape - copy src into dst, writing unprintable bytes as \ooo. */
static size_t
escape(char *dst, size_t dstsize, const char *src)
{
	size_t n = 0;
	unsigned char c;

	for (; *src != '\0' && n + 5 < dstsize; src++) {
		c = (unsigned char)*src;
		if (c < 0x20 || c >= 0x7f || c == '\\') {
			if (c == '\\') {
				dst[n++] = '\\';
				dst[n++] = '\\';
			} else
				n += (size_t)snprintf(dst + n, dstsize - n,
				    "\\%03o", c);
		} else
			dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return n;
}

/*
 * log_vline - format one line: "prog: [severity: ]text[: strerror]\n".
 * errnum < 0 means no error text.
 */
void
log_vline(const char *severity, int errnum, const char *fmt, va_list ap)
{
	char raw[LOG_LINE_MAX], line[LOG_LINE_MAX * 2];
	size_t n;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	n = (size_t)snprintf(line, sizeof(line), "%s: %s%s", prog,
	    severity ? severity : "", severity ? ": " : "");
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	n += escape(line + n, sizeof(line) - n - 1, raw);
	if (errnum >= 0)
		n += (size_t)snprintf(line + n, sizeof(line) - n - 1, ": %s",
		    strerror(errnum));
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)fd_write_all(2, line, n);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(NULL, -1, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vline("warning", saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("warning", -1, fmt, ap);
	va_end(ap);
}

void
die(int code, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vline("fatal", saved, fmt, ap);
	va_end(ap);
	leave(code);
}

void
diex(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("fatal", -1, fmt, ap);
	va_end(ap);
	leave(code);
}

void
panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("panic", -1, fmt, ap);
	va_end(ap);
	leave(EXIT_TEMP);
}

/*
 * usage_exit - print usage (adding a newline when it has none) on
 * stdout and exit 0 when code is 0, as -h asks; else on stderr, and
 * exit with code (EXIT_PERM for a usage error).
 */
void
usage_exit(const char *usage, int code)
{
	size_t n = strlen(usage);
	int fd = code == 0 ? 1 : 2;

	(void)fd_write_all(fd, usage, n);
	if (n == 0 || usage[n - 1] != '\n')
		(void)fd_write_all(fd, "\n", 1);
	_exit(code);
}

/*
 * log_options_h - the command line of a program whose one option is -h
 * and that takes no arguments.
 */
void
log_options_h(int argc, char *argv[], const char *usage)
{
	int ch;

	while ((ch = getopt(argc, argv, "h")) != -1)
		usage_exit(usage, ch == 'h' ? 0 : EXIT_PERM);
	if (optind != argc)
		usage_exit(usage, EXIT_PERM);
}
