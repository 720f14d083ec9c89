/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * lspawn - the local spawner.
 *
 * qpost-start starts lspawn as root (system mode) or as the instance's
 * one user (single-user mode) with requests from sched on fd 0, results
 * to sched on fd 1 and the log on fd 2.  For each request it resolves
 * every recipient's local part through the aliases and the users
 * database, opens the message file of the queue itself and forks one
 * `local' per mailbox under that mailbox's uid and gid, never uid 0.
 * Many deliveries run at once; a SIGCHLD self-pipe wakes the poll loop.
 * When every delivery of a request is over it writes one result record.
 *
 * It trusts sched to name messages, senders and recipients, and checks
 * them anyway: records are parsed strictly (a malformed one is fatal),
 * the message must be mess/<id> below the queue directory, opened
 * without following a symbolic link, a regular file owned by the
 * queue's owner.  It trusts the control directory (root's) for users
 * and aliases, and trusts `local' for nothing but its exit code and one
 * line of text.
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
#include <unistd.h>

#include "addr.h"
#include "aliases.h"
#include "buf.h"
#include "ctl.h"
#include "log.h"
#include "paths.h"
#include "priv.h"
#include "queue_id.h"
#include "rec.h"
#include "spawn_msg.h"
#include "spawn_rec.h"
#include "users.h"

#define USAGE	"usage: lspawn"

#define ENV_MAX		8
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
	struct sa		 locals;	/* loaded when an alias needs it */
	int			 has_locals;
};

struct delivery {
	struct delivery	*next;
	struct job	*job;
	size_t		 rcpt;		/* index in job->req */
	pid_t		 pid;
	int		 fd;		/* local's stdout; -1 once closed */
	int		 has_exited;
	int		 wstatus;
	uid_t		 uid;
	char		 mailbox[ADDR_LOCAL_MAX + 1];
	char		 dt[ADDR_PATH_MAX + 1];	/* local's -r: Delivered-To */
	size_t		 textlen;
	char		 text[OUT_MAX + 1];	/* result line, forward lines */
};

/* one recipient being resolved: how far, and which mailboxes so far */
struct resolve {
	struct job	*job;
	size_t		 rcpt;
	struct addr	 addr;		/* the recipient as sched sent it */
	char		 plain[ADDR_LOCAL_MAX + 1];	/* its local part */
	size_t		 nmailbox;
	char		 (*mailbox)[ADDR_LOCAL_MAX + 1];
};

static struct job	*jobs;
static struct delivery	*deliveries;
static int		 queue_fd = -1;
static uid_t		 queue_uid;
static char		 local_prog[1024];
static int		 sigchld_fd = -1;
static struct buf	 outb;
static char		 outstore[8192];

