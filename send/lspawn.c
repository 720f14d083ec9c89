/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * lspawn - the local spawner.
 *
 * qpost-start starts lspawn as root (system mode) or as the instance's
 * one user (single-user mode) with requests from sched on fd 0, results
 * to sched on fd 1 and the log on fd 2.  For each request it resolves
 * every recipient (send/lresolve.h: virtualdomains, extensions,
 * aliases, users), opens the message file of the queue itself and
 * forks one `local' per mailbox under that mailbox's uid and gid, and
 * one `local -t target' per file, program, forward or LMTP target of
 * an alias under the alias user's, never uid 0.
 * Many deliveries run at once; a SIGCHLD self-pipe wakes the poll loop.
 * When every delivery of a request is over it writes one result record.
 *
 * A process is dear (issue 10: an exec of local cost more than the
 * delivery it made), so lspawn keeps up to control/localworkers
 * `local -W' workers (local_worker.c), one per uid and gid, each
 * started like local and asked over a socket pair to make the
 * delivery (by a child that makes up to a hundred); a worker idle for WORKER_IDLE seconds, or one that has
 * served WORKER_USES deliveries (a fresh address-space layout now and
 * then), is let go.  Where no worker can be had, local is exec'd as
 * before.  A worker that dies takes its deliveries' outcomes with it:
 * they are temporary failures, and sched tries them again.
 *
 * It trusts sched to name messages, senders and recipients, and checks
 * them anyway: records are parsed strictly (a malformed one is fatal),
 * the message must be mess/<id> below the queue directory, opened
 * without following a symbolic link, a regular file owned by the
 * queue's owner.  It trusts the control directory (root's) for users
 * and aliases, :include: files only when root or the alias user owns
 * them, and trusts `local' for nothing but its exit code and one line
 * of text.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "ctl.h"
#include "log.h"
#include "lresolve.h"
#include "lspawn_worker.h"
#include "paths.h"
#include "priv.h"
#include "queue_id.h"
#include "rec.h"
#include "spawn.h"
#include "spawn_msg.h"
#include "spawn_rec.h"
#include "users.h"

#define USAGE	"usage: lspawn"

#define ENV_MAX		8
#define ARGV_MAX	24
/* what local may print: its result line, then one line per forward */
#define OUT_MAX		(SPAWN_TEXT_MAX + 1 + \
			    SPAWN_FWD_MAX * (sizeof("forward \n") + ADDR_PATH_MAX))
#define ENV_VAR_MAX	(USERS_HOME_MAX + 32)

struct job {
	struct job		*next;
	struct spawn_req	 req;
	struct spawn_res	 res;
	char			*seen;		/* per recipient: worst so far */
	size_t			 pending;	/* deliveries running */
};

struct delivery {
	struct delivery	*next;
	struct job	*job;
	size_t		 rcpt;		/* index in job->req */
	pid_t		 pid;		/* 0: a worker's child */
	struct worker	*worker;	/* that worker, or NULL */
	uint64_t	 tag;		/* its name for the delivery */
	int		 is_lost;	/* the worker died before it told */
	int		 fd;		/* local's stdout; -1 once closed */
	int		 has_exited;
	int		 wstatus;
	uid_t		 uid;
	char		 mailbox[ADDR_LOCAL_MAX + 1];	/* "" for a target */
	char		 ext[ADDR_LOCAL_MAX + 1];	/* EXT, for the log */
	char		 target[ALIASES_TARGET_MAX + 2];
	char		 dt[ADDR_PATH_MAX + 1];	/* local's -r: Delivered-To */
	size_t		 textlen;
	char		 text[OUT_MAX + 1];	/* result line, forward lines */
};

static struct job	*jobs;
static struct delivery	*deliveries;
static uint64_t		 next_tag;
static int		 queue_fd = -1;
static uid_t		 queue_uid;
static char		 local_prog[1024];
static int		 sigchld_fd = -1;
static struct buf	 outb;
static char		 outstore[8192];

