/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_dot - the user's own delivery instructions (dot-qpost(5)),
 * for a delivery lspawn gave no -t.  local is already in the home.
 *
 * Which file: for an extension EXT, .qpost-EXT, then .qpost-P-default
 * for each prefix P of EXT cut at an extsep (longest first), then
 * .qpost-default; then, and for every address without an extension,
 * .qpost, then the sendmail-style .forward; with none of them, the
 * lines of control/defaultdelivery, else "./Maildir/".
 *
 * Whoever can write a dot file can run programs as the user, so a dot
 * file (or a home) that others may write, or a dot file that is not
 * the user's own, is refused with a temporary failure and a log line:
 * the user can fix the mode before the message expires.
 *
 * The lines run in order.  A temporary failure stops there and the
 * whole delivery is retried later (the lines before it run again, as
 * in qmail); a permanent one stops and bounces; a program's exit 99
 * stops with success.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "local.h"
#include "local_parse.h"
#include "log.h"
#include "sa.h"

#define DOT_FILE_MAX	(64 * 1024)	/* bytes in one dot file */
#define DOT_NAME_MAX	512		/* bytes in a dot file's name */
#define DEFAULT_LINE	"./Maildir/"
#define EXTSEP_DEFAULT	'+'
#define ITEXT_MAX	1000		/* an instruction's result text */

/* the file whose lines run, for messages naming it */
struct dotfile {
	const char	*name;		/* as the user knows it */
	int		 is_forward;	/* .forward syntax */
	struct sa	 text;
};

static int	run_default(const struct local_msg *, char *, size_t);

/* failf - a failure's text into text; returns code. */
static int
failf(int code, char *text, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
failf(int code, char *text, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, size, fmt, ap);
	va_end(ap);
	return code;
}

/*
 * check_home - refuse a home others may write (they could plant a dot
 * file), or one owned by someone other than the user or root.
 */
static int
check_home(const struct local_msg *m, char *text, size_t size)
{
	struct stat st;

	if (stat(".", &st) == -1)
		return failf(LOCAL_TEMP, text, size, "4.3.0 <%s>: unable to "
		    "stat the home directory %s: %s", m->recipient, m->home,
		    strerror(errno));
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 ||
	    (st.st_uid != geteuid() && st.st_uid != 0)) {
		log_warnx("id=%s refused home=%s to=<%s>: writable by "
		    "group or others, or not the user's", m->id, m->home,
		    m->recipient);
		return failf(LOCAL_TEMP, text, size, "4.7.0 <%s>: home "
		    "directory %s is writable by group or others, or not "
		    "owned by the user", m->recipient, m->home);
	}
	return LOCAL_OK;
}

/*
 * open_dot - read the dot file name into d.  Returns 1 when read, 0
 * when it does not exist, or LOCAL_TEMP / LOCAL_PERM with text set.
 */
