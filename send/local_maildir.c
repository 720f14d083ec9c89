/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_maildir - deliver into a Maildir: a fresh name in tmp/, the
 * whole message, fsync, rename into new/, fsync new/.  Nothing
 * half-written is ever left in new/.
 *
 * The name in new/ is fixed by the message and the delivery (see
 * final_name), and the rename replaces nothing: a delivery made again
 * because a crash came between this one and sched's record of it
 * finds its copy there and reports success instead of a second copy.
 * A mail reader may have moved that copy into cur/ meanwhile, adding
 * ":2," and flags to its name (an IMAP server does so as soon as it
 * sees it), so a delivery sched says may repeat one (local -a) looks
 * through cur/ first.  Only those: cur/ may hold many thousands.
 */
#include <sys/stat.h>
#include <sys/time.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "fnv.h"
#include "local.h"
#include "log.h"

#define NAME_TRIES	5	/* attempts at a fresh tmp/ name */
#define HOST_MAX	256
#define NAME_MAX_LEN	(HOST_MAX * 4 + 128)

/*
 * A SIGTERM (lspawn sends one when sched has gone away) abandons the
 * delivery unless the message is already being moved into new/: sched
 * will make it again, and a delivery stopped early is one fewer copy.
 * local blocks SIGTERM except while a tmp/ file is being written.
 */
static volatile sig_atomic_t has_tmp;
static int term_dirfd = -1;
static char term_name[NAME_MAX_LEN];

