/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local - one Maildir delivery.
 *
 * lspawn starts local under the recipient's uid and gid (never 0), with
 * the message file of the queue open read-only on fd 0 and a pipe on
 * fd 1.  local writes "Return-Path: <sender>", "Delivered-To:
 * <recipient>" and the message into <home>/Maildir/tmp, fsyncs it,
 * renames it into new/ and fsyncs new/, then prints one line of result
 * text on stdout and exits 0 (delivered), 100 (permanent failure) or
 * 111 (temporary failure).  Nothing half-written is ever left in new/.
 *
 * It trusts its arguments (lspawn checked them) only as far as
 * refusing CR, LF and NUL in them; it trusts the message to be bytes
 * and nothing more.  It reads fd 0 with pread from offset 0 so that it
 * never depends on, or moves, a file offset it might share.
 */
#include <sys/stat.h>
#include <sys/time.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "atomic.h"
#include "buf.h"
#include "log.h"
#include "queue_id.h"
#include "spawn_rec.h"

#define USAGE	"usage: local [-i id] [-u user] -s sender -r recipient " \
		"-d home"

#define MAILDIR		"Maildir"
#define NAME_TRIES	5	/* attempts at a fresh tmp/ name */
#define HOST_MAX	256

static const char *qid = "-";	/* for the log; "-" when not given */

/*
 * A SIGTERM (lspawn sends one when sched has gone away) abandons the
 * delivery unless the message is already being moved into new/: sched
 * will make it again, and a delivery stopped early is one fewer copy.
 */
static volatile sig_atomic_t has_tmp;
static int term_dirfd = -1;
static char term_name[HOST_MAX * 4 + 128];

static void
on_term(int sig)
{
	(void)sig;
	if (has_tmp)
		(void)unlinkat(term_dirfd, term_name, 0);
	_exit(EXIT_TEMP);
}
static const char *rcpt_log = "";

/*
 * finish - print the result text as one line on stdout, log it and
 * exit with code.  The text travels back to sched through lspawn.
 */
static void __attribute__((format(printf, 2, 3), noreturn))
finish(int code, const char *fmt, ...)
{
	char text[SPAWN_TEXT_MAX + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(text) - 2)
		n = (int)sizeof(text) - 2;
	if (code != 0)
		log_warnx("id=%s failed to=<%s> result=%s text=\"%s\"", qid,
		    rcpt_log, code == EXIT_PERM ? "bounce" : "defer", text);
	text[n++] = '\n';
	(void)fd_write_all(1, text, (size_t)n);
	exit(code);
}

/* temp_code - the enhanced status code for a temporary errno. */
static const char *
temp_code(int e)
{
	if (e == EDQUOT)
		return "4.2.2";		/* mailbox full */
	if (e == ENOSPC)
		return "4.3.1";		/* mail system full */
	return "4.3.0";
}

/* arg_ok - a command-line value fit for a header line: no CR, LF, NUL. */
static int
arg_ok(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

/* host_part - gethostname() with '/' and ':' escaped as Maildir asks. */
static void
host_part(char *dst, size_t size)
{
	char host[HOST_MAX];
	size_t i, n = 0;

	if (gethostname(host, sizeof(host)) == -1)
		strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0' && n + 5 < size; i++) {
		if (host[i] == '/') {
			memcpy(dst + n, "\\057", 4);
			n += 4;
		} else if (host[i] == ':') {
			memcpy(dst + n, "\\072", 4);
			n += 4;
		} else
			dst[n++] = host[i];
	}
	dst[n] = '\0';
}

/* maildir_name - a unique name: time.M<usec>P<pid>Q<n>R<random>.host */
static void
maildir_name(char *dst, size_t size, unsigned int q, const char *host)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	(void)snprintf(dst, size, "%lld.M%ldP%ldQ%uR%08x.%s",
	    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(), q,
	    arc4random(), host);
}

/*
 * open_dir - open dirfd/name as a directory, creating it 0700 first if
 * it is absent.  Returns the descriptor or -1.
 */
static int
open_dir(int dirfd, const char *name)
{
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		if (mkdirat(dirfd, name, 0700) == -1 && errno != EEXIST)
			return -1;
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	return fd;
}

/* copy_message - the header lines, then fd 0 from offset 0, into out. */
static int
copy_message(int out, const char *sender, const char *rcpt)
{
	char chunk[65536], obuf[65536];
	struct buf b;
	off_t off = 0;
	ssize_t r;

	buf_init(&b, out, obuf, sizeof(obuf));
	if (buf_puts(&b, "Return-Path: <") == -1 ||
	    buf_puts(&b, sender) == -1 ||
	    buf_puts(&b, ">\nDelivered-To: <") == -1 ||
	    buf_puts(&b, rcpt) == -1 || buf_puts(&b, ">\n") == -1)
		return -1;
	for (;;) {
		do
			r = pread(0, chunk, sizeof(chunk), off);
		while (r == -1 && errno == EINTR);
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		if (buf_put(&b, chunk, (size_t)r) == -1)
			return -1;
		off += r;
	}
	return buf_flush(&b);
}

/*
 * deliver - the Maildir rules: a fresh name in tmp/, the whole message,
 * fsync, rename into new/, fsync new/.  Calls finish() on failure.
 * Stores the name delivered in name.
 */
