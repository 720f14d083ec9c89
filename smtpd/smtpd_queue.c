/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_queue - run qinject for one message.  See smtpd_queue.h.
 *
 * smtpd has its queue runner (smtpd_runner.c) fork and exec qinject,
 * outside smtpd's sandbox; sendmail, which has no sandbox and no
 * runner, forks it here.  Either way qinject gets the same three pipe
 * ends on fds 0, 1 and 3.
 */
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "qinject_exit.h"
#include "smtpd_queue.h"
#include "smtpd_runner.h"

/*
 * wait_exit - qinject's exit code; a signal counts as a bug (81), and
 * is logged, for nothing else says why.  With a runner the status
 * comes from it, and a runner that died is a bug (81) too: the client
 * is told to try again (451), and qinject, killed with the runner,
 * queued nothing.
 */
static int
wait_exit(pid_t pid)
{
	int status;

	if (runner_active()) {
		if (runner_wait(&status, &pid) == -1)
			return QI_BUG;
	} else
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
 * spawn - qinject on the three pipe ends: its pid, RUNNER_PID when the
 * runner was asked (its reply comes with the status), or 0 (logged).
 */
static pid_t
spawn(int msg, int env, int idfd, int is_utf8)
{
	pid_t pid;

	if (runner_active())
		return runner_spawn(msg, env, idfd, is_utf8) == 0 ?
		    RUNNER_PID : 0;
	if ((pid = fork()) == -1) {
		log_warn("unable to fork qinject");
		return 0;
	}
	if (pid == 0)
		qinject_exec(msg, env, idfd, is_utf8);
	return pid;
}

/*
 * qjob_start - fork qinject -Q with its three pipes and read its
 * message id.  Returns 0, or qinject's exit code (or QI_BUG) when it
 * could not be started or failed before it chose an id.
 */
int
qjob_start(struct qjob *j, int is_utf8)
{
	char idline[QID_LEN + 2];
	int msg[2], env[2], idp[2];
	size_t got = 0;
	ssize_t r;

	/*
	 * The fields only: zeroing the 64 KiB buffer too would make each
	 * session's process write, and so copy from its listener, 16 pages
	 * that a small message never reaches (issue 10: peak memory).
	 */
	j->pid = 0;
	j->envfd = -1;
	j->is_broken = 0;
	j->id[0] = '\0';
	if (pipe2(msg, O_CLOEXEC) == -1)
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
	if ((j->pid = spawn(msg[0], env[0], idp[1], is_utf8)) == 0) {
		close(msg[0]); close(msg[1]); close(env[0]); close(env[1]);
		close(idp[0]); close(idp[1]);
		return runner_active() ? QI_BUG : QI_NOMEM;
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
 * "T" recipient NUL each, NUL, then the DSN trailer of dsn and
 * rcpt_dsn, which is nothing when they asked for nothing), wait.
 * rcpts holds the recipients NUL-terminated back to back, rcpt_dsn
 * (a dsnparam.h list, or NULL) their requests.  Returns qinject's exit
 * code.
 */
int
qjob_finish(struct qjob *j, const char *sender, const struct sa *rcpts,
    const struct dsn_msg *dsn, const struct sa *rcpt_dsn)
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
	if (sa_catc(&env, '\0') == -1 ||
	    dsn_trailer(&env, dsn, rcpt_dsn) == -1)
		j->is_broken = 1;
	/*
	 * A broken message gets no envelope: qinject then queues nothing.
	 * Nor does one whose runner died: nobody could say it was queued.
	 */
	if (!j->is_broken && runner_active() && !runner_alive())
		j->is_broken = 1;
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