void
local_on_term(int sig)
{
	(void)sig;
	if (has_tmp)
		(void)unlinkat(term_dirfd, term_name, 0);
	_exit(LOCAL_TEMP);
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
 * final_name - the name in new/ for this message, recipient and
 * Maildir: the time the message was queued (m->queued), the
 * queue id, a hash of the envelope recipient, the address it led to
 * and the Maildir, and the host.  The same delivery made twice gives
 * the same name; two different ones cannot (the queue id is 64 random
 * bits, fixed for the message's life).  0, or -1 when there is no
 * queue id (local run by hand): then the name in tmp/ is used, fresh
 * each time.
 */
static int
final_name(const struct local_msg *m, const char *dir, const char *host,
    char *dst, size_t size)
{
	uint64_t h;

	if (strcmp(m->id, "-") == 0)
		return -1;
	h = fnv1a(fnv1a(fnv1a(FNV1A_INIT, m->orcpt),
	    m->recipient), dir);
	(void)snprintf(dst, size, "%lld.Q%sR%016llx.%s",
	    (long long)m->queued, m->id, (unsigned long long)h, host);
	return 0;
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

/* close_all - close the descriptors of a Maildir that are open. */
static void
close_all(int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fds[i] != -1)
			close(fds[i]);
}

/*
 * in_cur - whether cur/ (curfd) holds name, as it is or with ":" and
 * flags after it; its entry's name into found.  A cur/ that cannot be
 * read is logged and taken to hold nothing: a second copy is better
 * than mail kept back until a mailbox is mended.
 */
static int
in_cur(int curfd, const char *name, char *found, size_t size)
{
	struct dirent *de;
	size_t len = strlen(name);
	DIR *dir;
	int fd, is_in = 0;

	if ((fd = openat(curfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (dir = fdopendir(fd)) == NULL) {
		log_warn("unable to look through cur/ for %s", name);
		if (fd != -1)
			close(fd);
		return 0;
	}
	while ((de = readdir(dir)) != NULL)
		if (strncmp(de->d_name, name, len) == 0 &&
		    (de->d_name[len] == '\0' || de->d_name[len] == ':')) {
			strlcpy(found, de->d_name, size);
			is_in = 1;
			break;
		}
	closedir(dir);
	return is_in;
}

/*
 * write_tmp - the message into a fresh file in tmp/, then into new/ as
 * name (fixed: final_name's; else made here); 0, 1 when name was in
 * new/ already, or -1.
 */
static int
write_tmp(const struct local_msg *m, const char *host, int fixed,
    int tmpfd, int newfd, char *name, size_t namesize)
{
	char tmpname[NAME_MAX_LEN];
	struct atomic a;
	sigset_t term;
	int i, e, r;

	for (i = 0;; i++) {
		maildir_name(tmpname, sizeof(tmpname), (unsigned int)i + 1,
		    host);
		if (!fixed)
			strlcpy(name, tmpname, namesize);
		/* atomic_begin would replace a file of the same name */
		if (faccessat(tmpfd, tmpname, F_OK, AT_SYMLINK_NOFOLLOW) ==
		    -1 && errno == ENOENT &&
		    atomic_begin(&a, tmpfd, tmpname, newfd, name, 0600) == 0)
			break;
		if (i + 1 == NAME_TRIES)
			return -1;
	}
	term_dirfd = tmpfd;
	strlcpy(term_name, tmpname, sizeof(term_name));
	has_tmp = 1;
	/* SIGTERM, blocked until the tmp/ file is known, may stop us now */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &term, NULL);
	if (local_copy(m, a.fd) == -1) {
		e = errno;
		sigprocmask(SIG_BLOCK, &term, NULL);
		has_tmp = 0;
		atomic_abort(&a);
		errno = e;
		return -1;
	}
	/* from here on the delivery completes: SIGTERM waits */
	sigprocmask(SIG_BLOCK, &term, NULL);
	has_tmp = 0;
	if ((r = atomic_commit(&a, ATOMIC_SYNC_DIR | ATOMIC_NO_REPLACE)) ==
	    -1) {
		e = errno;
		/*
		 * Either nothing reached new/ (atomic_commit removed the
		 * tmp file) or new/ could not be synced; then take the file
		 * back out, since sched will retry and a second copy is
		 * worse than none.
		 */
		(void)unlinkat(newfd, name, 0);
		errno = e;
		return -1;
	}
	return r;
}

/*
 * local_maildir - deliver to the Maildir dir (relative to the home
 * directory unless absolute; its trailing slash is optional here).
 */
int
local_maildir(const struct local_msg *m, const char *dir, char *text,
    size_t size)
{
	enum { HOME, MD, TMP, NEW, CUR, NFD };
	char host[HOST_MAX * 4], name[NAME_MAX_LEN], cur[NAME_MAX_LEN] = "";
	int fd[NFD] = { -1, -1, -1, -1, -1 }, e, fixed, found;

	if ((fd[HOME] = open(m->home, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		e = errno;
		(void)snprintf(text, size, "%s <%s>: unable to open home "
		    "directory %s: %s", local_temp_code(e), m->recipient,
		    m->home, strerror(e));
		return LOCAL_TEMP;
	}
	if ((fd[MD] = open_dir(fd[HOME], dir)) == -1 ||
	    (fd[TMP] = open_dir(fd[MD], "tmp")) == -1 ||
	    (fd[NEW] = open_dir(fd[MD], "new")) == -1 ||
	    (fd[CUR] = open_dir(fd[MD], "cur")) == -1) {
		e = errno;
		close_all(fd, NFD);
		(void)snprintf(text, size, "%s <%s>: unable to set up Maildir "
		    "%s: %s", local_temp_code(e), m->recipient, dir,
		    strerror(e));
		return LOCAL_TEMP;
	}
	host_part(host, sizeof(host));
	fixed = final_name(m, dir, host, name, sizeof(name)) == 0;
	if (fixed && m->is_again && in_cur(fd[CUR], name, cur, sizeof(cur)))
		found = 1;
	else if ((found = write_tmp(m, host, fixed, fd[TMP], fd[NEW], name,
	    sizeof(name))) == -1) {
		e = errno;
		close_all(fd, NFD);
		(void)snprintf(text, size, "%s <%s>: unable to deliver to "
		    "Maildir %s: %s", local_temp_code(e), m->recipient, dir,
		    strerror(e));
		return LOCAL_TEMP;
	}
	close_all(fd, NFD);
	log_info("id=%s delivered to=<%s> user=%s size=%lld maildir=%s "
	    "file=%s/%s%s", m->id, m->recipient, m->user,
	    (long long)m->size, dir, cur[0] != '\0' ? "cur" : "new",
	    cur[0] != '\0' ? cur : name, found ? " found=yes" : "");
	(void)snprintf(text, size, "2.0.0 <%s> delivered to Maildir %s",
	    m->recipient, dir);
	return LOCAL_OK;
}