/* log_sev - a log line with a severity word other than "warning". */
static void
log_sev(const char *severity, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
log_sev(const char *severity, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(severity, errnum, fmt, ap);
	va_end(ap);
}

/* result_word - the log word for a status letter. */
static const char *
result_word(char status)
{
	if (status == SPAWN_OK)
		return "ok";
	if (status == SPAWN_PERM)
		return "bounce";
	return "defer";
}

/* rank - which outcome wins the aggregate: temporary, permanent, ok. */
static int
rank(char status)
{
	if (status == SPAWN_TEMP)
		return 3;
	if (status == SPAWN_PERM)
		return 2;
	return status == SPAWN_OK ? 1 : 0;
}

/*
 * note_outcome - fold one mailbox's outcome into its recipient's: any
 * temporary failure makes it Z, else any permanent one D, else K.  The
 * text is that of the first outcome of the winning kind.
 */
static void
note_outcome(struct job *j, size_t i, char status, const char *text)
{
	if (rank(status) > rank(j->seen[i])) {
		j->seen[i] = status;
		spawn_res_set(&j->res, i, status, text);
	}
}

/* fail_rcpt - an outcome without a delivery: log it and note it. */
static void
fail_rcpt(struct job *j, size_t i, char status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
fail_rcpt(struct job *j, size_t i, char status, const char *fmt, ...)
{
	char text[SPAWN_TEXT_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_info("id=%s job=%llu to=<%s> user=- result=%s text=\"%s\"",
	    j->req.id, j->req.job, j->req.rcpt[i], result_word(status), text);
	note_outcome(j, i, status, text);
}

/* send_result - write a finished job's result record and forget it. */
static void
send_result(struct job *j)
{
	struct sa rec = SA_INIT;
	struct job **jp;
	size_t i;

	for (i = 0; i < j->req.nrcpt; i++)
		if (j->seen[i] == 0)
			panic("id=%s job=%llu recipient %zu has no outcome",
			    j->req.id, j->req.job, i);
	if (spawn_res_encode(&rec, &j->res) == -1)
		die(EXIT_TEMP, "unable to encode a result");
	if (rec_frame_write(&outb, &rec) == -1)
		die(EXIT_TEMP, "unable to write a result to sched");
	sa_free(&rec);
	for (jp = &jobs; *jp != j; jp = &(*jp)->next)
		;
	*jp = j->next;
	spawn_req_free(&j->req);
	spawn_res_free(&j->res);
	free(j->seen);
	free(j);
}

/* setenvvar - "name=value" into dst; -1 if it does not fit. */
static int
setenvvar(char *dst, const char *name, const char *value)
{
	int n = snprintf(dst, ENV_VAR_MAX, "%s=%s", name, value);

	return n < 0 || n >= ENV_VAR_MAX ? -1 : 0;
}

/* what the child needs: all made before the vfork */
struct child_args {
	int			 msgfd, outfd;
	const struct user_entry	*user;
	char *const		*argv, *const *envp;
};

/*
 * child - in the new process (a vfork child: system calls only, and
 * _exit): set up fds and ids, run local.
 */
static void
child(void *arg)
{
	static const char fail[] = "4.3.0 unable to run local\n";
	const struct child_args *c = arg;

	if (dup2(c->msgfd, 0) == -1 || dup2(c->outfd, 1) == -1)
		_exit(EXIT_TEMP);
	closefrom(3);
	spawn_child_signals();
	priv_drop_ids(c->user->uid, c->user->gid);
	/* local stops early on SIGTERM, as when sched has gone away */
	spawn_child_tie(SIGTERM);
	execve(local_prog, c->argv, c->envp);
	log_warn("unable to run %s", local_prog);
	(void)fd_write_all(1, fail, sizeof(fail) - 1);
	_exit(EXIT_TEMP);
}

/*
 * start_delivery - fork local for delivery d of recipient i of job j
 * (whose domain is domain).
 * A failure to start it is a temporary outcome for the recipient.
 */
static void
start_delivery(struct job *j, size_t i, struct lres_delivery *d,
    char *domain)
{
	char env[ENV_MAX][ENV_VAR_MAX], *envp[ENV_MAX + 1], *argv[ARGV_MAX];
	char text[SPAWN_TEXT_MAX + 1];
	char a_local[] = "local", a_i[] = "-i", a_u[] = "-u", a_s[] = "-s";
	char a_r[] = "-r", a_d[] = "-d", a_l[] = "-l", a_e[] = "-e";
	char a_m[] = "-m", a_t[] = "-t", a_o[] = "-o", a_a[] = "-a";
	struct delivery *dv;
	struct worker *w;
	int msgfd, p[2], n;
	size_t k = 0;

	if (setenvvar(env[k++], "PATH", "/usr/bin:/bin") == -1 ||
	    setenvvar(env[k++], "HOME", d->user.home) == -1 ||
	    setenvvar(env[k++], "USER", d->name) == -1 ||
	    setenvvar(env[k++], "QPOST_CONTROL", paths_control()) == -1 ||
	    setenvvar(env[k++], "QPOST_QUEUE", paths_queue()) == -1 ||
	    setenvvar(env[k++], "QPOST_LIBEXEC", paths_libexec()) == -1) {
		fail_rcpt(j, i, SPAWN_TEMP, "4.3.0 <%s>: environment too long",
		    d->rcpt);
		return;
	}
	for (n = 0; (size_t)n < k; n++)
		envp[n] = env[n];
	envp[k] = NULL;
	n = 0;
	argv[n++] = a_local;
	argv[n++] = a_i;
	argv[n++] = j->req.id;
	argv[n++] = a_u;
	argv[n++] = d->name;
	argv[n++] = a_s;
	argv[n++] = j->req.sender;
	argv[n++] = a_r;
	argv[n++] = d->rcpt;
	argv[n++] = a_o;
	argv[n++] = j->req.rcpt[i];
	argv[n++] = a_d;
	argv[n++] = d->user.home;
	argv[n++] = a_l;
	argv[n++] = d->local;
	argv[n++] = a_e;
	argv[n++] = d->ext;
	argv[n++] = a_m;
	argv[n++] = domain;
	if (j->req.is_again)
		argv[n++] = a_a;
	if (!d->is_mailbox) {
		argv[n++] = a_t;
		argv[n++] = d->target;
	}
	argv[n] = NULL;

	if ((msgfd = spawn_open_message(queue_fd, queue_uid, j->req.id, text,
	    sizeof(text))) == -1) {
		fail_rcpt(j, i, SPAWN_TEMP, "%s", text);
		return;
	}
	if ((dv = calloc(1, sizeof(*dv))) == NULL ||
	    pipe2(p, O_CLOEXEC) == -1) {
		log_warn("id=%s unable to start a delivery", j->req.id);
		fail_rcpt(j, i, SPAWN_TEMP, "4.3.0 <%s>: out of resources",
		    d->rcpt);
		free(dv);
		close(msgfd);
		return;
	}
	if ((w = worker_get(d->user.uid, d->user.gid, envp)) != NULL &&
	    worker_send(w, next_tag + 1, argv, envp, msgfd, p[1]) == 0) {
		dv->worker = w;
		dv->tag = ++next_tag;
	} else if ((dv->pid = spawn_child(child, &(struct child_args){
	    msgfd, p[1], &d->user, argv, envp })) == -1) {
		log_warn("id=%s unable to fork", j->req.id);
		fail_rcpt(j, i, SPAWN_TEMP, "4.3.0 <%s>: unable to fork",
		    d->rcpt);
		close(p[0]);
		close(p[1]);
		close(msgfd);
		free(dv);
		return;
	}
	close(p[1]);
	close(msgfd);
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	dv->fd = p[0];
	dv->job = j;
	dv->rcpt = i;
	dv->uid = d->user.uid;
	strlcpy(dv->ext, d->ext, sizeof(dv->ext));
	strlcpy(dv->dt, d->rcpt, sizeof(dv->dt));
	if (d->is_mailbox)
		strlcpy(dv->mailbox, d->name, sizeof(dv->mailbox));
	else
		strlcpy(dv->target, d->target, sizeof(dv->target));
	dv->next = deliveries;
	deliveries = dv;
	j->pending++;
}

/*
 * resolve_rcpt - start every delivery for recipient i of job j, or
 * none if it does not resolve (lresolve.h: all or nothing); a sender
 * that is not an address (or <>) fails every recipient.
 */
static void
resolve_rcpt(struct job *j, size_t i, int is_sender_ok)
{
	struct lres r;
	size_t k;

	if (!is_sender_ok) {
		fail_rcpt(j, i, SPAWN_PERM, "5.1.7 <%s>: bad sender address "
		    "syntax", j->req.sender);
		return;
	}
	if (lres_resolve(&r, j->req.rcpt[i]) == -1)
		fail_rcpt(j, i, r.status, "%s", r.text);
	else
		for (k = 0; k < r.n; k++)
			start_delivery(j, i, &r.d[k], r.addr.domain);
	lres_free(&r);
}

/* handle_request - decode one record and start its deliveries. */
static int
handle_request(const struct sa *rec)
{
	struct addr sender;
	struct job *j;
	size_t i;
	int is_sender_ok;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		die(EXIT_TEMP, "unable to allocate a job");
	if (spawn_req_decode(rec->s, rec->len, &j->req) == -1) {
		spawn_req_free(&j->req);
		free(j);
		return -1;
	}
	if (spawn_res_alloc(&j->res, j->req.job, j->req.nrcpt) == -1 ||
	    (j->seen = calloc(j->req.nrcpt, 1)) == NULL)
		die(EXIT_TEMP, "unable to allocate a job");
	j->next = jobs;
	jobs = j;
	is_sender_ok = j->req.sender[0] == '\0' || addr_parse(j->req.sender,
	    strlen(j->req.sender), &sender, ADDR_UTF8);
	for (i = 0; i < j->req.nrcpt; i++)
		resolve_rcpt(j, i, is_sender_ok);
	if (j->pending == 0)
		send_result(j);
	return 0;
}

/* read_text - take what local has written, at most OUT_MAX. */
static void
read_text(struct delivery *d)
{
	char chunk[512];
	ssize_t r;
	size_t n;

	while (d->fd != -1) {
		r = fd_read(d->fd, chunk, sizeof(chunk));
		if (r == -1 && errno == EAGAIN)
			return;
		if (r <= 0) {
			close(d->fd);
			d->fd = -1;
			return;
		}
		n = (size_t)r;
		if (n > OUT_MAX - d->textlen)
			n = OUT_MAX - d->textlen;
		memcpy(d->text + d->textlen, chunk, n);
		d->textlen += n;
	}
}

/*
 * take_forwards - the lines after local's result line: each must be
 * "forward <address>", an address for sched to forward the message to.
 * Returns 0, or -1 when they are malformed, too many or cut short.
 */
static int
take_forwards(struct delivery *d, char *lines)
{
	char *nl;

	if (d->textlen == OUT_MAX)
		return -1;	/* more than local may print */
	for (; *lines != '\0'; lines = nl + 1) {
		if ((nl = strchr(lines, '\n')) == NULL ||
		    strncmp(lines, "forward ", 8) != 0)
			return -1;
		*nl = '\0';
		if (spawn_res_forward(&d->job->res, d->rcpt, d->dt,
		    lines + 8) == -1)
			return -1;
	}
	return 0;
}

/* finish_delivery - turn local's exit and text into an outcome. */
static void
finish_delivery(struct delivery *d)
{
	struct job *j = d->job;
	char *nl, *rest = NULL, status;

	d->text[d->textlen] = '\0';
	if ((nl = strchr(d->text, '\n')) != NULL) {
		*nl = '\0';
		rest = nl + 1;
	}
	if (strlen(d->text) > SPAWN_TEXT_MAX)
		d->text[SPAWN_TEXT_MAX] = '\0';
	if (WIFEXITED(d->wstatus) && WEXITSTATUS(d->wstatus) == 0)
		status = SPAWN_OK;
	else if (WIFEXITED(d->wstatus) && WEXITSTATUS(d->wstatus) == EXIT_PERM)
		status = SPAWN_PERM;
	else
		status = SPAWN_TEMP;
	if (d->is_lost) {
		status = SPAWN_TEMP;
		(void)snprintf(d->text, SPAWN_TEXT_MAX + 1, "4.3.0 local's "
		    "worker ended before it reported the delivery");
	} else if (status == SPAWN_OK && rest != NULL &&
	    take_forwards(d, rest) == -1) {
		status = SPAWN_TEMP;
		(void)snprintf(d->text, SPAWN_TEXT_MAX + 1, "4.3.0 local "
		    "reported forwards that are malformed or too many");
	}
	if (d->text[0] == '\0') {
		if (WIFSIGNALED(d->wstatus))
			(void)snprintf(d->text, sizeof(d->text), "4.3.0 local "
			    "was killed by signal %d", WTERMSIG(d->wstatus));
		else
			(void)snprintf(d->text, sizeof(d->text), "%s local "
			    "exited %d with no text",
			    status == SPAWN_OK ? "2.0.0" :
			    status == SPAWN_PERM ? "5.3.0" : "4.3.0",
			    WEXITSTATUS(d->wstatus));
	}
	/* ext= only when there is one: the usual line stays as it was */
	if (d->mailbox[0] != '\0')
		log_info("id=%s job=%llu to=<%s> mailbox=%s%s%s user=%lu "
		    "result=%s text=\"%s\"", j->req.id, j->req.job,
		    j->req.rcpt[d->rcpt], d->mailbox, d->ext[0] ? " ext=" : "",
		    d->ext, (unsigned long)d->uid, result_word(status),
		    d->text);
	else
		log_info("id=%s job=%llu to=<%s> target=\"%s\" user=%lu "
		    "result=%s text=\"%s\"", j->req.id, j->req.job,
		    j->req.rcpt[d->rcpt], d->target, (unsigned long)d->uid,
		    result_word(status), d->text);
	/* a second mailbox done for one recipient: an alias or a dot file
	   expanded it, which sched tells a sender who asked (RFC 3461) */
	if (status == SPAWN_OK && j->seen[d->rcpt] == SPAWN_OK)
		j->res.st[d->rcpt].is_expanded = 1;
	note_outcome(j, d->rcpt, status, d->text);
	if (--j->pending == 0)
		send_result(j);
}

/* exited - delivery d's local has ended with wstatus */
static void
exited(struct delivery *d, int wstatus)
{
	d->has_exited = 1;
	d->wstatus = wstatus;
	/* a child that left the pipe open must not stall us */
	read_text(d);
	if (d->fd != -1) {
		close(d->fd);
		d->fd = -1;
	}
}

/*
 * worker_lost - worker w can tell no more: its deliveries not reported
 * are temporary failures, finished once their pipes close (the worker's
 * children get SIGTERM when it dies, and stop cleanly).
 */
static void
worker_lost(struct worker *w)
{
	struct delivery *d;

	for (d = deliveries; d != NULL; d = d->next) {
		if (d->worker != w)
			continue;
		if (!d->has_exited) {
			d->has_exited = 1;
			d->is_lost = 1;
			worker_done(w);
		}
		d->worker = NULL;
	}
}

/* take_reports - what worker w has reported; let it go if it lied */
static void
take_reports(struct worker *w)
{
	struct worker_report r;
	struct delivery *d;
	int n;

	while ((n = worker_report(w, &r)) == 1) {
		for (d = deliveries; d != NULL; d = d->next)
			if (d->worker == w && d->tag == r.tag &&
			    !d->has_exited)
				break;
		if (d == NULL) {
			log_warnx("worker=%ld reported a delivery it does not "
			    "have: let go", (long)w->pid);
			worker_close(w);
			break;
		}
		worker_done(w);
		d->worker = NULL;
		exited(d, r.wstatus);
	}
	if (w->fd == -1)
		worker_lost(w);
}

/* reap - collect exited children; their text is drained on the spot. */
static void
reap(void)
{
	struct delivery *d;
	struct worker *w;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if ((w = worker_reaped(pid, st)) != NULL) {
			take_reports(w);
			worker_close(w);
			worker_lost(w);
			free(w);
			continue;
		}
		for (d = deliveries; d != NULL && d->pid != pid; d = d->next)
			;
		if (d != NULL)
			exited(d, st);
	}
}

/* finish_done - complete the deliveries whose child and pipe are over. */
static void
finish_done(void)
{
	struct delivery **dp, *d;

	for (dp = &deliveries; (d = *dp) != NULL;) {
		if (d->has_exited && d->fd == -1) {
			*dp = d->next;
			finish_delivery(d);
			free(d);
		} else
			dp = &d->next;
	}
}

/*
 * read_requests - read and act on records while input is buffered.
 * sched writes each record whole, so reading the rest of one that has
 * begun does not stall the loop for long.  Returns 0, or 1 when there
 * is no more input; *code is set to EXIT_TEMP for a malformed record.
 */
static int
read_requests(struct buf *inb, struct sa *rec, int *code)
{
	int r;

	do {
		r = rec_frame_read(inb, rec, REC_FRAME_MAX);
		if (r == 0)
			return 1;
		if (r == -1) {
			if (errno == EPROTO)
				log_sev("fatal", -1, "malformed request frame");
			else
				log_sev("fatal", errno, "unable to read requests");
			*code = EXIT_TEMP;
			return 1;
		}
		if (handle_request(rec) == -1) {
			log_sev("fatal", -1, "malformed request record");
			*code = EXIT_TEMP;
			return 1;
		}
	} while (inb->pos < inb->len);
	return 0;
}

/* setup - the queue's directory and owner, local's path, signals. */
static void
setup(void)
{
	spawn_setup(&queue_fd, &queue_uid);
	if (paths_program(local_prog, sizeof(local_prog), "local") == -1)
		die(EXIT_TEMP, "unable to name the local program");
	workers_setup(local_prog);
	if ((sigchld_fd = spawn_sigchld_pipe()) == -1)
		die(EXIT_TEMP, "unable to catch SIGCHLD");
	/* a gone sched must be EPIPE, then exit 111, not a silent death */
	(void)signal(SIGPIPE, SIG_IGN);
}

int
main(int argc, char *argv[])
{
	char instore[8192];
	struct pollfd *pfd = NULL;
	struct sa rec = SA_INIT;
	struct delivery *d;
	struct worker *w;
	struct buf inb;
	size_t n, cap = 0, k;
	int is_eof = 0, code = 0, timeout;

	log_init(argv[0]);
	log_options_h(argc, argv, USAGE);
	setup();
	buf_init(&inb, 0, instore, sizeof(instore));
	buf_init(&outb, 1, outstore, sizeof(outstore));

	while (!is_eof || deliveries != NULL) {
		timeout = workers_idle(time(NULL));
		for (n = 2, d = deliveries; d != NULL; d = d->next)
			n += d->fd != -1;
		for (w = workers; w != NULL; w = w->next)
			n += w->fd != -1;
		if (spawn_poll_set(&pfd, &cap, n, sigchld_fd,
		    is_eof ? -1 : 0) == NULL)
			die(EXIT_TEMP, "unable to grow the poll set");
		for (k = 2, d = deliveries; d != NULL; d = d->next)
			if (d->fd != -1)
				pfd[k++].fd = d->fd;
		for (w = workers; w != NULL; w = w->next)
			if (w->fd != -1)
				pfd[k++].fd = w->fd;
		if (poll(pfd, n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			die(EXIT_TEMP, "poll");
		}
		if (pfd[0].revents != 0) {
			spawn_sigchld_drain(sigchld_fd);
		}
		/* the pipes first: a child's text before its exit status */
		for (k = 2, d = deliveries; d != NULL; d = d->next)
			if (d->fd != -1 && pfd[k++].revents != 0)
				read_text(d);
		for (w = workers; w != NULL; w = w->next)
			if (w->fd != -1 && pfd[k++].revents != 0)
				take_reports(w);
		reap();
		finish_done();
		if (!is_eof && pfd[1].revents != 0) {
			is_eof = read_requests(&inb, &rec, &code);
			/* sched is gone: stop what it will redo anyway */
			for (d = deliveries; is_eof && d != NULL; d = d->next)
				if (!d->has_exited && d->pid > 0)
					(void)kill(d->pid, SIGTERM);
			if (is_eof)
				workers_stop(SIGTERM);
			for (w = workers; is_eof && w != NULL; w = w->next)
				worker_lost(w);
		}
	}
	workers_stop(0);
	sa_free(&rec);
	free(pfd);
	return code;
}