static void
deliver(const char *home, const char *sender, const char *rcpt, char *name,
    size_t namesize)
{
	char host[HOST_MAX * 4];
	struct atomic a;
	sigset_t term;
	int homefd, mdfd, tmpfd, newfd, curfd, i, e;

	if ((homefd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		e = errno;
		finish(EXIT_TEMP, "%s <%s>: unable to open home directory %s: "
		    "%s", temp_code(e), rcpt, home, strerror(e));
	}
	if ((mdfd = open_dir(homefd, MAILDIR)) == -1 ||
	    (tmpfd = open_dir(mdfd, "tmp")) == -1 ||
	    (newfd = open_dir(mdfd, "new")) == -1 ||
	    (curfd = open_dir(mdfd, "cur")) == -1) {
		e = errno;
		finish(EXIT_TEMP, "%s <%s>: unable to set up %s/%s: %s",
		    temp_code(e), rcpt, home, MAILDIR, strerror(e));
	}
	close(curfd);
	close(homefd);
	host_part(host, sizeof(host));
	for (i = 0;; i++) {
		maildir_name(name, namesize, (unsigned int)i + 1, host);
		/* atomic_begin would replace a file of the same name */
		if (faccessat(tmpfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == -1 &&
		    errno == ENOENT &&
		    atomic_begin(&a, tmpfd, name, newfd, name, 0600) == 0)
			break;
		if (i + 1 == NAME_TRIES) {
			e = errno;
			finish(EXIT_TEMP, "%s <%s>: unable to create a file "
			    "in %s/%s/tmp: %s", temp_code(e), rcpt, home,
			    MAILDIR, strerror(e));
		}
	}
	term_dirfd = tmpfd;
	strlcpy(term_name, name, sizeof(term_name));
	has_tmp = 1;
	/* SIGTERM, blocked until the tmp/ file is known, may stop us now */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &term, NULL);
	if (copy_message(a.fd, sender, rcpt) == -1) {
		e = errno;
		atomic_abort(&a);
		finish(EXIT_TEMP, "%s <%s>: unable to write the message to "
		    "%s/%s/tmp: %s", temp_code(e), rcpt, home, MAILDIR,
		    strerror(e));
	}
	/* from here on the delivery completes: SIGTERM waits */
	sigprocmask(SIG_BLOCK, &term, NULL);
	if (atomic_commit(&a, ATOMIC_SYNC_DIR) == -1) {
		e = errno;
		/*
		 * Either nothing reached new/ (atomic_commit removed the
		 * tmp file) or new/ could not be synced; then take the file
		 * back out, since sched will retry and a second copy is
		 * worse than none.
		 */
		(void)unlinkat(newfd, name, 0);
		finish(EXIT_TEMP, "%s <%s>: unable to commit the message to "
		    "%s/%s: %s", temp_code(e), rcpt, home, MAILDIR,
		    strerror(e));
	}
	close(tmpfd);
	close(newfd);
	close(mdfd);
}

int
main(int argc, char *argv[])
{
	const char *sender = NULL, *rcpt = NULL, *home = NULL, *user = "-";
	char name[HOST_MAX * 4 + 128];
	struct stat st;
	sigset_t term;
	int ch;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "hi:u:s:r:d:")) != -1) {
		switch (ch) {
		case 'h':
			(void)fd_write_all(1, USAGE "\n", strlen(USAGE) + 1);
			exit(0);
		case 'i':
			qid = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 's':
			sender = optarg;
			break;
		case 'r':
			rcpt = optarg;
			break;
		case 'd':
			home = optarg;
			break;
		default:
			finish(EXIT_PERM, "5.3.5 " USAGE);
		}
	}
	if (optind != argc || sender == NULL || rcpt == NULL || home == NULL)
		finish(EXIT_PERM, "5.3.5 " USAGE);
	rcpt_log = arg_ok(rcpt) ? rcpt : "";
	if (!qid_valid(qid, strlen(qid)) && strcmp(qid, "-") != 0)
		finish(EXIT_PERM, "5.3.5 bad message id");
	if (getuid() == 0 || geteuid() == 0)
		finish(EXIT_TEMP, "4.3.0 local refuses to run as root");
	if (!arg_ok(sender) || !arg_ok(rcpt) || !arg_ok(user) ||
	    rcpt[0] == '\0')
		finish(EXIT_PERM, "5.1.3 bad sender or recipient argument");
	if (home[0] != '/' || !arg_ok(home))
		finish(EXIT_PERM, "5.3.5 <%s>: home directory must be an "
		    "absolute path", rcpt);
	if (fstat(0, &st) == -1 || !S_ISREG(st.st_mode))
		finish(EXIT_TEMP, "4.3.0 <%s>: the message on fd 0 is not a "
		    "regular file", rcpt);

	/* a SIGTERM before the tmp/ file exists waits for it: see on_term */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);
	signal(SIGTERM, on_term);
	deliver(home, sender, rcpt, name, sizeof(name));
	log_info("id=%s delivered to=<%s> user=%s size=%lld path=%s/%s/new/%s",
	    qid, rcpt, user, (long long)st.st_size, home, MAILDIR, name);
	finish(0, "2.0.0 <%s> delivered to %s/%s", rcpt, home, MAILDIR);
}
