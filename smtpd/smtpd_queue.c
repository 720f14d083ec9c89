/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_queue - run qinject for one message.  See smtpd_queue.h.
 */
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"
#include "qinject_exit.h"
#include "smtpd_queue.h"

/*
 * wait_exit - qinject's exit code; a signal counts as a bug (81), and
 * is logged, for nothing else says why: a SIGSYS means the seccomp
 * filter smtpd's child inherits lacks a system call qinject made.
 */
static int
wait_exit(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return QI_BUG;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		log_warnx("qinject pid=%ld was killed by signal %d",
		    (long)pid, WTERMSIG(status));
	return QI_BUG;
}

/*
 * qjob_start - fork qinject -Q with its three pipes and read its
 * message id.  Returns 0, or qinject's exit code (or QI_BUG) when it
 * could not be started or failed before it chose an id.
 */
int
qjob_start(struct qjob *j, int is_utf8)
{
	char prog[1024], idline[QID_LEN + 2];
	int msg[2], env[2], idp[2];
	size_t got = 0;
	ssize_t r;

	memset(j, 0, sizeof(*j));
	if (paths_program(prog, sizeof(prog), "qinject") == -1 ||
	    pipe2(msg, O_CLOEXEC) == -1)
		return QI_BUG;
	if (pipe2(env, O_CLOEXEC) == -1) {
		close(msg[0]);
		close(msg[1]);
		return QI_BUG;
	}
	if (pipe2(idp, O_CLOEXEC) == -1) {
		close(msg[0]);
		close(msg[1]);
		close(env[0]);
		close(env[1]);
		return QI_BUG;
	}
	if ((j->pid = fork()) == -1) {
		log_warn("unable to fork qinject");
		j->pid = 0;
		close(msg[0]); close(msg[1]); close(env[0]); close(env[1]);
		close(idp[0]); close(idp[1]);
		return QI_NOMEM;
	}
	if (j->pid == 0) {
		if (dup2(msg[0], 0) == -1 || dup2(env[0], 1) == -1 ||
		    dup2(idp[1], 3) == -1)
			_exit(QI_BUG);
		closefrom(4);
		setenv("QPOST_ID_FD", "3", 1);
		if (is_utf8)
			setenv("QPOST_UTF8", "1", 1);
		signal(SIGPIPE, SIG_DFL);
		execl(prog, "qinject", "-Q", (char *)NULL);
		log_warn("unable to run %s", prog);
		_exit(QI_BUG);
	}
	close(msg[0]);
	close(env[0]);
	close(idp[1]);
	j->envfd = env[1];
	buf_init(&j->out, msg[1], j->outbuf, sizeof(j->outbuf));
	while (got < sizeof(idline) &&
	    (r = fd_read(idp[0], idline + got, sizeof(idline) - got)) > 0)
		got += (size_t)r;
	close(idp[0]);
	if (got != QID_LEN + 1 || idline[QID_LEN] != '\n' ||
	    !qid_valid(idline, QID_LEN)) {
		close(msg[1]);
		close(env[1]);
		r = wait_exit(j->pid);
		j->pid = 0;
		return r == 0 ? QI_BUG : (int)r;
	}
	memcpy(j->id, idline, QID_LEN);
	return 0;
}

/* qjob_write - message bytes to qinject; a failure is kept for later. */
void
qjob_write(struct qjob *j, const char *p, size_t n)
{
	if (!j->is_broken && buf_put(&j->out, p, n) == -1)
		j->is_broken = 1;
}

/*
 * qjob_finish - end the message, send the envelope ("F" sender NUL,
 * "T" recipient NUL each, NUL), wait.  rcpts holds the recipients
 * NUL-terminated back to back.  Returns qinject's exit code.
 */
int
qjob_finish(struct qjob *j, const char *sender, const struct sa *rcpts)
{
	struct sa env = SA_INIT;
	int code;

	if (!j->is_broken && buf_flush(&j->out) == -1)
		j->is_broken = 1;
	close(j->out.fd);
	if (sa_catc(&env, 'F') == -1 || sa_cats(&env, sender) == -1 ||
	    sa_catc(&env, '\0') == -1)
		j->is_broken = 1;
	for (const char *r = rcpts->s; r != NULL && r < rcpts->s + rcpts->len;
	    r += strlen(r) + 1)
		if (sa_catc(&env, 'T') == -1 || sa_cats(&env, r) == -1 ||
		    sa_catc(&env, '\0') == -1)
			j->is_broken = 1;
	if (sa_catc(&env, '\0') == -1)
		j->is_broken = 1;
	/* a broken message gets no envelope: qinject then queues nothing */
	if (!j->is_broken && fd_write_all(j->envfd, env.s, env.len) == -1)
		j->is_broken = 1;
	close(j->envfd);
	sa_free(&env);
	code = wait_exit(j->pid);
	j->pid = 0;
	if (code == 0 && j->is_broken)
		code = QI_BUG;
	return code;
}

/* qjob_abort - close both pipes with no envelope: nothing is queued. */
void
qjob_abort(struct qjob *j)
{
	if (j->pid == 0)
		return;
	close(j->out.fd);
	close(j->envfd);
	(void)wait_exit(j->pid);
	j->pid = 0;
}
