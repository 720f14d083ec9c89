/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * listen - see listen.h.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "priv.h"

/*
 * listen_unix - make the socket at path and listen on it: a stale
 * socket there is removed (anything else is left alone and is fatal),
 * its folder made if missing (/run/qpost is on a tmpfs).  In system
 * mode it gets owner uid, group gid and mode; else 0600, ours.  A
 * failure is fatal: the daemon cannot serve without it.
 */
int
listen_unix(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	struct sockaddr_un sun;
	struct stat st;
	char dir[sizeof(sun.sun_path)], *slash;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path[0] != '/' || strlcpy(sun.sun_path, path,
	    sizeof(sun.sun_path)) >= sizeof(sun.sun_path))
		diex(EXIT_PERM, "the socket path must be absolute and "
		    "shorter than %zu bytes: %s", sizeof(sun.sun_path), path);
	(void)strlcpy(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			die(EXIT_TEMP, "unable to make %s", dir);
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			diex(EXIT_TEMP, "%s exists and is not a socket", path);
		if (unlink(path) == -1)
			die(EXIT_TEMP, "unable to remove the old socket %s",
			    path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die(EXIT_TEMP, "unable to make a socket");
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die(EXIT_TEMP, "unable to bind %s", path);
	(void)umask(old);
	if (!priv_single_user() && (chown(path, uid, gid) == -1 ||
	    chmod(path, mode) == -1))
		die(EXIT_TEMP, "unable to set the owner and mode of %s", path);
	if (listen(fd, 64) == -1)
		die(EXIT_TEMP, "unable to listen on %s", path);
	return fd;
}

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* on_child - only to end ppoll: the loop reaps */
static void
on_child(int sig)
{
	(void)sig;
}

/*
 * signals_set - SIGTERM and SIGINT stop the loop, SIGCHLD wakes it; all
 * three stay blocked except inside ppoll, so none can arrive between
 * the loop's check and its wait and go unseen (a finished child left a
 * zombie until the next connection when accept waited instead).  The
 * mask to wait with goes in waitmask, the one to restore in oldmask.
 */
static void
signals_set(sigset_t *oldmask, sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	(void)sigprocmask(SIG_BLOCK, &set, oldmask);
	*waitmask = *oldmask;
	(void)sigdelset(waitmask, SIGTERM);
	(void)sigdelset(waitmask, SIGINT);
	(void)sigdelset(waitmask, SIGCHLD);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_child;
	(void)sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
}

/*
 * serve_child - in the child: the signals as a fresh process has them
 * (but SIGPIPE ignored), then the connection.
 */
static void __attribute__((noreturn))
serve_child(int lfd, int fd, const struct listen_serve *s,
    const sigset_t *oldmask)
{
	(void)signal(SIGCHLD, SIG_DFL);
	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGINT, SIG_DFL);
	(void)sigprocmask(SIG_SETMASK, oldmask, NULL);
	(void)close(lfd);
	s->serve(fd, s->arg);
	_exit(0);
}

/*
 * listen_serve - the accept loop of a daemon that forks a child per
 * connection, at most s->max at once; see listen.h.  A failure to
 * accept or to fork is logged and retried a second later: a daemon
 * under supervision must not exit for want of memory or descriptors.
 */
int
listen_serve(int lfd, const struct listen_serve *s)
{
	struct pollfd pfd;
	sigset_t oldmask, waitmask;
	size_t children = 0;
	pid_t pid;
	int fd, fl;

	signals_set(&oldmask, &waitmask);
	/* ppoll says when to accept: accept itself must never wait */
	if ((fl = fcntl(lfd, F_GETFL)) != -1)
		(void)fcntl(lfd, F_SETFL, fl | O_NONBLOCK);
	log_info("listening uid=%lu", (unsigned long)getuid());
	while (!stopping) {
		while (children > 0 && waitpid(-1, NULL, WNOHANG) > 0)
			children--;
		pfd.fd = lfd;
		pfd.events = children < s->max ? POLLIN : 0;
		if (ppoll(&pfd, 1, NULL, &waitmask) == -1 ||
		    !(pfd.revents & POLLIN))
			continue;
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno != EINTR && errno != ECONNABORTED &&
			    errno != EAGAIN && errno != EWOULDBLOCK) {
				log_warn("unable to accept");
				(void)sleep(1);
			}
			continue;
		}
		if (s->admit != NULL && !s->admit(fd, s->arg)) {
			(void)close(fd);
			continue;
		}
		if ((pid = fork()) == -1) {
			log_warn("unable to fork");
			(void)close(fd);
			(void)sleep(1);
			continue;
		}
		if (pid == 0)
			serve_child(lfd, fd, s, &oldmask);
		children++;
		(void)close(fd);
	}
	log_info("stopping");
	while (children > 0 && waitpid(-1, NULL, 0) > 0)
		children--;
	return 0;
}