static void	expand(struct resolve *, const char *, const char *, size_t,
		    const char *const *);

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
fail_rcpt(struct resolve *r, char status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail_rcpt(struct resolve *r, char status, const char *fmt, ...)
{
	char text[SPAWN_TEXT_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_info("id=%s job=%llu to=<%s> user=- result=%s text=\"%s\"",
	    r->job->req.id, r->job->req.job, r->job->req.rcpt[r->rcpt],
	    result_word(status), text);
	note_outcome(r->job, r->rcpt, status, text);
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
	sa_free(&j->locals);
	free(j->seen);
	free(j);
}

/*
 * domain_is_local - whether an alias target's domain is ours:
 * control/locals, or control/me when locals is absent.  Returns 1, 0,
 * or -1 when neither can be read.
 */
static int
domain_is_local(struct job *j, const char *domain)
{
	int r;

	if (!j->has_locals) {
		if ((r = ctl_list("locals", &j->locals)) == 0)
			r = ctl_list("me", &j->locals);
		if (r != 1) {
			if (r == 0)
				log_warnx("control files locals and me are "
				    "both absent");
			return -1;
		}
		j->has_locals = 1;
	}
	return ctl_list_has(&j->locals, domain);
}

/* setenvvar - "name=value" into dst; -1 if it does not fit. */
static int
setenvvar(char *dst, const char *name, const char *value)
{
	int n = snprintf(dst, ENV_VAR_MAX, "%s=%s", name, value);

	return n < 0 || n >= ENV_VAR_MAX ? -1 : 0;
}

/* child - in the new process: set up fds and ids, run local. */
static void __attribute__((noreturn))
child(int msgfd, int outfd, const struct user_entry *u, char *const argv[],
    char *const envp[])
{
	static const char fail[] = "4.3.0 unable to run local\n";
	sigset_t none;

	if (dup2(msgfd, 0) == -1 || dup2(outfd, 1) == -1)
		_exit(EXIT_TEMP);
	closefrom(3);
	(void)signal(SIGPIPE, SIG_DFL);
	(void)signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	priv_drop_ids(u->uid, u->gid);
	execve(local_prog, argv, envp);
	log_warn("unable to run %s", local_prog);
	(void)fd_write_all(1, fail, sizeof(fail) - 1);
	_exit(EXIT_TEMP);
}

/*
 * start_delivery - fork local for one mailbox of recipient r.  A
 * failure to start it is a temporary outcome for the recipient.
 */
static void
start_delivery(struct resolve *r, const char *mailbox,
    const struct user_entry *u)
{
	struct job *j = r->job;
	char env[ENV_MAX][ENV_VAR_MAX], *envp[ENV_MAX + 1], *argv[16];
	char rcpt[ADDR_PATH_MAX + 1], text[SPAWN_TEXT_MAX + 1];
	char a_local[] = "local", a_i[] = "-i", a_u[] = "-u", a_s[] = "-s";
	char a_r[] = "-r", a_d[] = "-d", mbox[ADDR_LOCAL_MAX + 1];
	char home[USERS_HOME_MAX];
	struct delivery *d;
	int msgfd, p[2], n;
	size_t k = 0;

	/* Delivered-To names the mailbox the message finally reached */
	if (strcasecmp(mailbox, r->plain) == 0)
		n = snprintf(rcpt, sizeof(rcpt), "%s", j->req.rcpt[r->rcpt]);
	else
		n = snprintf(rcpt, sizeof(rcpt), "%s@%s", mailbox,
		    r->addr.domain);
	if (n < 0 || (size_t)n >= sizeof(rcpt)) {
		fail_rcpt(r, SPAWN_PERM, "5.1.3 <%s@%s>: address too long",
		    mailbox, r->addr.domain);
		return;
	}
	if (setenvvar(env[k++], "PATH", "/usr/bin:/bin") == -1 ||
	    setenvvar(env[k++], "HOME", u->home) == -1 ||
	    setenvvar(env[k++], "USER", mailbox) == -1 ||
	    setenvvar(env[k++], "QPOST_CONTROL", paths_control()) == -1 ||
	    setenvvar(env[k++], "QPOST_QUEUE", paths_queue()) == -1 ||
	    setenvvar(env[k++], "QPOST_LIBEXEC", paths_libexec()) == -1) {
		fail_rcpt(r, SPAWN_TEMP, "4.3.0 <%s>: environment too long",
		    rcpt);
		return;
	}
	for (n = 0; (size_t)n < k; n++)
		envp[n] = env[n];
	envp[k] = NULL;
	strlcpy(mbox, mailbox, sizeof(mbox));
	strlcpy(home, u->home, sizeof(home));
	n = 0;
	argv[n++] = a_local;
	argv[n++] = a_i;
	argv[n++] = j->req.id;
	argv[n++] = a_u;
	argv[n++] = mbox;
	argv[n++] = a_s;
	argv[n++] = j->req.sender;
	argv[n++] = a_r;
	argv[n++] = rcpt;
	argv[n++] = a_d;
	argv[n++] = home;
	argv[n] = NULL;

	if ((msgfd = spawn_open_message(queue_fd, queue_uid, j->req.id, text,
	    sizeof(text))) == -1) {
		fail_rcpt(r, SPAWN_TEMP, "%s", text);
		return;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    pipe2(p, O_CLOEXEC) == -1) {
		log_warn("id=%s unable to start a delivery", j->req.id);
		fail_rcpt(r, SPAWN_TEMP, "4.3.0 <%s>: out of resources", rcpt);
		free(d);
		close(msgfd);
		return;
	}
	switch (d->pid = fork()) {
	case -1:
		log_warn("id=%s unable to fork", j->req.id);
		fail_rcpt(r, SPAWN_TEMP, "4.3.0 <%s>: unable to fork", rcpt);
		close(p[0]);
		close(p[1]);
		close(msgfd);
		free(d);
		return;
	case 0:
		child(msgfd, p[1], u, argv, envp);
	}
	close(p[1]);
	close(msgfd);
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	d->fd = p[0];
	d->job = j;
	d->rcpt = r->rcpt;
	d->uid = u->uid;
	strlcpy(d->mailbox, mailbox, sizeof(d->mailbox));
	strlcpy(d->dt, rcpt, sizeof(d->dt));
	d->next = deliveries;
	deliveries = d;
	j->pending++;
}

/*
 * as_mailbox - deliver recipient r to the user called name (shown as
 * shown in texts), once however many aliases lead there.
 */
static void
as_mailbox(struct resolve *r, const char *name, const char *shown)
{
	struct user_entry u;
	size_t i;
	void *nm;
	int found;

	for (i = 0; i < r->nmailbox; i++)
		if (strcasecmp(r->mailbox[i], name) == 0)
			return;
	if (r->nmailbox == ALIASES_TARGETS_MAX) {
		fail_rcpt(r, SPAWN_PERM, "5.4.6 <%s>: more than %d mailboxes",
		    r->job->req.rcpt[r->rcpt], ALIASES_TARGETS_MAX);
		return;
	}
	nm = reallocarray(r->mailbox, r->nmailbox + 1, sizeof(*r->mailbox));
	if (nm == NULL) {
		fail_rcpt(r, SPAWN_TEMP, "4.3.0 <%s>: out of memory", shown);
		return;
	}
	r->mailbox = nm;
	strlcpy(r->mailbox[r->nmailbox++], name, sizeof(*r->mailbox));

	found = users_lookup(name, &u);
	if (found == -1)
		fail_rcpt(r, SPAWN_TEMP, "4.3.0 <%s>: unable to look up the "
		    "user", shown);
	else if (found == 0)
		fail_rcpt(r, SPAWN_PERM, "5.1.1 <%s>: no mailbox here by that "
		    "name", shown);
	else if (u.uid == 0)
		fail_rcpt(r, SPAWN_PERM, "5.7.1 <%s>: refusing to deliver as "
		    "uid 0: alias the name to a user", shown);
	else
		start_delivery(r, name, &u);
}

/*
 * expand_target - one target of an alias: a bare local part or an
 * address in a local domain, expanded in turn; anything else fails.
 */
static void
expand_target(struct resolve *r, const char *target, size_t depth,
    const char *const *path)
{
	char plain[ADDR_LOCAL_MAX + 1];
	struct addr a;
	int local;

	if (!addr_parse(target, strlen(target), &a, ADDR_UTF8 | ADDR_BARE) ||
	    addr_localpart_plain(&a, plain, sizeof(plain)) == -1) {
		fail_rcpt(r, SPAWN_PERM, "5.1.2 alias target <%s> is not a "
		    "local mailbox", target);
		return;
	}
	if (a.domain[0] != '\0') {
		local = domain_is_local(r->job, a.domain);
		if (local == -1) {
			fail_rcpt(r, SPAWN_TEMP, "4.3.0 <%s>: unable to read "
			    "control/locals", target);
			return;
		}
		if (local == 0) {
			fail_rcpt(r, SPAWN_PERM, "5.1.2 alias target <%s> is "
			    "not a local mailbox", target);
			return;
		}
	}
	expand(r, plain, target, depth + 1, path);
}

/*
 * expand - resolve name: a mailbox, or an alias whose targets are
 * expanded recursively.  path holds the names above this one; a name
 * that reappears in its own expansion is taken as a mailbox rather
 * than expanded again ("root: root, admin" works and a loop ends).
 */
static void
expand(struct resolve *r, const char *name, const char *shown, size_t depth,
    const char *const *path)
{
	const char *below[ALIASES_DEPTH_MAX + 1];
	struct sa targets = SA_INIT;
	const char *t;
	size_t i;
	int found;

	for (i = 0; i < depth; i++)
		if (strcasecmp(path[i], name) == 0) {
			as_mailbox(r, name, shown);
			return;
		}
	found = aliases_lookup(name, &targets);
	if (found == -1) {
		fail_rcpt(r, SPAWN_TEMP, "4.3.0 <%s>: unable to read the "
		    "aliases", shown);
	} else if (found == 0) {
		as_mailbox(r, name, shown);
	} else if (depth == ALIASES_DEPTH_MAX) {
		fail_rcpt(r, SPAWN_PERM, "5.4.6 <%s>: aliases nested more "
		    "than %d deep", r->job->req.rcpt[r->rcpt],
		    ALIASES_DEPTH_MAX);
	} else {
		for (i = 0; i < depth; i++)
			below[i] = path[i];
		below[depth] = name;
		for (t = targets.s; t < targets.s + targets.len;
		    t += strlen(t) + 1)
			expand_target(r, t, depth, below);
	}
	sa_free(&targets);
}

/*
 * resolve_rcpt - start every delivery for recipient i of job j; a
 * sender that is not an address (or <>) fails every recipient.
 */
static void
resolve_rcpt(struct job *j, size_t i, int is_sender_ok)
{
	struct resolve r;
	const char *s = j->req.rcpt[i];

	memset(&r, 0, sizeof(r));
	r.job = j;
	r.rcpt = i;
	if (!is_sender_ok) {
		fail_rcpt(&r, SPAWN_PERM, "5.1.7 <%s>: bad sender address "
		    "syntax", j->req.sender);
		return;
	}
	if (!addr_parse(s, strlen(s), &r.addr, ADDR_UTF8) ||
	    addr_localpart_plain(&r.addr, r.plain, sizeof(r.plain)) == -1) {
		fail_rcpt(&r, SPAWN_PERM, "5.1.3 <%s>: bad recipient address "
		    "syntax", s);
		return;
	}
	expand(&r, r.plain, s, 0, NULL);
	free(r.mailbox);
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
	if (status == SPAWN_OK && rest != NULL &&
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
	log_info("id=%s job=%llu to=<%s> mailbox=%s user=%lu result=%s "
	    "text=\"%s\"", j->req.id, j->req.job, j->req.rcpt[d->rcpt],
	    d->mailbox, (unsigned long)d->uid, result_word(status), d->text);
	note_outcome(j, d->rcpt, status, d->text);
	if (--j->pending == 0)
		send_result(j);
}

/* reap - collect exited children; their text is drained on the spot. */
static void
reap(void)
{
	struct delivery *d;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (d = deliveries; d != NULL && d->pid != pid; d = d->next)
			;
		if (d == NULL)
			continue;
		d->has_exited = 1;
		d->wstatus = st;
		/* a child that left the pipe open must not stall us */
		read_text(d);
		if (d->fd != -1) {
			close(d->fd);
			d->fd = -1;
		}
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
	struct buf inb;
	size_t n, cap = 0, k;
	int is_eof = 0, code = 0;
	void *np;

	log_init(argv[0]);
	log_options_h(argc, argv, USAGE);
	setup();
	buf_init(&inb, 0, instore, sizeof(instore));
	buf_init(&outb, 1, outstore, sizeof(outstore));

	while (!is_eof || deliveries != NULL) {
		for (n = 2, d = deliveries; d != NULL; d = d->next)
			n += d->fd != -1;
		if (n > cap) {
			if ((np = reallocarray(pfd, n, sizeof(*pfd))) == NULL)
				die(EXIT_TEMP, "unable to grow the poll set");
			pfd = np;
			cap = n;
		}
		pfd[0].fd = sigchld_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = is_eof ? -1 : 0;
		pfd[1].events = POLLIN;
		for (k = 2, d = deliveries; d != NULL; d = d->next)
			if (d->fd != -1) {
				pfd[k].fd = d->fd;
				pfd[k++].events = POLLIN;
			}
		if (poll(pfd, n, -1) == -1) {
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
		reap();
		finish_done();
		if (!is_eof && pfd[1].revents != 0) {
			is_eof = read_requests(&inb, &rec, &code);
			/* sched is gone: stop what it will redo anyway */
			for (d = deliveries; is_eof && d != NULL; d = d->next)
				if (!d->has_exited)
					(void)kill(d->pid, SIGTERM);
		}
	}
	sa_free(&rec);
	free(pfd);
	return code;
}
