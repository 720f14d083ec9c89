/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * ctl - control files.  See ctl.h and qpost-control(5).
 *
 * Text files hold one value, or one entry per line; '#' starts a
 * comment line and blank lines are skipped; surrounding blanks are
 * trimmed.  A NUL byte or a line over CTL_LINE_MAX makes a file broken.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "log.h"
#include "paths.h"

/* ctl_path - control directory + "/" + name. */
int
ctl_path(char *dst, size_t size, const char *name)
{
	int n = snprintf(dst, size, "%s/%s", paths_control(), name);

	if (n < 0 || (size_t)n >= size)
		return (errno = ENAMETOOLONG, -1);
	return 0;
}

/* ctl_read - the whole file; 1, 0 if absent, -1 if unreadable. */
int
ctl_read(const char *name, struct sa *out)
{
	char path[1024], chunk[4096];
	struct stat st;
	ssize_t r;
	int fd;

	out->len = 0;
	if (ctl_path(path, sizeof(path), name) == -1) {
		log_warn("control file %s", name);
		return -1;
	}
	/* openat: musl's open follows an O_CLOEXEC open with an fcntl */
	if ((fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("unable to open control file %s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > (off_t)CTL_FILE_MAX) {
		log_warnx("control file %s is not a regular file under %u bytes",
		    path, CTL_FILE_MAX);
		close(fd);
		return -1;
	}
	/*
	 * Up to the size fstat gave: most files take one read, with no
	 * second one to see the end (a file that grew since is read as
	 * it was, one that shrank ends early).  A size of 0 may be a
	 * file of /proc that has text all the same: read to its end.
	 */
	r = 0;
	while ((st.st_size == 0 || out->len < (size_t)st.st_size) &&
	    (r = fd_read(fd, chunk, sizeof(chunk))) > 0) {
		if (out->len + (size_t)r > CTL_FILE_MAX ||
		    sa_catb(out, chunk, (size_t)r) == -1) {
			r = -1;
			break;
		}
	}
	close(fd);
	if (r == -1) {
		log_warn("unable to read control file %s", path);
		return -1;
	}
	if (memchr(out->s ? out->s : "", '\0', out->len) != NULL) {
		log_warnx("control file %s contains a NUL byte", path);
		return -1;
	}
	return sa_0(out) == -1 ? -1 : 1;
}

/*
 * ctl_list - the entries of a list file, each NUL-terminated, one after
 * another in out (walk with s += strlen(s) + 1 while s < out->s + len).
 */
int
ctl_list(const char *name, struct sa *out)
{
	struct sa raw = SA_INIT;
	const char *line, *next, *end;
	size_t n, lineno = 0;
	int r;

	out->len = 0;
	if ((r = ctl_read(name, &raw)) <= 0) {
		sa_free(&raw);
		return r;
	}
	end = raw.s + raw.len;
	for (line = raw.s; line < end; line = next) {
		lineno++;
		next = memchr(line, '\n', (size_t)(end - line));
		next = next ? next + 1 : end;
		n = (size_t)(next - line);
		if (n > CTL_LINE_MAX) {
			log_warnx("control file %s: line %zu: longer than %u "
			    "bytes", name, lineno, CTL_LINE_MAX);
			sa_free(&raw);
			return -1;
		}
		line = ctl_trim(line, &n);
		if (n == 0 || line[0] == '#')
			continue;
		if (sa_catb(out, line, n) == -1 || sa_catc(out, '\0') == -1) {
			sa_free(&raw);
			return -1;
		}
	}
	sa_free(&raw);
	/* out->s is never NULL on success, even with no entry: callers
	   walk it with out->s + out->len, undefined on a null pointer */
	return sa_0(out) == -1 ? -1 : 1;
}

/* ctl_line - the first entry of a file (see ctl_list). */
int
ctl_line(const char *name, struct sa *out)
{
	int r = ctl_list(name, out);

	if (r == 1 && out->len == 0) {
		log_warnx("control file %s has no value", name);
		return -1;
	}
	if (r == 1)
		out->len = strlen(out->s);
	return r;
}

/* ctl_int - a decimal integer in [min, max]. */
int
ctl_int(const char *name, long long min, long long max, long long *val)
{
	struct sa sa = SA_INIT;
	const char *err;
	int r;

	if ((r = ctl_line(name, &sa)) == 1) {
		*val = strtonum(sa.s, min, max, &err);
		if (err != NULL) {
			log_warnx("control file %s: line 1: \"%s\" is %s "
			    "(want %lld to %lld)", name, sa.s, err, min, max);
			r = -1;
		}
	}
	sa_free(&sa);
	return r;
}

/* ctl_list_has - whether a list holds s, ignoring case. */
int
ctl_list_has(const struct sa *list, const char *s)
{
	const char *p;

	for (p = list->s; p != NULL && p < list->s + list->len;
	    p += strlen(p) + 1)
		if (strcasecmp(p, s) == 0)
			return 1;
	return 0;
}

/* ctl_cdb_open - open name (a .cdb) for reading; -1 with errno set. */
int
ctl_cdb_open(const char *name)
{
	char path[1024];

	if (ctl_path(path, sizeof(path), name) == -1)
		return -1;
	return openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

/*
 * ctl_cdb_open_opt - name (a .cdb) into *fd, -1 there when it does not
 * exist.  Returns 0, or -1 when it cannot be opened (logged).
 */
int
ctl_cdb_open_opt(const char *name, int *fd)
{
	if ((*fd = ctl_cdb_open(name)) == -1 && errno != ENOENT) {
		log_warn("unable to open control/%s", name);
		return -1;
	}
	return 0;
}

/*
 * ctl_trim - s[0..*n) without the blanks at both ends (and a CR or LF
 * at the end): how every control-file line is read.
 */
const char *
ctl_trim(const char *s, size_t *n)
{
	while (*n > 0 && strchr(" \t\r\n", s[*n - 1]) != NULL)
		(*n)--;
	while (*n > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		(*n)--;
	}
	return s;
}
