/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local - one local delivery: the message to one recipient, by the
 * instructions lspawn named with -t or, without -t, those of the
 * user's dot file (else "./Maildir/").  See local.h for the forms.
 *
 * lspawn starts local under the recipient's uid and gid (or the alias
 * user's, for files and programs named in the aliases; never 0), with
 * the message file of the queue open read-only on fd 0 and a pipe on
 * fd 1.  local prints one line of result text on stdout and exits 0
 * (delivered), 100 (permanent failure) or 111 (temporary failure).
 *
 * It trusts its arguments (lspawn checked them) only as far as
 * refusing CR, LF and NUL in them; it trusts the message to be bytes
 * and nothing more.  It reads fd 0 with pread from offset 0 so that it
 * never depends on, or moves, a file offset it might share.
 */
#include <sys/stat.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "local.h"
#include "log.h"
#include "queue_id.h"
#include "spawn_rec.h"

#define USAGE	"usage: local [-a] [-i id] [-u user] -s sender " \
		"-r recipient [-o original] -d home [-l local] [-e ext] " \
		"[-m domain] [-t instruction]"
/* -h: both forms; a failure's text has the first only (one line) */
#define HELP	USAGE "\n       local -W\n"

static const char *qid = "-";	/* for the log; "-" when not given */
static const char *rcpt_log = "";
/* a worker's child (local_deliver_again): where finish goes, not exit */
static sigjmp_buf *finish_jump;
static int finish_code;
static char *rpline, *dtline;	/* the delivery's, freed by the next */

/* done - end the delivery with code: exit, or back to a worker's child */
static void __attribute__((noreturn))
done(int code)
{
	if (finish_jump != NULL) {
		finish_code = code;
		siglongjmp(*finish_jump, 1);
	}
	exit(code);
}

/*
 * finish - print the result text as one line on stdout, log a failure
 * and end the delivery with code.  The text travels back to sched
 * through lspawn.
 */
static void __attribute__((noreturn))
finish(int code, const char *text)
{
	char line[SPAWN_TEXT_MAX + 2];
	size_t n;

	if (code == LOCAL_STOP)
		code = LOCAL_OK;
	if (code != LOCAL_OK)
		log_warnx("id=%s failed to=<%s> result=%s text=\"%s\"", qid,
		    rcpt_log, code == LOCAL_PERM ? "bounce" : "defer", text);
	n = strlcpy(line, text, sizeof(line) - 1);
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (fd_write_all(1, line, n) == -1 ||
	    (code == LOCAL_OK && local_forward_report(1) == -1))
		done(LOCAL_TEMP);
	done(code);
}