static int
open_dot(const struct local_msg *m, const char *name, struct dotfile *d,
    char *text, size_t size)
{
	struct stat st;
	char chunk[8192];
	const char *why = NULL;
	ssize_t r;
	int fd;

	if ((fd = open(name, O_RDONLY | O_NONBLOCK | O_NOCTTY)) == -1) {
		if (errno == ENOENT)
			return 0;
		return failf(LOCAL_TEMP, text, size, "4.3.0 <%s>: unable to "
		    "open %s: %s", m->recipient, name, strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		why = "is not a regular file";
	else if (st.st_uid != geteuid())
		why = "is not owned by the user";
	else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		why = "is writable by group or others";
	if (why != NULL) {
		close(fd);
		log_warnx("id=%s refused dotfile=%s/%s to=<%s>: it %s", m->id,
		    m->home, name, m->recipient, why);
		return failf(LOCAL_TEMP, text, size, "4.7.0 <%s>: %s %s: "
		    "refused", m->recipient, name, why);
	}
	d->name = name;
	sa_free(&d->text);
	while ((r = fd_read(fd, chunk, sizeof(chunk))) > 0) {
		if (d->text.len + (size_t)r > DOT_FILE_MAX) {
			close(fd);
			return failf(LOCAL_PERM, text, size, "5.3.5 <%s>: %s is "
			    "longer than %d bytes", m->recipient, name,
			    DOT_FILE_MAX);
		}
		if (sa_catb(&d->text, chunk, (size_t)r) == -1) {
			r = -1;
			break;
		}
	}
	close(fd);
	if (r == -1)
		return failf(LOCAL_TEMP, text, size, "4.3.0 <%s>: unable to "
		    "read %s: %s", m->recipient, name, strerror(errno));
	return 1;
}

/* extsep - control/extsep's character, '+' without it; -1 if broken. */
static int
extsep(void)
{
	struct sa sa = SA_INIT;
	int r, c = EXTSEP_DEFAULT;

	r = ctl_line("extsep", &sa);
	if (r == 1 && sa.len == 1)
		c = (unsigned char)sa.s[0];
	else if (r != 0)
		c = -1;
	sa_free(&sa);
	return c;
}

/*
 * find_dot - the first dot file of the lookup order that exists, read
 * into d.  Returns 1, 0 when there is none, or LOCAL_TEMP/LOCAL_PERM.
 */
static int
find_dot(const struct local_msg *m, struct dotfile *d, char *name,
    size_t namesize, char *text, size_t size)
{
	size_t len = strlen(m->ext), i;
	int sep, r;

	if (len > 0) {
		if ((sep = extsep()) == -1)
			return failf(LOCAL_TEMP, text, size, "4.3.0 <%s>: "
			    "control/extsep is broken", m->recipient);
		if (dot_name(name, namesize, m->ext, len, "") == -1)
			return failf(LOCAL_PERM, text, size, "5.1.3 <%s>: "
			    "extension too long", m->recipient);
		if ((r = open_dot(m, name, d, text, size)) != 0)
			return r;
		for (i = len; i-- > 0; ) {
			if ((unsigned char)m->ext[i] != sep)
				continue;
			if (dot_name(name, namesize, m->ext, i, "-default") ==
			    -1)
				continue;
			if ((r = open_dot(m, name, d, text, size)) != 0)
				return r;
		}
		(void)dot_name(name, namesize, "", 0, "default");
		if ((r = open_dot(m, name, d, text, size)) != 0)
			return r;
	}
	strlcpy(name, ".qpost", namesize);
	if ((r = open_dot(m, name, d, text, size)) != 0)
		return r;
	strlcpy(name, ".forward", namesize);
	if ((r = open_dot(m, name, d, text, size)) == 1)
		d->is_forward = 1;
	return r;
}

/*
 * where - the instruction's text (code first) with "file line N: "
 * after the code, so a bounce or the log says which line it was.
 */
static void
where(char *text, size_t size, const char *itext, const char *file,
    unsigned lineno)
{
	const char *sp = strchr(itext, ' ');

	if (sp == NULL)
		(void)snprintf(text, size, "%s %s line %u", itext, file,
		    lineno);
	else
		(void)snprintf(text, size, "%.*s %s line %u: %s",
		    (int)(sp - itext), itext, file, lineno, sp + 1);
}

/*
 * backslash - a .forward "\user": the user's own mailbox (the default
 * delivery, never the dot files again), or another user's, forwarded.
 */
static int
backslash(const struct local_msg *m, const char *user, char *text,
    size_t size)
{
	if (strcasecmp(user, m->user) == 0 || strcasecmp(user, m->local) == 0)
		return run_default(m, text, size);
	return local_forward(m, user, text, size);
}

/*
 * run_lines - the instructions of d in order.  *n counts those that
 * ran.  Returns the code of the first that did not succeed, LOCAL_STOP
 * for an exit 99, else LOCAL_OK; text is the last instruction's.
 */
static int
run_lines(const struct local_msg *m, const struct dotfile *d, unsigned *n,
    char *text, size_t size)
{
	struct dot_reader r;
	char line[LOCAL_LINE_MAX], item[LOCAL_LINE_MAX];
	char itext[ITEXT_MAX + 1];
	size_t pos;
	int got, code;

	dot_init(&r, d->text.s, d->text.len);
	while ((got = dot_next(&r, line, sizeof(line))) == 1) {
		for (pos = 0;;) {
			if (!d->is_forward) {
				if (pos++ > 0)
					break;
				strlcpy(item, line, sizeof(item));
			} else if ((got = forward_next(line, &pos, item,
			    sizeof(item))) == 0)
				break;
			else if (got < 0)
				goto bad;
			(*n)++;
			itext[0] = '\0';
			if (item[0] == '\\')
				code = backslash(m, item + 1, itext,
				    sizeof(itext));
			else
				code = local_instruction(m, item, itext,
				    sizeof(itext));
			where(text, size, itext, d->name, r.lineno);
			if (code != LOCAL_OK)
				return code;
		}
	}
	if (got == 0)
		return LOCAL_OK;
bad:
	return failf(LOCAL_PERM, text, size, "5.3.5 <%s>: %s line %u: %s",
	    m->recipient, d->name, r.lineno, dot_strerror(got));
}

/* run_default - control/defaultdelivery's lines, else ./Maildir/. */
static int
run_default(const struct local_msg *m, char *text, size_t size)
{
	struct dotfile d = { "control/defaultdelivery", 0, SA_INIT };
	unsigned n = 0;
	int r, code = LOCAL_OK;

	if ((r = ctl_read("defaultdelivery", &d.text)) == -1)
		return failf(LOCAL_TEMP, text, size, "4.3.0 <%s>: "
		    "control/defaultdelivery is unreadable", m->recipient);
	if (r == 1)
		code = run_lines(m, &d, &n, text, size);
	sa_free(&d.text);
	if (code != LOCAL_OK || n > 0)
		return code;
	return local_instruction(m, DEFAULT_LINE, text, size);
}

int
local_dot(const struct local_msg *m, char *text, size_t size)
{
	struct dotfile d = { NULL, 0, SA_INIT };
	char name[DOT_NAME_MAX];
	unsigned n = 0;
	int found, code;

	if ((code = check_home(m, text, size)) != LOCAL_OK)
		return code;
	found = find_dot(m, &d, name, sizeof(name), text, size);
	if (found == 1) {
		code = run_lines(m, &d, &n, text, size);
		sa_free(&d.text);
		if (code != LOCAL_OK || n > 0)
			return code == LOCAL_STOP ? LOCAL_OK : code;
		/* a dot file with no instruction in it: the default */
	} else if (found != 0) {
		sa_free(&d.text);
		return found;
	}
	code = run_default(m, text, size);
	return code == LOCAL_STOP ? LOCAL_OK : code;
}
