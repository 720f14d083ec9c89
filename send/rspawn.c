/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * rspawn - the remote spawner: takes remote deliveries from sched and
 * runs `remote' for each, up to control/concurrencyremote at once.
 *
 * qpost-start starts it as qpremote (or the instance's one user) with
 * requests from sched on fd 0, results to sched on fd 1 and the log on
 * fd 2.  A request is one message and all of its recipients in one
 * domain (send/spawn_rec.h); remote gets the message file, opened here
 * relative to the queue directory and checked to be sched's, as its fd
 * 0, the sender's DSN requests as options, and writes one result
 * record back on a pipe.  rspawn trusts sched for nothing (a malformed
 * record is fatal) and remote for nothing but that record, which must
 * hold exactly one result per recipient: a remote that crashes or says
 * too little leaves its recipients deferred.
 *
 * Addresses that remote reports as timed out are remembered for
 * DOWN_SECONDS and passed to the next remotes (QPOST_REMOTE_DOWN), so a
 * dead MX is not waited for by every message.  As the owner of remote's
 * MTA-STS cache, rspawn also sweeps it (sts_sweep.c).
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "ctl_knob.h"
#include "log.h"
#include "paths.h"
#include "priv.h"
#include "rec.h"
#include "spawn.h"
#include "spawn_msg.h"
#include "spawn_rec.h"
#include "sts.h"

#define USAGE	"usage: rspawn"

#define DOWN_SECONDS	300	/* how long a timed-out address is skipped */
#define SWEEP_SECONDS	86400	/* between sweeps of the MTA-STS cache */
#define DOWN_MAX	64
#define DOWN_TEXT	64
#define ENV_DOWN_MAX	(DOWN_MAX * DOWN_TEXT + 32)
#define RESULT_MAX	(SPAWN_RCPT_MAX * (SPAWN_TEXT_MAX + 32) + \
			    DOWN_MAX * (DOWN_TEXT + 8) + 64)

struct job {
	struct job	*next;
	struct spawn_req req;
	pid_t		 pid;		/* 0 until started */
	int		 fd;		/* remote's result pipe, -1 at EOF */
	int		 has_exited;
	int		 wstatus;
	int		 is_reported;	/* its results went to sched */
	struct sa	 out;		/* what remote wrote */
};

struct down {
	char	ip[DOWN_TEXT];
	time_t	until;
};

static struct job	*jobs;		/* waiting and running, in order */
static size_t		 running;
static long long	 concurrency = 20;
static struct down	 down[DOWN_MAX];
static int		 queue_fd = -1;
static uid_t		 queue_uid;
static int		 sigchld_fd = -1;
static char		 remote_prog[1024];
static struct buf	 outb;
static char		 outstore[8192];

/* result_word - the log word for a status letter. */
static const char *
result_word(char status)
{
	return status == SPAWN_OK ? "sent" : status == SPAWN_PERM ? "bounce" :
	    "defer";
}

/* send_result - the job's result record to sched; fatal if it fails. */
static void
send_result(const struct spawn_res *res)
{
	struct sa rec = SA_INIT;

	if (spawn_res_encode(&rec, res) == -1)
		die(EXIT_TEMP, "unable to encode a result");
	if (rec_frame_write(&outb, &rec) == -1 || buf_flush(&outb) == -1)
		die(EXIT_TEMP, "unable to write a result to sched");
	sa_free(&rec);
}

/* answer_all - one status for every recipient of j. */
static void
answer_all(const struct job *j, char status, const char *text)
{
	struct spawn_res res;
	size_t i;

	if (spawn_res_alloc(&res, j->req.job, j->req.nrcpt) == -1)
		die(EXIT_TEMP, "unable to allocate a result");
	for (i = 0; i < j->req.nrcpt; i++) {
		spawn_res_set(&res, i, status, text);
		log_info("id=%s job=%llu to=<%s> result=%s text=\"%s\"",
		    j->req.id, j->req.job, j->req.rcpt[i], result_word(status),
		    text);
	}
	send_result(&res);
	spawn_res_free(&res);
}

/* note_down - remember an address remote saw time out. */
static void
note_down(const char *ip, size_t n)
{
	time_t now = time(NULL);
	size_t i, slot = 0;

	if (n == 0 || n >= DOWN_TEXT || memchr(ip, ' ', n) != NULL)
		return;
	for (i = 0; i < DOWN_MAX; i++) {
		if (strncmp(down[i].ip, ip, n) == 0 && down[i].ip[n] == '\0') {
			slot = i;
			break;
		}
		if (down[i].until < down[slot].until)
			slot = i;	/* the oldest entry makes room */
	}
	memcpy(down[slot].ip, ip, n);
	down[slot].ip[n] = '\0';
	down[slot].until = now + DOWN_SECONDS;
}

/* down_env - "QPOST_REMOTE_DOWN=ip ip ..." for the addresses still down. */
static void
down_env(char *env, size_t size)
{
	time_t now = time(NULL);
	size_t i;

	(void)strlcpy(env, "QPOST_REMOTE_DOWN=", size);
	for (i = 0; i < DOWN_MAX; i++)
		if (down[i].ip[0] != '\0' && down[i].until > now) {
			(void)strlcat(env, down[i].ip, size);
			(void)strlcat(env, " ", size);
		}
}

/*
 * parse_result - remote's record: S and T for each recipient in order,
 * P1 after the T of a K the next hop took with its DSN requests, then X
 * fields (timed-out addresses).  Fills res; -1 if malformed.
 */
static int
parse_result(const struct job *j, struct spawn_res *res)
{
	struct rec_reader rr;
	struct sa rec = SA_INIT;
	struct buf b;
	const char *v;
	char tag, text[SPAWN_TEXT_MAX + 1], status;
	size_t vlen, i = 0;
	int r, is_p_due = 0;

	/* remote writes exactly one frame, "LEN:record,", and no more */
	buf_init(&b, -1, j->out.s, j->out.len);
	b.len = j->out.len;
	if (rec_frame_read(&b, &rec, RESULT_MAX) != 1 || b.pos != b.len) {
		sa_free(&rec);
		return -1;
	}
	rec_reader_init(&rr, rec.s, rec.len);
	while ((r = rec_next(&rr, &tag, &v, &vlen)) == 1) {
		if (tag == 'P' && is_p_due && vlen == 1 && v[0] == '1') {
			res->st[i - 1].dsn_passed = 1;
			is_p_due = 0;
			continue;
		}
		is_p_due = 0;
		if (tag == 'X')
			continue;	/* taken below, once all is valid */
		if (tag != 'S' || vlen != 1 || i == j->req.nrcpt ||
		    (v[0] != SPAWN_OK && v[0] != SPAWN_TEMP &&
		    v[0] != SPAWN_PERM))
			break;
		status = v[0];
		if (rec_next(&rr, &tag, &v, &vlen) != 1 || tag != 'T' ||
		    vlen > SPAWN_TEXT_MAX || !rec_value_ok(v, vlen))
			break;
		memcpy(text, v, vlen);
		text[vlen] = '\0';
		spawn_res_set(res, i++, status, text);
		is_p_due = status == SPAWN_OK;
	}
	if (r == 0 && i == j->req.nrcpt) {
		rec_reader_init(&rr, rec.s, rec.len);
		while (rec_next(&rr, &tag, &v, &vlen) == 1)
			if (tag == 'X')
				note_down(v, vlen);
	}
	sa_free(&rec);
	return r == 0 && i == j->req.nrcpt ? 0 : -1;
}

/*
 * pass_on - remote's results to sched, if what it wrote is a whole,
 * valid record.  remote closes its pipe once every recipient has a
 * server's answer and before it says QUIT, so this need not wait for
 * its exit: the sooner the queue records a delivery, the fewer copies
 * are made again when sched or rspawn dies.  Returns 0 once passed on.
 */
static int
pass_on(struct job *j)
{
	struct spawn_res res;
	int r;

	if (j->is_reported)
		return 0;
	if (spawn_res_alloc(&res, j->req.job, j->req.nrcpt) == -1)
		die(EXIT_TEMP, "unable to allocate a result");
	if ((r = parse_result(j, &res)) == 0) {
		send_result(&res);
		j->is_reported = 1;
	}
	spawn_res_free(&res);
	return r;
}

/* finish - remote is over: its results, or defer them all. */
static void
finish(struct job *j)
{
	char text[128];

	if (pass_on(j) == 0) {
		/*
		 * a crash after the result changes no result, but is a
		 * fault to log; SIGTERM is ours, as sched went away
		 */
		if (WIFSIGNALED(j->wstatus) && WTERMSIG(j->wstatus) != SIGTERM)
			log_warnx("id=%s job=%llu remote was killed by signal "
			    "%d after its result", j->req.id, j->req.job,
			    WTERMSIG(j->wstatus));
		return;
	}
	if (WIFSIGNALED(j->wstatus))
		(void)snprintf(text, sizeof(text), "4.3.0 remote was killed "
		    "by signal %d", WTERMSIG(j->wstatus));
	else
		(void)snprintf(text, sizeof(text), "4.3.0 remote exited %d "
		    "without a valid result", WEXITSTATUS(j->wstatus));
	log_warnx("id=%s job=%llu %s", j->req.id, j->req.job, text + 6);
	answer_all(j, SPAWN_TEMP, text);
}

/* what the child needs: all made before the vfork */
struct child_args {
	int		 msgfd, outfd;
	char *const	*argv, *const *envp;
};

/* child - in the new process (vfork: system calls only): exec remote. */
static void
child(void *arg)
{
	const struct child_args *c = arg;

	if (dup2(c->msgfd, 0) == -1 || dup2(c->outfd, 1) == -1)
		_exit(EXIT_TEMP);
	closefrom(3);
	spawn_child_signals();
	/* before its end-of-data, a remote stopped delivers nothing */
	spawn_child_tie(SIGTERM);
	execve(remote_prog, c->argv, c->envp);
	log_warn("unable to run %s", remote_prog);
	_exit(EXIT_TEMP);
}

/*
 * dsn_args - j's DSN requests as remote's options, from argv[n] on: -R
 * and -E when the sender asked, and when any recipient asked, -N and
 * -O for each (an empty value for what it did not ask), their values
 * kept in store.  Returns the new count.
 */
static size_t
dsn_args(struct job *j, char **argv, size_t n, struct sa *store)
{
	static char opt_r[] = "-R", opt_e[] = "-E", opt_n[] = "-N",
	    opt_o[] = "-O", full[] = "FULL", hdrs[] = "HDRS";
	const struct sa *list = &j->req.rcpt_dsn;
	struct dsn_rcpt d;
	const char *p;
	char *w;
	size_t i;

	if (j->req.dsn.ret != 0) {
		argv[n++] = opt_r;
		argv[n++] = j->req.dsn.ret == DSN_RET_HDRS ? hdrs : full;
	}
	if (j->req.dsn.envid[0] != '\0') {
		argv[n++] = opt_e;
		argv[n++] = j->req.dsn.envid;
	}
	/* every value first: store may move while it grows */
	for (p = list->s, i = 0; list->len > 0 && i < j->req.nrcpt; i++) {
		p = dsn_list_get(p, &d);
		if (dsn_notify_smtp(d.notify, store) == -1 ||
		    sa_catc(store, '\0') == -1 ||
		    sa_catb(store, d.orcpt, strlen(d.orcpt) + 1) == -1)
			die(EXIT_TEMP, "unable to allocate remote's arguments");
	}
	for (w = store->s, i = 0; list->len > 0 && i < j->req.nrcpt; i++) {
		argv[n++] = opt_n;
		argv[n++] = w;
		w += strlen(w) + 1;
		argv[n++] = opt_o;
		argv[n++] = w;
		w += strlen(w) + 1;
	}
	return n;
}

/* start - fork remote for j; on failure its recipients are deferred. */
static void
start(struct job *j)
{
	static char none[] = "", prog_name[] = "remote", opt_i[] = "-i",
	    opt_end[] = "--", path[] = "PATH=/usr/bin:/bin";
	static char down_var[ENV_DOWN_MAX], control[1100];
	char *envp[] = { path, control, down_var, NULL };
	char text[SPAWN_TEXT_MAX + 1], **argv, *at;
	struct sa dsn_store = SA_INIT;
	int msgfd, p[2];
	size_t i, n = 0;

	if ((msgfd = spawn_open_message(queue_fd, queue_uid, j->req.id, text,
	    sizeof(text))) == -1) {
		answer_all(j, SPAWN_TEMP, text);
		j->fd = -1;
		j->has_exited = 1;
		j->pid = -1;
		return;
	}
	at = strrchr(j->req.rcpt[0], '@');
	/*
	 * the program, -i id, -R ret, -E envid, --, domain, sender and the
	 * NULL; each recipient, and its -N notify -O orcpt
	 */
	if ((argv = calloc(j->req.nrcpt * 5 + 11, sizeof(*argv))) == NULL ||
	    pipe2(p, O_CLOEXEC) == -1)
		die(EXIT_TEMP, "unable to start remote");
	argv[n++] = prog_name;
	argv[n++] = opt_i;
	argv[n++] = j->req.id;
	n = dsn_args(j, argv, n, &dsn_store);
	argv[n++] = opt_end;	/* an address may start with '-' */
	argv[n++] = at != NULL ? at + 1 : none;
	argv[n++] = j->req.sender;
	for (i = 0; i < j->req.nrcpt; i++)
		argv[n++] = j->req.rcpt[i];
	/* a clean environment */
	(void)snprintf(control, sizeof(control), "QPOST_CONTROL=%s",
	    paths_control());
	down_env(down_var, sizeof(down_var));
	if ((j->pid = spawn_child(child, &(struct child_args){ msgfd, p[1],
	    argv, envp })) == -1)
		die(EXIT_TEMP, "unable to fork remote");
	close(p[1]);
	close(msgfd);
	free(argv);
	sa_free(&dsn_store);
	j->fd = p[0];
	(void)fcntl(j->fd, F_SETFL, O_NONBLOCK);
	running++;
}

/* start_waiting - start queued jobs while there is room. */
static void
start_waiting(void)
{
	struct job *j;

	for (j = jobs; j != NULL && running < (size_t)concurrency; j = j->next)
		if (j->pid == 0)
			start(j);
}

/*
 * read_out - take what remote has written, within RESULT_MAX; at the
 * pipe's end, pass the result on if it is whole.
 */
static void
read_out(struct job *j)
{
	char chunk[4096];
	ssize_t r;

	while (j->fd != -1) {
		r = fd_read(j->fd, chunk, sizeof(chunk));
		if (r == -1 && errno == EAGAIN)
			return;
		if (r <= 0 || j->out.len + (size_t)r > RESULT_MAX + 32 ||
		    sa_catb(&j->out, chunk, (size_t)r) == -1) {
			close(j->fd);
			j->fd = -1;
			(void)pass_on(j);
			return;
		}
	}
}

/* reap - collect exited remotes. */
static void
reap(void)
{
	struct job *j;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (j = jobs; j != NULL && j->pid != pid; j = j->next)
			;
		if (j == NULL)
			continue;
		j->has_exited = 1;
		j->wstatus = st;
		read_out(j);
		if (j->fd != -1) {
			close(j->fd);
			j->fd = -1;
		}
	}
}

/* finish_done - report and free the jobs whose remote is over. */
static void
finish_done(void)
{
	struct job **jp, *j;

	for (jp = &jobs; (j = *jp) != NULL;) {
		if (j->pid != 0 && j->has_exited && j->fd == -1) {
			*jp = j->next;
			if (j->pid > 0) {
				finish(j);
				running--;
			}
			spawn_req_free(&j->req);
			sa_free(&j->out);
			free(j);
		} else
			jp = &j->next;
	}
}

/* add_job - a request joins the end of the list. */
static int
add_job(const struct sa *rec)
{
	struct job *j, **jp;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		die(EXIT_TEMP, "unable to allocate a job");
	if (spawn_req_decode(rec->s, rec->len, &j->req) == -1) {
		free(j);
		return -1;
	}
	j->fd = -1;
	for (jp = &jobs; *jp != NULL; jp = &(*jp)->next)
		;
	*jp = j;
	return 0;
}

/*
 * read_requests - read records while input is buffered.  Returns 0,
 * or 1 at end of input; *code is EXIT_TEMP for a malformed record.
 */
static int
read_requests(struct buf *inb, struct sa *rec, int *code)
{
	int r;

	do {
		r = rec_frame_read(inb, rec, REC_FRAME_MAX);
		if (r == 0)
			return 1;
		if (r == -1 || add_job(rec) == -1) {
			log_warnx("fatal: %s", r == -1 && errno != EPROTO ?
			    "unable to read requests" : "malformed request");
			*code = EXIT_TEMP;
			return 1;
		}
	} while (inb->pos < inb->len);
	return 0;
}

/* setup - privileges, the queue, remote's path, the limit, signals. */
static void
setup(void)
{
	if (!priv_single_user())
		priv_drop(USER_REMOTE);
	spawn_setup(&queue_fd, &queue_uid);
	if (paths_program(remote_prog, sizeof(remote_prog), "remote") == -1)
		die(EXIT_TEMP, "unable to name the remote program");
	if (ctl_knob("concurrencyremote", &concurrency) == -1)
		diex(EXIT_TEMP, "control/concurrencyremote is broken");
	if ((sigchld_fd = spawn_sigchld_pipe()) == -1)
		die(EXIT_TEMP, "unable to catch SIGCHLD");
	/* a gone sched must be EPIPE, then exit 111, not a silent death */
	(void)signal(SIGPIPE, SIG_IGN);
}

/*
 * sweep_due - the MTA-STS cache swept (sts_sweep.c) when rspawn starts
 * and then every SWEEP_SECONDS ($QPOST_STS_SWEEP_SECONDS, for tests);
 * the milliseconds until the next sweep, for poll.
 */
static int
sweep_due(void)
{
	static time_t next;
	static long long every;
	const char *v, *err;
	time_t now = time(NULL);

	if (every == 0) {
		v = getenv("QPOST_STS_SWEEP_SECONDS");
		if (v == NULL || ((every = strtonum(v, 1, SWEEP_SECONDS,
		    &err)), err != NULL))
			every = SWEEP_SECONDS;
	}
	if (now >= next) {
		sts_sweep();
		next = now + (time_t)every;
	}
	return (int)(next - now) * 1000;
}

/* poll_set - the self-pipe, requests, and each running remote's pipe. */
static size_t
poll_set(struct pollfd **pfd, size_t *cap, int is_eof)
{
	struct job *j;
	size_t n = 2;
	void *np;

	for (j = jobs; j != NULL; j = j->next)
		n += j->fd != -1;
	if (n > *cap) {
		if ((np = reallocarray(*pfd, n, sizeof(**pfd))) == NULL)
			die(EXIT_TEMP, "unable to grow the poll set");
		*pfd = np;
		*cap = n;
	}
	(*pfd)[0].fd = sigchld_fd;
	(*pfd)[0].events = POLLIN;
	(*pfd)[1].fd = is_eof ? -1 : 0;
	(*pfd)[1].events = POLLIN;
	for (n = 2, j = jobs; j != NULL; j = j->next)
		if (j->fd != -1) {
			(*pfd)[n].fd = j->fd;
			(*pfd)[n++].events = POLLIN;
		}
	return n;
}

int
main(int argc, char *argv[])
{
	char instore[8192];
	struct pollfd *pfd = NULL;
	struct sa rec = SA_INIT;
	struct buf inb;
	struct job *j;
	size_t n, cap = 0, k;
	int is_eof = 0, code = 0;

	log_init(argv[0]);
	log_options_h(argc, argv, USAGE);
	setup();
	buf_init(&inb, 0, instore, sizeof(instore));
	buf_init(&outb, 1, outstore, sizeof(outstore));

	while (!is_eof || running > 0) {
		n = poll_set(&pfd, &cap, is_eof);
		if (poll(pfd, n, sweep_due()) == -1) {
			if (errno == EINTR)
				continue;
			die(EXIT_TEMP, "poll");
		}
		if (pfd[0].revents != 0)
			spawn_sigchld_drain(sigchld_fd);
		/* the pipes first: a remote's result before its exit */
		for (k = 2, j = jobs; j != NULL; j = j->next)
			if (j->fd != -1 && pfd[k++].revents != 0)
				read_out(j);
		reap();
		finish_done();
		if (!is_eof && pfd[1].revents != 0) {
			is_eof = read_requests(&inb, &rec, &code);
			/* sched is gone: stop what it will redo anyway */
			for (j = jobs; is_eof && j != NULL; j = j->next)
				if (j->pid > 0 && !j->has_exited)
					(void)kill(j->pid, SIGTERM);
		}
		if (!is_eof)
			start_waiting();
	}
	sa_free(&rec);
	free(pfd);
	return code;
}
