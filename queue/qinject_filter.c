/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qinject_filter - run control/filter in place of the commit.  See
 * qinject_filter.h.
 *
 * The id.  smtpd reads qinject's message id before it sends the message
 * (QPOST_ID_FD) and gives it in its Received: line and its 250 reply,
 * so the id must survive the filter.  The outer qinject chooses it as
 * ever, by creating drop/<id>.tmp (O_EXCL: no other message has it),
 * writes the message there and keeps that file as a reservation while
 * the filter runs (the filter reads the message from it).  The inner
 * qinject, which QFILTER_ENV names the id to, writes its own drop file
 * under a fresh name and, at commit, first removes the reservation: an
 * unlink succeeds once, so one message only is ever queued under the
 * id, even if a filter runs qinject twice; the second is refused,
 * temporarily, and queues nothing.  Then it renames its file to
 * drop/<id>.  Once the filter has exited the outer qinject removes the
 * reservation if it is still there: the filter did not queue.
 *
 * Trust.  The filter runs as the caller's uid, like qinject itself;
 * control/filter is the admin's.  QFILTER_ENV is an ordinary variable:
 * a local user may set it and skip the filter, as a qmail user may run
 * qmail-queue directly, so the filter is no barrier against local
 * users; smtpd's clients cannot set it (smtpd's queue runner passes
 * only the client's TCP variables).
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "dsnparam.h"
#include "log.h"
#include "paths.h"
#include "qinject_exit.h"
#include "qinject_filter.h"
#include "queue_drop.h"
#include "queue_id.h"

#define EXEC_FD	3	/* the child's report of a failed execve */

void
qfilter_free(struct qfilter *f)
{
	sa_free(&f->line);
	f->argc = 0;
}

int
qfilter_parse(struct qfilter *f, const char *line)
{
	char *w, *p;

	f->argc = 0;
	f->line.len = 0;
	if (sa_cats(&f->line, line) == -1 || sa_0(&f->line) == -1) {
		log_warnx("out of memory");
		return -1;
	}
	for (p = f->line.s; (w = strsep(&p, " \t")) != NULL;) {
		if (*w == '\0')
			continue;
		if (f->argc == QFILTER_ARGS_MAX) {
			log_warnx("control file filter: more than %d words",
			    QFILTER_ARGS_MAX);
			return -1;
		}
		f->argv[f->argc++] = w;
	}
	f->argv[f->argc] = NULL;
	if (f->argc == 0 || f->argv[0][0] != '/') {
		log_warnx("control file filter: \"%s\" is not an absolute "
		    "path (a program, then its arguments)", line);
		f->argc = 0;
		return -1;
	}
	return 1;
}

int
qfilter_load(struct qfilter *f)
{
	struct sa list = SA_INIT;
	int r;

	memset(f, 0, sizeof(*f));
	if (getenv(QFILTER_ENV) != NULL)
		return 0;
	if ((r = ctl_list("filter", &list)) == 1) {
		if (list.len == 0)
			r = 0;		/* empty: no filter */
		else if (strlen(list.s) + 1 != list.len) {
			log_warnx("control file filter: more than one line");
			r = -1;
		} else
			r = qfilter_parse(f, list.s);
	}
	sa_free(&list);
	return r;
}

const char *
qfilter_claim_id(void)
{
	const char *v = getenv(QFILTER_ENV);

	if (v != NULL && !qid_valid(v, strlen(v)))
		diex(QI_TEMPREFUSED, "%s=%.40s is not a message id: the "
		    "filter must pass qinject the environment it was given",
		    QFILTER_ENV, v);
	return v;
}

