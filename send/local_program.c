/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_program - deliver to a program: `|command' runs with
 * /bin/sh -c as the user, in the home directory, in a process group of
 * its own, with a clean environment (SENDER, RECIPIENT, LOCAL, EXT,
 * HOST, DTLINE, RPLINE, USER, HOME, PATH and local's QPOST_* variables)
 * and Return-Path, Delivered-To and the message on its standard input,
 * fed through a pipe so it shares no file offset with local.  Its
 * exit code decides (qmail's table): 0 delivered, 99 delivered and the
 * dot file stops, 100 permanent, 111 and anything else temporary.
 * Its standard output and error (the first OUT_KEEP bytes, made
 * printable) go into the result text, so the log or the bounce shows
 * what it said.  It runs at most control/timeoutprogram seconds
 * (default 3600); then its whole group gets SIGTERM and, TERM_GRACE
 * seconds later, SIGKILL, and the delivery fails temporarily.
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

#include "ctl.h"
#include "ctl_knob.h"
#include "local.h"
#include "log.h"
#include "sa.h"

#define OUT_KEEP	800		/* bytes of the program's output kept */
#define TERM_GRACE	5		/* seconds from SIGTERM to SIGKILL */
#define ENV_MAX		64		/* variables passed to the program */

extern char **environ;

/* one running program, as the parent sees it */
struct prog {
	const struct local_msg	*m;
	pid_t	 pid;
	int	 in;			/* write end of its stdin, or -1 */
	int	 out;			/* read end of its stdout+stderr */
	char	 chunk[65536];		/* input not yet written */
	size_t	 clen, coff;
	off_t	 moff;			/* next message byte to read */
	int	 head_done;		/* rpline and dtline are in */
	char	 outbuf[OUT_KEEP];
	size_t	 outlen;
	int	 out_cut;		/* it said more than OUT_KEEP */
	int	 status;
	int	 exited;
};

/* now_sec - a monotonic clock, in seconds. */
static time_t
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* add_env - append "name=value" to env (n entries so far); -1 if full. */
static int
add_env(char **env, size_t *n, const char *name, const char *value)
{
	if (*n >= ENV_MAX || asprintf(&env[*n], "%s=%s", name, value) == -1)
		return -1;
	(*n)++;
	env[*n] = NULL;
	return 0;
}

/*
 * make_env - the program's environment: what qmail-local gives, plus
 * local's own QPOST_* variables (so a program can run qinject for the
 * same instance).  Returns 0, or -1 when out of memory or room.
 */
static int
make_env(const struct local_msg *m, char **env)
{
	size_t n = 0;
	char **e;

	env[0] = NULL;
	if (add_env(env, &n, "SENDER", m->sender) == -1 ||
	    add_env(env, &n, "RECIPIENT", m->recipient) == -1 ||
	    add_env(env, &n, "LOCAL", m->local) == -1 ||
	    add_env(env, &n, "EXT", m->ext) == -1 ||
	    add_env(env, &n, "HOST", m->host) == -1 ||
	    add_env(env, &n, "DTLINE", m->dtline) == -1 ||
	    add_env(env, &n, "RPLINE", m->rpline) == -1 ||
	    add_env(env, &n, "USER", m->user) == -1 ||
	    add_env(env, &n, "HOME", m->home) == -1 ||
	    add_env(env, &n, "PATH", "/usr/bin:/bin") == -1)
		return -1;
	for (e = environ; *e != NULL; e++)
		if (strncmp(*e, "QPOST_", 6) == 0 && strchr(*e, '=') != NULL) {
			if (n >= ENV_MAX || (env[n] = strdup(*e)) == NULL)
				return -1;
			env[++n] = NULL;
		}
	return 0;
}

/* free_env - free what make_env made. */
static void
free_env(char **env)
{
	size_t i;

	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
}

/* child - in the new process: the pipes as fds 0, 1 and 2, then sh. */
static void __attribute__((noreturn))
child(int in, int out, const char *command, char **env)
{
	sigset_t none;

	if (setsid() == -1 || dup2(in, 0) == -1 || dup2(out, 1) == -1 ||
	    dup2(out, 2) == -1)
		_exit(111);
	closefrom(3);
	(void)signal(SIGPIPE, SIG_DFL);
	(void)signal(SIGTERM, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execle("/bin/sh", "sh", "-c", command, (char *)NULL, env);
	_exit(111);
}

/*
 * start - fork the program with a pipe on each side.  Returns 0, or -1
 * with errno set (nothing left running, no descriptor left open).
 */
static int
start(struct prog *p, const char *command, char **env)
{
	int in[2], out[2], e;

	if (pipe(in) == -1)
		return -1;
	if (pipe(out) == -1) {
		e = errno;
		close(in[0]);
		close(in[1]);
		return (errno = e, -1);
	}
	if ((p->pid = fork()) == -1) {
		e = errno;
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return (errno = e, -1);
	}
	if (p->pid == 0)
		child(in[0], out[1], command, env);
	close(in[0]);
	close(out[1]);
	p->in = in[1];
	p->out = out[0];
	(void)fcntl(p->in, F_SETFL, O_NONBLOCK);
	(void)fcntl(p->out, F_SETFL, O_NONBLOCK);
	return 0;
}

/*
 * refill - the next input bytes into p->chunk: the two header lines
 * first, then the message.  0 when there is input, 1 at its end, -1 on
 * a read error.
 */
static int
refill(struct prog *p)
{
	ssize_t r;

	p->coff = p->clen = 0;
	if (!p->head_done) {
		p->clen = strlcpy(p->chunk, p->m->rpline, sizeof(p->chunk));
		p->clen += strlcpy(p->chunk + p->clen, p->m->dtline,
		    sizeof(p->chunk) - p->clen);
		p->head_done = 1;
		return 0;
	}
	do
		r = pread(p->m->msgfd, p->chunk, sizeof(p->chunk), p->moff);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	p->clen = (size_t)r;
	p->moff += r;
	return r == 0;
}

/* feed - write what the pipe takes; close it at the end.  -1 on error. */
static int
feed(struct prog *p)
{
	ssize_t w;
	int r;

	for (;;) {
		if (p->coff == p->clen) {
			if ((r = refill(p)) == -1)
				return -1;
			if (r == 1) {
				close(p->in);
				p->in = -1;
				return 0;
			}
		}
		w = write(p->in, p->chunk + p->coff, p->clen - p->coff);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN)
			return 0;
		if (w == -1) {
			/* EPIPE: it stopped reading; its exit code decides */
			close(p->in);
			p->in = -1;
			return errno == EPIPE ? 0 : -1;
		}
		p->coff += (size_t)w;
	}
}

/* drain - read its output, keeping the first OUT_KEEP bytes. */
static void
drain(struct prog *p)
{
	char junk[4096];
	ssize_t r;
	size_t room;

	for (;;) {
		room = sizeof(p->outbuf) - p->outlen;
		if (room > 0)
			r = read(p->out, p->outbuf + p->outlen, room);
		else
			r = read(p->out, junk, sizeof(junk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0 || errno != EAGAIN) {
				close(p->out);
				p->out = -1;
			}
			return;
		}
		if (room > 0)
			p->outlen += (size_t)r;
		else
			p->out_cut = 1;
	}
}

/* reap - whether it has exited (then its status is kept). */
static int
reap(struct prog *p)
{
	pid_t r;

	if (p->exited)
		return 1;
	while ((r = waitpid(p->pid, &p->status, WNOHANG)) == -1 &&
	    errno == EINTR)
		;
	if (r == p->pid)
		p->exited = 1;
	return p->exited;
}

/*
 * kill_group - the time limit has passed: SIGTERM to its process group,
 * up to TERM_GRACE seconds for the leader to exit, then SIGKILL to the
 * group (for children that ignore TERM), then reap.  The leader is
 * reaped only after the SIGKILL, so the group id cannot have been
 * given to anyone else when it is sent.
 */
static void
kill_group(struct prog *p)
{
	siginfo_t si;
	time_t until = now_sec() + TERM_GRACE;

	(void)kill(-p->pid, SIGTERM);
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)p->pid, &si,
		    WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == p->pid)
			break;
		if (now_sec() >= until)
			break;
		if (p->out != -1)
			drain(p);
		(void)poll(NULL, 0, 50);
	}
	(void)kill(-p->pid, SIGKILL);
	while (waitpid(p->pid, &p->status, 0) == -1 && errno == EINTR)
		;
	p->exited = 1;
}

/*
 * term_pending - whether lspawn asked local to stop (SIGTERM, blocked
 * in local while it delivers): then the program is stopped too, since
 * sched will make the delivery again.
 */
static int
term_pending(void)
{
	sigset_t set;

	return sigpending(&set) == 0 && sigismember(&set, SIGTERM);
}

/*
 * run - feed it, read it and wait for it until it exits or the time
 * limit passes.  Returns 0 when it exited, 1 when it was killed for
 * the time, 2 when it was killed because local is asked to stop, -1
 * on a read error of the message (it is killed then too).
 */
static int
run(struct prog *p, long long limit)
{
	struct pollfd pfd[2];
	time_t until = now_sec() + (time_t)limit;
	nfds_t n;

	for (;;) {
		if (p->in != -1 && feed(p) == -1) {
			kill_group(p);
			return -1;
		}
		if (p->out != -1)
			drain(p);
		if (reap(p)) {
			/* what it wrote before exiting; a child of its own
			 * that keeps the pipe open cannot hold us */
			if (p->out != -1)
				drain(p);
			return 0;
		}
		if (now_sec() >= until) {
			kill_group(p);
			return 1;
		}
		if (term_pending()) {
			kill_group(p);
			return 2;
		}
		n = 0;
		if (p->in != -1) {
			pfd[n].fd = p->in;
			pfd[n++].events = POLLOUT;
		}
		if (p->out != -1) {
			pfd[n].fd = p->out;
			pfd[n++].events = POLLIN;
		}
		/* no SIGCHLD handler: look for its exit ten times a second */
		(void)poll(pfd, n, 100);
	}
}

/*
 * local_printable - the output (n bytes at s) as one line of printable
 * ASCII in dst (size bytes): line breaks and tabs become spaces, other
 * control bytes and non-ASCII '?', runs of spaces one space, the ends
 * trimmed.  Returns the length.
 */
size_t
local_printable(char *dst, size_t size, const char *s, size_t n)
{
	size_t i, k = 0;
	unsigned char c;

	if (size == 0)
		return 0;
	for (i = 0; i < n && k + 1 < size; i++) {
		c = (unsigned char)s[i];
		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		else if (c < 32 || c > 126)
			c = '?';
		if (c == ' ' && (k == 0 || dst[k - 1] == ' '))
			continue;
		dst[k++] = (char)c;
	}
	while (k > 0 && dst[k - 1] == ' ')
		k--;
	dst[k] = '\0';
	return k;
}

/* timeout_limit - control/timeoutprogram, or -1 when it is broken. */
static long long
timeout_limit(void)
{
	long long v;

	if (ctl_knob("timeoutprogram", &v) == -1)
		return -1;
	return v;
}

/* outcome - the LOCAL_* code and text for how it ended. */
static int
outcome(const struct prog *p, int how, long long limit, char *text,
    size_t size)
{
	char said[OUT_KEEP + 16];
	const char *r = p->m->recipient;
	int code;

	local_printable(said, sizeof(said) - 4, p->outbuf, p->outlen);
	if (p->out_cut)
		strlcat(said, "...", sizeof(said));
	if (how == 1) {
		(void)snprintf(text, size, "4.3.0 <%s>: program timed out "
		    "after %lld s%s%s", r, limit, said[0] ? ": " : "", said);
		return LOCAL_TEMP;
	}
	if (how == 2) {
		(void)snprintf(text, size, "4.3.0 <%s>: program stopped: "
		    "qpost is stopping", r);
		return LOCAL_TEMP;
	}
	if (how == -1) {
		(void)snprintf(text, size, "4.3.0 <%s>: unable to read the "
		    "message for the program", r);
		return LOCAL_TEMP;
	}
	if (WIFSIGNALED(p->status)) {
		(void)snprintf(text, size, "4.3.0 <%s>: program killed by "
		    "signal %d%s%s", r, WTERMSIG(p->status),
		    said[0] ? ": " : "", said);
		return LOCAL_TEMP;
	}
	code = WEXITSTATUS(p->status);
	if (code == 0 || code == 99)
		(void)snprintf(text, size, "2.0.0 <%s>: program delivered%s%s%s",
		    r, code == 99 ? " (99: stop)" : "", said[0] ? ": " : "",
		    said);
	else
		(void)snprintf(text, size, "%s <%s>: program exited %d%s%s",
		    code == 100 ? "5.3.0" : "4.3.0", r, code,
		    said[0] ? ": " : "", said);
	if (code == 0)
		return LOCAL_OK;
	if (code == 99)
		return LOCAL_STOP;
	return code == 100 ? LOCAL_PERM : LOCAL_TEMP;
}

int
local_program(const struct local_msg *m, const char *command, char *text,
    size_t size)
{
	struct prog *p;
	char *env[ENV_MAX + 1];
	void (*old_pipe)(int);
	long long limit;
	int how, code;

	if (*command == '\0') {
		(void)snprintf(text, size, "5.3.5 <%s>: empty program "
		    "instruction", m->recipient);
		return LOCAL_PERM;
	}
	if ((limit = timeout_limit()) == -1) {
		(void)snprintf(text, size, "4.3.0 <%s>: control/timeoutprogram "
		    "is broken", m->recipient);
		return LOCAL_TEMP;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL || make_env(m, env) == -1) {
		if (p != NULL)
			free_env(env);
		free(p);
		(void)snprintf(text, size, "4.3.0 <%s>: out of memory for the "
		    "program's environment", m->recipient);
		return LOCAL_TEMP;
	}
	p->m = m;
	p->in = p->out = -1;
	/* a program that stops reading is no reason for local to die */
	old_pipe = signal(SIGPIPE, SIG_IGN);
	if (start(p, command, env) == -1) {
		(void)snprintf(text, size, "%s <%s>: unable to start the "
		    "program: %s", local_temp_code(errno), m->recipient,
		    strerror(errno));
		code = LOCAL_TEMP;
	} else {
		how = run(p, limit);
		if (p->in != -1)
			close(p->in);
		if (p->out != -1)
			close(p->out);
		code = outcome(p, how, limit, text, size);
		log_info("id=%s program to=<%s> pid=%ld result=%s", m->id,
		    m->recipient, (long)p->pid, code == LOCAL_OK ? "ok" :
		    code == LOCAL_STOP ? "stop" : code == LOCAL_PERM ?
		    "bounce" : "defer");
	}
	(void)signal(SIGPIPE, old_pipe);
	free_env(env);
	free(p);
	return code;
}
