/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qpasswd - set or delete an SMTP AUTH user: control/passwd ("user:hash"
 * lines, 0600) and the cdb qpauth reads, control/passwd.cdb (0400).
 *
 * Run by the admin (root: both files then belong to qpauth:qpauth, so
 * qpauth alone can read them) or, in single-user mode, by the
 * instance's user.  The password is never an argument: it is read
 * twice from the terminal (readpassphrase(3)), or once, one line, from
 * standard input when that is not a terminal.  It is hashed with
 * yescrypt (crypt_gensalt_ra "$y$", crypt_r) and wiped.  Both files
 * are replaced atomically (lib/atomic.h), under a lock on the control
 * directory so that two runs cannot lose each other's change.
 *
 * Exit: 0 done, 100 usage or bad input, 111 system error.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <bsd/readpassphrase.h>
#include <cdb.h>
#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "ctl.h"
#include "log.h"
#include "paths.h"
#include "priv.h"
#include "sa.h"
#include "smtpd_auth.h"

#define USAGE	"usage: qpasswd [-h] [-d] user\n" \
		"  set user's SMTP AUTH password (read from the terminal,\n" \
		"  or one line of standard input), or delete user (-d)\n"

static char pass[AUTH_PASS_MAX + 2];
static char pass2[AUTH_PASS_MAX + 2];

static void
wipe(void)
{
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(pass2, sizeof(pass2));
}

/* read_password - into pass, from the terminal or stdin; or exit. */
static void
read_password(void)
{
	size_t n = 0;
	ssize_t r;
	char c;

	if (isatty(0)) {
		if (readpassphrase("New password: ", pass, sizeof(pass),
		    RPP_REQUIRE_TTY) == NULL ||
		    readpassphrase("Again: ", pass2, sizeof(pass2),
		    RPP_REQUIRE_TTY) == NULL)
			die(EXIT_TEMP, "unable to read the password");
		if (strcmp(pass, pass2) != 0)
			diex(EXIT_PERM, "the passwords differ: nothing changed");
		n = strlen(pass);
	} else {
		/* byte by byte: read nothing after the line */
		for (;;) {
			if ((r = fd_read(0, &c, 1)) == -1)
				die(EXIT_TEMP, "unable to read the password");
			if (r == 0 || c == '\n')
				break;
			if (c == '\0' || n >= sizeof(pass) - 1)
				diex(EXIT_PERM, "the password holds a NUL or "
				    "is longer than %d bytes", AUTH_PASS_MAX);
			pass[n++] = c;
		}
		c = 0;
		if (n > 0 && pass[n - 1] == '\r')
			n--;
		pass[n] = '\0';
	}
	if (n == 0 || n > AUTH_PASS_MAX)
		diex(EXIT_PERM, "the password must be 1 to %d bytes",
		    AUTH_PASS_MAX);
}

/* make_hash - the yescrypt hash of pass, into out; or exit. */
static void
make_hash(char *out, size_t size)
{
	struct crypt_data *cd;
	char *setting;
	const char *h;

	if ((setting = crypt_gensalt_ra("$y$", 0, NULL, 0)) == NULL)
		die(EXIT_TEMP, "unable to make a salt");
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		die(EXIT_TEMP, "unable to allocate memory");
	h = crypt_r(pass, setting, cd);
	wipe();
	if (h == NULL || h[0] != '$' || strlcpy(out, h, size) >= size)
		diex(EXIT_TEMP, "unable to hash the password");
	freezero(cd, sizeof(*cd));
	free(setting);
}

/*
 * read_passwd - control/passwd into raw (empty if absent); or exit.
 */