int
qfilter_claim(int drop_fd, const char *id)
{
	char name[QID_LEN + 8];
	struct stat st;

	snprintf(name, sizeof(name), "%s.tmp", id);
	/* only a reservation this uid made: not someone else's file */
	if (fstatat(drop_fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
		return (errno = EPERM, -1);
	return unlinkat(drop_fd, name, 0);
}

/*
 * envelope - qmail-queue's: "F" sender NUL, "T" rcpt NUL each, NUL,
 * then the DSN trailer of dsn and rcpt_dsn (nothing when they asked for
 * nothing), which the filter's qinject -Q reads again.
 */
static int
envelope(struct sa *env, const char *sender, const struct sa *rcpts,
    const struct dsn_msg *dsn, const struct sa *rcpt_dsn)
{
	if (sa_catc(env, 'F') == -1 || sa_cats(env, sender) == -1 ||
	    sa_catc(env, '\0') == -1)
		return -1;
	for (const char *r = rcpts->s; r < rcpts->s + rcpts->len;
	    r += strlen(r) + 1)
		if (sa_catc(env, 'T') == -1 || sa_cats(env, r) == -1 ||
		    sa_catc(env, '\0') == -1)
			return -1;
	return sa_catc(env, '\0') == -1 ||
	    dsn_trailer(env, dsn, rcpt_dsn) == -1 ? -1 : 0;
}

/*
 * message_fd - the reservation opened again to read, at the message:
 * a descriptor of its own, so the filter's offset is not ours.
 */
static int
message_fd(int drop_fd, const struct atomic *file)
{
	struct stat a, b;
	int fd;

	if ((fd = openat(drop_fd, file->tmpname, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &a) == -1 || fstat(file->fd, &b) == -1 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		close(fd);
		return (errno = ESTALE, -1);
	}
	if (lseek(fd, QDROP_HDR_LEN, SEEK_SET) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* child - in the fork: the descriptors, the environment, the filter. */
static void __attribute__((noreturn))
child(const struct qfilter *f, const char *id, int msg, int env,
    int report, int is_utf8)
{
	char prog[1024];
	int e;

	if (dup2(msg, 0) == -1 || dup2(env, 1) == -1 ||
	    dup2(report, EXEC_FD) == -1 ||
	    fcntl(EXEC_FD, F_SETFD, FD_CLOEXEC) == -1)
		_exit(QI_BUG);
	closefrom(EXEC_FD + 1);
	if (setenv(QFILTER_ENV, id, 1) == -1 ||
	    (paths_program(prog, sizeof(prog), "qinject") == 0 &&
	    setenv(QFILTER_QINJECT_ENV, prog, 1) == -1) ||
	    (is_utf8 ? setenv("QPOST_UTF8", "1", 1) :
	    unsetenv("QPOST_UTF8")) == -1)
		_exit(QI_NOMEM);
	/* the id was told already; the inner qinject must not tell it */
	unsetenv("QPOST_ID_FD");
	signal(SIGPIPE, SIG_DFL);
	execv(f->argv[0], f->argv);
	e = errno;
	(void)fd_write_all(EXEC_FD, &e, sizeof(e));
	_exit(QI_BUG);
}

/*
 * outcome - the filter's exit as qinject's exit code, with one log
 * line when it is not a verdict of the filter's own: not started,
 * killed, or an exit code qmail-queue's table does not have.
 */
static int
outcome(const struct qfilter *f, const char *id, int status, int exec_errno,
    int unclaimed)
{
	int code;

	if (exec_errno != 0) {
		errno = exec_errno;
		log_warn("id=%s unable to run the filter %s (control/filter)",
		    id, f->argv[0]);
		return QI_CONTROL;
	}
	if (WIFSIGNALED(status)) {
		log_warnx("id=%s the filter %s was killed by signal %d: "
		    "nothing queued, try again later", id, f->argv[0],
		    WTERMSIG(status));
		return QI_BUG;
	}
	code = WEXITSTATUS(status);
	if (code > 99) {
		log_warnx("id=%s the filter %s exited %d, which is no "
		    "qmail-queue exit code: counted as %d (temporary)", id,
		    f->argv[0], code, QI_BUG);
		return QI_BUG;
	}
	if (code != 0)
		log_warnx("id=%s the filter %s %s the message (exit %d, %s)%s",
		    id, f->argv[0], QI_IS_PERMANENT(code) ? "refused" :
		    "deferred", code, QI_IS_PERMANENT(code) ? "permanent" :
		    "temporary", unclaimed ? ": nothing queued" :
		    " after its qinject took the id");
	else if (unclaimed)
		log_info("id=%s the filter %s exited 0 without queueing the "
		    "message: discarded", id, f->argv[0]);
	return code;
}

int
qfilter_run(const struct qfilter *f, int drop_fd, struct atomic *file,
    const char *id, const char *sender, const struct sa *rcpts, int is_utf8,
    const struct dsn_msg *dsn, const struct sa *rcpt_dsn)
{
	struct sa env = SA_INIT;
	int msg, ep[2], rp[2], status, e = 0, unclaimed;
	pid_t pid;

	if ((msg = message_fd(drop_fd, file)) == -1) {
		log_warn("id=%s unable to reopen the drop file for the "
		    "filter", id);
		return QI_DROPFILE;
	}
	if (envelope(&env, sender, rcpts, dsn, rcpt_dsn) == -1) {
		close(msg);
		log_warnx("id=%s out of memory", id);
		return QI_NOMEM;
	}
	if (pipe2(ep, O_CLOEXEC) == -1 || pipe2(rp, O_CLOEXEC) == -1 ||
	    (pid = fork()) == -1) {
		/* qinject exits next: the descriptors go with it */
		log_warn("id=%s unable to start the filter", id);
		sa_free(&env);
		return QI_NOMEM;
	}
	if (pid == 0)
		child(f, id, msg, ep[0], rp[1], is_utf8);
	close(msg);
	close(ep[0]);
	close(rp[1]);
	/* a filter may exit without reading it: EPIPE is its business */
	(void)fd_write_all(ep[1], env.s, env.len);
	close(ep[1]);
	sa_free(&env);
	/* end of file: the filter is running (the pipe closed on exec) */
	if (fd_read(rp[0], &e, sizeof(e)) != (ssize_t)sizeof(e))
		e = 0;
	close(rp[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			log_warn("id=%s unable to wait for the filter", id);
			return QI_BUG;
		}
	/* the reservation, if the filter's qinject did not take it */
	close(file->fd);
	file->fd = -1;
	unclaimed = unlinkat(drop_fd, file->tmpname, 0) == 0;
	return outcome(f, id, status, e, unclaimed);
}
