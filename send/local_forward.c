/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_forward - forward: `&address' or a bare address.  The message
 * goes back into the queue through qinject -Q (qmail-queue's protocol:
 * the message on fd 0, the envelope on fd 1) with the ORIGINAL envelope
 * sender, so bounces still reach whoever sent it (and <> stays <>, so
 * a bounce is never answered), and with this delivery's Delivered-To
 * line on top, so the next hop can see a loop (local_loop.c).  An
 * address without a domain gets the recipient's.  qinject's exit code
 * (queue/qinject_exit.h) says permanent or temporary.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "local.h"
#include "log.h"
#include "paths.h"
#include "qinject_exit.h"

#define ERR_KEEP	300	/* bytes of qinject's complaint kept */

/*
 * target - the address to forward to, checked, into full: angle
 * brackets dropped, the recipient's domain added when it has none.
 * Returns 0, or -1 when it is no valid RFC 5321 address.
 */
static int
target(const struct local_msg *m, const char *s, char full[ADDR_PATH_MAX + 1])
{
	struct addr a;
	size_t n = strlen(s);
	int len;

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	if (n == 0 || memchr(s, '@', n) != NULL || m->host[0] == '\0')
		len = snprintf(full, ADDR_PATH_MAX + 1, "%.*s", (int)n, s);
	else
		len = snprintf(full, ADDR_PATH_MAX + 1, "%.*s@%s", (int)n, s,
		    m->host);
	if (len <= 0 || len > ADDR_PATH_MAX - 2 ||
	    addr_parse(full, (size_t)len, &a, ADDR_UTF8) != 1 ||
	    a.domain[0] == '\0')
		return -1;
	return 0;
}

/* is_ascii - whether s is 7-bit (else qinject must be told: UTF-8). */
static int
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s > 127)
			return 0;
	return 1;
}

/* child - in the new process: the pipes as fds 0, 1 and 2, qinject -Q. */
static void __attribute__((noreturn))
child(const char *prog, int msg, int env, int err, int utf8)
{
	char *argv[] = { "qinject", "-Q", NULL };
	sigset_t none;

	if (dup2(msg, 0) == -1 || dup2(env, 1) == -1 || dup2(err, 2) == -1)
		_exit(QI_BUG);
	closefrom(3);
	(void)signal(SIGPIPE, SIG_DFL);
	(void)signal(SIGTERM, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (utf8 && setenv("QPOST_UTF8", "1", 1) == -1)
		_exit(QI_NOMEM);
	execv(prog, argv);
	_exit(QI_BUG);
}

/* envelope - "F" sender NUL "T" rcpt NUL NUL into dst; its length. */
static size_t
envelope(char *dst, size_t size, const char *sender, const char *rcpt)
{
	int n = snprintf(dst, size, "F%s%cT%s%c%c", sender, '\0', rcpt,
	    '\0', '\0');

	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

/* copy_message - the dtline and the message from offset 0 to fd. */
static int
copy_message(const struct local_msg *m, int fd)
{
	char chunk[65536];
	off_t off = 0;
	ssize_t r;

	if (fd_write_all(fd, m->dtline, strlen(m->dtline)) == -1)
		return -1;
	for (;;) {
		do
			r = pread(m->msgfd, chunk, sizeof(chunk), off);
		while (r == -1 && errno == EINTR);
		if (r <= 0)
			return (int)r;
		if (fd_write_all(fd, chunk, (size_t)r) == -1)
			return -1;
		off += r;
	}
}

/*
 * inject - run qinject -Q with the message and the envelope env (n
 * bytes); its exit status (a wait status) and the start of what it
 * said on stderr into err.  Returns 0, or -1 with errno when it could
 * not be run.  The envelope (two addresses) fits in a pipe's buffer,
 * so it is written first and no poll loop is needed: qinject reads
 * the message to its end before it reads the envelope.
 */
static int
inject(const struct local_msg *m, const char *env, size_t n, int utf8,
    int *status, char *err, size_t errsize)
{
	char prog[1024], said[ERR_KEEP];
	int mp[2] = { -1, -1 }, ep[2] = { -1, -1 }, xp[2] = { -1, -1 };
	size_t got = 0;
	ssize_t r;
	pid_t pid;
	int e;

	if (paths_program(prog, sizeof(prog), "qinject") == -1)
		return -1;
	if (pipe(mp) == -1 || pipe(ep) == -1 || pipe(xp) == -1)
		goto fail;
	if (fd_write_all(ep[1], env, n) == -1)
		goto fail;
	close(ep[1]);
	ep[1] = -1;
	if ((pid = fork()) == -1)
		goto fail;
	if (pid == 0)
		child(prog, mp[0], ep[0], xp[1], utf8);
	close(mp[0]);
	close(ep[0]);
	close(xp[1]);
	/* a write error (EPIPE) means qinject gave up: its code says why */
	(void)copy_message(m, mp[1]);
	close(mp[1]);
	while (got < sizeof(said) &&
	    (r = fd_read(xp[0], said + got, sizeof(said) - got)) > 0)
		got += (size_t)r;
	close(xp[0]);
	while (waitpid(pid, status, 0) == -1)
		if (errno != EINTR)
			return -1;
	local_printable(err, errsize, said, got);
	return 0;
fail:
	e = errno;
	if (mp[0] != -1) {
		close(mp[0]);
		close(mp[1]);
	}
	if (ep[0] != -1) {
		close(ep[0]);
		if (ep[1] != -1)
			close(ep[1]);
	}
	if (xp[0] != -1) {
		close(xp[0]);
		close(xp[1]);
	}
	errno = e;
	return -1;
}

int
local_forward(const struct local_msg *m, const char *rest, char *text,
    size_t size)
{
	char full[ADDR_PATH_MAX + 1], env[2 * ADDR_PATH_MAX + 8];
	char err[ERR_KEEP + 1];
	void (*old_pipe)(int);
	size_t n;
	int status, code, r;

	if (target(m, rest, full) == -1) {
		(void)snprintf(text, size, "5.1.3 <%s>: forward address <%.*s> "
		    "is not a valid address", m->recipient, ADDR_PATH_MAX,
		    rest);
		return LOCAL_PERM;
	}
	if ((n = envelope(env, sizeof(env), m->sender, full)) == 0) {
		(void)snprintf(text, size, "5.1.3 <%s>: envelope too long",
		    m->recipient);
		return LOCAL_PERM;
	}
	err[0] = '\0';
	old_pipe = signal(SIGPIPE, SIG_IGN);
	r = inject(m, env, n, !is_ascii(env), &status, err, sizeof(err));
	(void)signal(SIGPIPE, old_pipe);
	if (r == -1) {
		(void)snprintf(text, size, "%s <%s>: unable to run qinject to "
		    "forward to <%s>: %s", local_temp_code(errno),
		    m->recipient, full, strerror(errno));
		return LOCAL_TEMP;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == QI_OK) {
		(void)snprintf(text, size, "2.0.0 <%s>: forwarded to <%s>",
		    m->recipient, full);
		log_info("id=%s forwarded to=<%s> from=<%s> new_rcpt=<%s>",
		    m->id, m->recipient, m->sender, full);
		return LOCAL_OK;
	}
	if (!WIFEXITED(status)) {
		(void)snprintf(text, size, "4.3.0 <%s>: forward to <%s>: "
		    "qinject killed by signal %d", m->recipient, full,
		    WTERMSIG(status));
		return LOCAL_TEMP;
	}
	code = WEXITSTATUS(status);
	(void)snprintf(text, size, "%s <%s>: forward to <%s> failed: qinject "
	    "exit %d%s%s", code == QI_TOOLONG ? "5.1.3" :
	    QI_IS_PERMANENT(code) ? "5.3.0" : code == QI_WRITE ? "4.3.1" :
	    "4.3.0", m->recipient, full, code, err[0] ? ": " : "", err);
	return QI_IS_PERMANENT(code) ? LOCAL_PERM : LOCAL_TEMP;
}
