/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qinject_verify - run qpverify between smtpd and the drop file.  See
 * qinject_verify.h.
 *
 * qpverify reads the message twice (SPF and DKIM need the header and
 * the body; the output needs them again), so the message goes into an
 * unnamed file first: O_TMPFILE in drop/, on the queue's filesystem,
 * which qinject may write to anyway, and which vanishes with its last
 * descriptor whatever happens.  qpverify writes into a second one,
 * which becomes qinject's fd 0.
 */
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "log.h"
#include "paths.h"
#include "qinject_exit.h"
#include "qinject_verify.h"

#define VERIFY_MESSAGE_MAX	(1024ULL * 1024 * 1024)	/* as qinject's */

/* is_on - whether control/verify asks for checks at all. */
static int
is_on(void)
{
	struct sa w = SA_INIT;
	int r;

	if ((r = ctl_line("verify", &w)) == -1)
		diex(QI_CONTROL, "unable to read control/verify: see above");
	r = r == 1 && strcmp(w.s, "off") != 0;
	sa_free(&w);
	return r;
}

/* unnamed - an unnamed read-write file in drop/. */
static int
unnamed(int drop_fd)
{
	int fd = openat(drop_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd == -1)
		die(QI_DROPFILE, "unable to create an unnamed file in drop/ "
		    "for qpverify (the queue's filesystem needs O_TMPFILE)");
	return fd;
}

/* spool - all of fd 0 into fd. */
static void
spool(int fd)
{
	char chunk[65536];
	unsigned long long total = 0;
	ssize_t r;

	while ((r = fd_read(0, chunk, sizeof(chunk))) > 0) {
		if ((total += (size_t)r) > VERIFY_MESSAGE_MAX)
			diex(QI_REFUSED, "message is larger than %llu bytes",
			    VERIFY_MESSAGE_MAX);
		if (fd_write_all(fd, chunk, (size_t)r) == -1)
			die(QI_WRITE, "unable to spool the message for "
			    "qpverify");
	}
	if (r == -1)
		die(QI_READ, "unable to read the message");
	if (lseek(fd, 0, SEEK_SET) == -1)
		die(QI_DROPFILE, "unable to rewind the spooled message");
}

/* run - qpverify with in as fd 0 and out as fd 1; its exit code. */
static int
run(int in, int out, const char *ip)
{
	char prog[1024];
	const char *helo = getenv("QPOST_VERIFY_HELO");
	const char *from = getenv("QPOST_VERIFY_FROM");
	pid_t pid;
	int status;

	if (paths_program(prog, sizeof(prog), "qpverify") == -1)
		diex(QI_BUG, "the path of qpverify is too long");
	if ((pid = fork()) == -1)
		die(QI_NOMEM, "unable to fork qpverify");
	if (pid == 0) {
		if (dup2(in, 0) == -1 || dup2(out, 1) == -1)
			_exit(QI_BUG);
		/*
		 * No -f when smtpd's runner left the sender out (over 255
		 * bytes, or UTF-8): unknown, which is not the null sender.
		 */
		if (from != NULL)
			execl(prog, "qpverify", "-i", ip, "-H", helo ? helo :
			    "", "-f", from, (char *)NULL);
		else
			execl(prog, "qpverify", "-i", ip, "-H", helo ? helo :
			    "", (char *)NULL);
		log_warn("unable to run %s", prog);
		_exit(QI_BUG);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return QI_BUG;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	log_warnx("qpverify pid=%ld was killed by signal %d", (long)pid,
	    WTERMSIG(status));
	return QI_BUG;
}

/* qinject_verify - the message through qpverify.  See qinject_verify.h. */
void
qinject_verify(int drop_fd)
{
	const char *ip = getenv("QPOST_VERIFY_IP");
	int in, out, code;

	if (ip == NULL || ip[0] == '\0' || !is_on())
		return;
	in = unnamed(drop_fd);
	out = unnamed(drop_fd);
	spool(in);
	if ((code = run(in, out, ip)) != QI_OK)
		diex(code, "qpverify refused the message or failed (exit %d)",
		    code);
	if (lseek(out, 0, SEEK_SET) == -1 || dup2(out, 0) == -1)
		die(QI_DROPFILE, "unable to read qpverify's output");
	close(in);
	close(out);
	/* checked once: a control/filter's inner qinject must not again */
	unsetenv("QPOST_VERIFY_IP");
	unsetenv("QPOST_VERIFY_HELO");
	unsetenv("QPOST_VERIFY_FROM");
}