/* finishf - finish with a formatted text. */
static void __attribute__((format(printf, 2, 3), noreturn))
finishf(int code, const char *fmt, ...)
{
	char text[SPAWN_TEXT_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	finish(code, text);
}

const char *
local_temp_code(int e)
{
	if (e == EDQUOT)
		return "4.2.2";		/* mailbox full */
	if (e == ENOSPC)
		return "4.3.1";		/* mail system full */
	return "4.3.0";
}

int
local_copy(const struct local_msg *m, int out)
{
	char chunk[65536], obuf[65536];
	struct buf b;
	off_t off = 0;
	ssize_t r;

	buf_init(&b, out, obuf, sizeof(obuf));
	if (buf_puts(&b, m->rpline) == -1 || buf_puts(&b, m->dtline) == -1)
		return -1;
	for (;;) {
		do
			r = pread(m->msgfd, chunk, sizeof(chunk), off);
		while (r == -1 && errno == EINTR);
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		if (buf_put(&b, chunk, (size_t)r) == -1)
			return -1;
		off += r;
	}
	return buf_flush(&b);
}

int
local_instruction(const struct local_msg *m, const char *line, char *text,
    size_t size)
{
	size_t n = strlen(line);

	if (line[0] == '|')
		return local_program(m, line + 1, text, size);
	if (line[0] == '/' || line[0] == '.')
		return n > 0 && line[n - 1] == '/' ?
		    local_maildir(m, line, text, size) :
		    local_mbox(m, line, text, size);
	if (strncmp(line, "lmtp:", 5) == 0)
		return local_lmtp(m, line + 5, text, size);
	if (line[0] == '&')
		return local_forward(m, line + 1, text, size);
	return local_forward(m, line, text, size);
}

/* arg_ok - a command-line value fit for a header line: no CR, LF. */
static int
arg_ok(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

/* header_line - "name: <value>\n" in a new string, or die. */
static char *
header_line(const char *name, const char *value)
{
	char *s;

	if (asprintf(&s, "%s: <%s>\n", name, value) == -1)
		finishf(LOCAL_TEMP, "4.3.0 out of memory");
	return s;
}

/*
 * default_names - LOCAL and HOST from the recipient when lspawn gave
 * no -l or -m (a delivery from the aliases): programs still get both.
 */
static void
default_names(struct local_msg *m)
{
	static char local[1024];
	const char *at = strrchr(m->recipient, '@');

	if (at == NULL)
		return;
	if (m->local[0] == '\0' &&
	    (size_t)(at - m->recipient) < sizeof(local)) {
		memcpy(local, m->recipient, (size_t)(at - m->recipient));
		local[at - m->recipient] = '\0';
		m->local = local;
	}
	if (m->host[0] == '\0')
		m->host = at + 1;
}

/*
 * deliver - one delivery, as the arguments say; it never returns (each
 * way out is finish).  A worker's child comes here too, through
 * local_deliver_again.
 */
static int
deliver(int argc, char *argv[])
{
	const char *instruction = NULL;
	char text[SPAWN_TEXT_MAX + 1];
	struct local_msg m;
	struct stat st;
	sigset_t term;
	int ch, code;

	memset(&m, 0, sizeof(m));
	qid = "-";
	rcpt_log = "";
	local_forward_reset();
	m.id = qid;
	m.user = "-";
	m.local = m.ext = m.host = "";
	while ((ch = getopt(argc, argv, "ahi:u:s:r:o:d:l:e:m:t:")) != -1) {
		switch (ch) {
		case 'a':
			m.is_again = 1;
			break;
		case 'h':
			(void)fd_write_all(1, HELP, sizeof(HELP) - 1);
			exit(0);
		case 'i':
			m.id = qid = optarg;
			break;
		case 'u':
			m.user = optarg;
			break;
		case 's':
			m.sender = optarg;
			break;
		case 'r':
			m.recipient = optarg;
			break;
		case 'o':
			m.orcpt = optarg;
			break;
		case 'd':
			m.home = optarg;
			break;
		case 'l':
			m.local = optarg;
			break;
		case 'e':
			m.ext = optarg;
			break;
		case 'm':
			m.host = optarg;
			break;
		case 't':
			instruction = optarg;
			break;
		default:
			finish(LOCAL_PERM, "5.3.5 " USAGE);
		}
	}
	if (optind != argc || m.sender == NULL || m.recipient == NULL ||
	    m.home == NULL)
		finish(LOCAL_PERM, "5.3.5 " USAGE);
	rcpt_log = arg_ok(m.recipient) ? m.recipient : "";
	if (m.orcpt == NULL)
		m.orcpt = m.recipient;
	if (!qid_valid(qid, strlen(qid)) && strcmp(qid, "-") != 0)
		finish(LOCAL_PERM, "5.3.5 bad message id");
	if (getuid() == 0 || geteuid() == 0)
		finish(LOCAL_TEMP, "4.3.0 local refuses to run as root");
	if (!arg_ok(m.sender) || !arg_ok(m.recipient) || !arg_ok(m.orcpt) ||
	    !arg_ok(m.user) || !arg_ok(m.local) || !arg_ok(m.ext) ||
	    !arg_ok(m.host) ||
	    m.recipient[0] == '\0' ||
	    (instruction != NULL && !arg_ok(instruction)))
		finish(LOCAL_PERM, "5.1.3 bad sender or recipient argument");
	if (m.home[0] != '/' || !arg_ok(m.home))
		finishf(LOCAL_PERM, "5.3.5 <%s>: home directory must be an "
		    "absolute path", m.recipient);
	if (fstat(0, &st) == -1 || !S_ISREG(st.st_mode))
		finishf(LOCAL_TEMP, "4.3.0 <%s>: the message on fd 0 is not "
		    "a regular file", m.recipient);
	m.msgfd = 0;
	m.size = st.st_size;
	m.queued = st.st_mtime;
	default_names(&m);
	free(rpline);
	free(dtline);
	rpline = dtline = NULL;	/* header_line may end the delivery */
	m.rpline = rpline = header_line("Return-Path", m.sender);
	m.dtline = dtline = header_line("Delivered-To", m.recipient);
	if (chdir(m.home) == -1)
		finishf(LOCAL_TEMP, "%s <%s>: unable to enter home directory "
		    "%s: %s", local_temp_code(errno), m.recipient, m.home,
		    strerror(errno));

	/* a SIGTERM waits until a delivery can stop cleanly: local_on_term */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);
	signal(SIGTERM, local_on_term);
	text[0] = '\0';
	if ((code = local_loop_check(&m, text, sizeof(text))) != LOCAL_OK)
		finish(code, text);
	if (instruction == NULL)
		finish(local_dot(&m, text, sizeof(text)), text);
	finish(local_instruction(&m, instruction, text, sizeof(text)), text);
}

/*
 * local_deliver_again - deliver in a worker's child, which makes one
 * delivery after another: the same, but finish comes back here with
 * the exit code instead of exiting, with the signal mask as it was.
 * What a delivery sets up for itself (its SIGTERM handler, its
 * directory, its forwards, its header lines) the next one sets again.
 */
static int
local_deliver_again(int argc, char *argv[])
{
	sigjmp_buf jump;

	if (sigsetjmp(jump, 1) == 0) {
		finish_jump = &jump;
		(void)deliver(argc, argv);
	}
	finish_jump = NULL;
	return finish_code;
}

int
main(int argc, char *argv[])
{
	log_init(argv[0]);
	if (argc == 2 && strcmp(argv[1], "-W") == 0)
		return local_worker(local_deliver_again);
	return deliver(argc, argv);
}