static void
read_passwd(int dirfd, struct sa *raw)
{
	char chunk[4096];
	ssize_t r;
	int fd;

	if ((fd = openat(dirfd, "passwd", O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			return;
		die(EXIT_TEMP, "unable to open control/passwd");
	}
	while ((r = fd_read(fd, chunk, sizeof(chunk))) > 0) {
		if (raw->len + (size_t)r > CTL_FILE_MAX)
			diex(EXIT_PERM, "control/passwd is too large");
		if (sa_catb(raw, chunk, (size_t)r) == -1)
			die(EXIT_TEMP, "unable to allocate memory");
	}
	if (r == -1)
		die(EXIT_TEMP, "unable to read control/passwd");
	(void)close(fd);
}

/* line_user - whether line (n bytes) is "user:..." for this user. */
static int
line_user(const char *line, size_t n, const char *user)
{
	size_t ul = strlen(user);

	return n > ul && line[ul] == ':' && memcmp(line, user, ul) == 0;
}

/*
 * commit - finish an atomic file: owned by qpauth in system mode;
 * or exit.
 */
static void
commit(struct atomic *a, const char *name, uid_t uid, gid_t gid)
{
	if (!priv_single_user() && fchown(a->fd, uid, gid) == -1) {
		atomic_abort(a);
		die(EXIT_TEMP, "unable to chown control/%s", name);
	}
	if (atomic_commit(a, ATOMIC_SYNC_DIR) == -1)
		die(EXIT_TEMP, "unable to put control/%s in place", name);
}

/*
 * build_cdb - passwd.cdb from the text in txt, every line checked
 * (a valid user, a '$' hash, no duplicates); or exit, leaving the old
 * cdb in place.
 */
static void
build_cdb(int dirfd, const struct sa *txt, uid_t uid, gid_t gid)
{
	struct atomic a;
	struct cdb_make cm;
	char user[AUTH_USER_MAX + 1];
	const char *line, *next, *end, *colon;
	size_t n, lineno = 0;

	if (atomic_begin(&a, dirfd, "passwd.cdb.tmp", dirfd, "passwd.cdb",
	    0400) == -1)
		die(EXIT_TEMP, "unable to create control/passwd.cdb.tmp");
	if (cdb_make_start(&cm, a.fd) != 0)
		goto fail;
	end = txt->s + txt->len;
	for (line = txt->s; line != NULL && line < end; line = next) {
		lineno++;
		next = memchr(line, '\n', (size_t)(end - line));
		n = (size_t)((next ? next : end) - line);
		if (next != NULL)
			next++;
		if (n == 0 || line[0] == '#')
			continue;
		colon = memchr(line, ':', n);
		if (colon == NULL || (size_t)(colon - line) > AUTH_USER_MAX ||
		    colon + 1 >= line + n || colon[1] != '$' ||
		    memchr(line, '\0', n) != NULL) {
			atomic_abort(&a);
			diex(EXIT_PERM, "control/passwd: line %zu: want "
			    "user:hash", lineno);
		}
		memcpy(user, line, (size_t)(colon - line));
		user[colon - line] = '\0';
		if (!auth_user_valid(user)) {
			atomic_abort(&a);
			diex(EXIT_PERM, "control/passwd: line %zu: bad user "
			    "name", lineno);
		}
		if (cdb_make_exists(&cm, user, (unsigned)strlen(user)) != 0) {
			atomic_abort(&a);
			diex(EXIT_PERM, "control/passwd: line %zu: %s again",
			    lineno, user);
		}
		if (cdb_make_add(&cm, user, (unsigned)strlen(user), colon + 1,
		    (unsigned)(line + n - colon - 1)) != 0)
			goto fail;
	}
	if (cdb_make_finish(&cm) != 0)
		goto fail;
	commit(&a, "passwd.cdb", uid, gid);
	return;
fail:
	atomic_abort(&a);
	die(EXIT_TEMP, "unable to write control/passwd.cdb.tmp");
}

int
main(int argc, char **argv)
{
	struct sa raw = SA_INIT, out = SA_INIT;
	struct atomic a;
	char user[AUTH_USER_MAX + 1], hash[512];
	const char *line, *next, *end, *dir;
	uid_t uid = 0;
	gid_t gid = 0;
	size_t i, n;
	int ch, del = 0, dirfd, found = 0;

	log_init(argv[0]);
	log_on_die(wipe);
	while ((ch = getopt(argc, argv, "dh")) != -1) {
		switch (ch) {
		case 'd':
			del = 1;
			break;
		case 'h':
			usage_exit(USAGE, 0);
		default:
			usage_exit(USAGE, EXIT_PERM);
		}
	}
	if (argc - optind != 1) {
		(void)fd_write_all(2, USAGE, sizeof(USAGE) - 1);
		return EXIT_PERM;
	}
	if (!auth_user_valid(argv[optind]))
		diex(EXIT_PERM, "bad user name %s: want 1 to %d of "
		    "[A-Za-z0-9._+-]", argv[optind], AUTH_USER_MAX);
	(void)strlcpy(user, argv[optind], sizeof(user));
	for (i = 0; user[i] != '\0'; i++)
		user[i] = (char)tolower((unsigned char)user[i]);
	if (!priv_single_user() && priv_lookup(USER_AUTH, &uid, &gid) == -1)
		diex(EXIT_TEMP, "unable to find user %s: run qpost-setup",
		    USER_AUTH);
	if (!del) {
		read_password();
		make_hash(hash, sizeof(hash));
	}

	dir = paths_control();
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		die(EXIT_TEMP, "unable to open control directory %s", dir);
	while (flock(dirfd, LOCK_EX) == -1)
		if (errno != EINTR)
			die(EXIT_TEMP, "unable to lock %s", dir);
	read_passwd(dirfd, &raw);

	/* the new text: every other line as it was, ours replaced */
	end = raw.s + raw.len;
	for (line = raw.s; line != NULL && line < end; line = next) {
		next = memchr(line, '\n', (size_t)(end - line));
		n = (size_t)((next ? next : end) - line);
		next = next ? next + 1 : end;
		if (line_user(line, n, user)) {
			if (found++ || del)
				continue;
			if (sa_catf(&out, "%s:%s\n", user, hash) == -1)
				die(EXIT_TEMP, "unable to allocate memory");
			continue;
		}
		if (sa_catb(&out, line, n) == -1 || sa_catc(&out, '\n') == -1)
			die(EXIT_TEMP, "unable to allocate memory");
	}
	if (del && !found)
		diex(EXIT_PERM, "no user %s in control/passwd", user);
	if (!del && !found && sa_catf(&out, "%s:%s\n", user, hash) == -1)
		die(EXIT_TEMP, "unable to allocate memory");
	explicit_bzero(hash, sizeof(hash));

	if (atomic_begin(&a, dirfd, "passwd.tmp", dirfd, "passwd", 0600) == -1)
		die(EXIT_TEMP, "unable to create control/passwd.tmp");
	if (fd_write_all(a.fd, out.s, out.len) == -1) {
		atomic_abort(&a);
		die(EXIT_TEMP, "unable to write control/passwd.tmp");
	}
	commit(&a, "passwd", uid, gid);
	build_cdb(dirfd, &out, uid, gid);
	log_info("%s user=%s", del ? "deleted" : "set", user);
	sa_wipe(&raw);
	sa_wipe(&out);
	(void)close(dirfd);
	return 0;
}
