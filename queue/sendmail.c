/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sendmail - the command line every Unix program expects of a mail
 * system: cron, mail(1), git send-email, PHP's mail() run it blindly.
 * Also run as mailq (= -bp) and newaliases (= -bi), by its links.
 *
 * Runs as whoever calls it: no setuid, no setgid.  It trusts its
 * caller no more than qinject does: the message goes to qinject -Q
 * (sendmail_inject.c), which runs as the same user, so the queue sees
 * the caller's uid and sched decides what that uid may claim.  The
 * other modes run the qpost program that does the work: -bs smtpd -l
 * (a local SMTP session on standard input and output), -bp qstat -m,
 * -bi qcdb aliases, -q qctl flush.  Exit codes are sysexits(3).
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"
#include "sendmail.h"

#define USAGE	"usage: sendmail [-hitU] [-f sender] [-F fullname] " \
		"[-N dsn] [-R return] [-V envid]\n" \
		"                [-bm | -bs | -bp | -bi | -q] [-oi] " \
		"[recipient ...]\n" \
		"       mailq [id ...]\n" \
		"       newaliases\n"

enum sm_mode { MODE_DELIVER, MODE_SMTP, MODE_PRINT, MODE_ALIASES,
    MODE_FLUSH };

/* mode_of_name - the mode a link's name stands for. */
static enum sm_mode
mode_of_name(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');
	const char *name = slash != NULL ? slash + 1 : argv0;

	if (strcmp(name, "mailq") == 0)
		return MODE_PRINT;
	if (strcmp(name, "newaliases") == 0)
		return MODE_ALIASES;
	return MODE_DELIVER;
}

/* opt_b - -bX: the mode; sendmail's other modes are refused clearly. */
static enum sm_mode
opt_b(const char *arg)
{
	if (strcmp(arg, "m") == 0)
		return MODE_DELIVER;
	if (strcmp(arg, "s") == 0)
		return MODE_SMTP;
	if (strcmp(arg, "p") == 0)
		return MODE_PRINT;
	if (strcmp(arg, "i") == 0)
		return MODE_ALIASES;
	if (strcmp(arg, "v") == 0)
		diex(SM_EX_UNAVAILABLE, "-bv: qpost does not verify "
		    "addresses this way: nothing was sent");
	if (strcmp(arg, "d") == 0 || strcmp(arg, "D") == 0 ||
	    strcmp(arg, "l") == 0)
		diex(SM_EX_UNAVAILABLE, "-b%s: qpost's daemons are started by "
		    "qpost-start and tcpserver, not by sendmail", arg);
	diex(SM_EX_USAGE, "-b%s: unknown mode (known: -bm -bs -bp -bi)", arg);
}

/*
 * opt_o - -oX: sendmail's configuration options.  -oi is -i; the
 * others programs pass (error reporting -oe?, delivery mode -od?, -om,
 * -o7/-o8, -oQ, -oA, -oL, -oM) mean nothing to a queue-based MTA and
 * are ignored.  Returns 1 for -oi, else 0.
 */
static int
opt_o(const char *arg)
{
	if (strcmp(arg, "i") == 0)
		return 1;
	if (arg[0] != '\0' && strchr("edmQALM78", arg[0]) != NULL)
		return 0;
	diex(SM_EX_USAGE, "-o%s: unknown option", arg);
}

/* run - run a qpost program with args, wait, and map its exit (0,
 * 100, 111) to sysexits. */
static int
run(const char *name, char *const args[])
{
	char prog[1024];
	pid_t pid;
	int status;

	if (paths_program(prog, sizeof(prog), name) == -1)
		diex(SM_EX_OSERR, "QPOST_LIBEXEC is too long");
	if ((pid = fork()) == -1)
		die(SM_EX_OSERR, "unable to fork");
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		execv(prog, args);
		log_warn("unable to run %s", prog);
		_exit(SM_EX_OSERR);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			die(SM_EX_OSERR, "unable to wait for %s", name);
	if (!WIFEXITED(status))
		return SM_EX_SOFTWARE;
	switch (WEXITSTATUS(status)) {
	case 0:
		return SM_EX_OK;
	case 100:
		return SM_EX_UNAVAILABLE;
	case SM_EX_OSERR:
		return SM_EX_OSERR;
	default:
		return SM_EX_TEMPFAIL;
	}
}

/* flush - -q, -q30m (an interval: we flush once), -qRdomain. */
static int
flush(const char *arg)
{
	char *args[5] = { "qctl", "flush", NULL, NULL, NULL };

	if (arg != NULL && arg[0] == 'R' && arg[1] != '\0') {
		args[2] = "-d";
		args[3] = (char *)(uintptr_t)(arg + 1);
	}
	return run("qctl", args);
}

/* no_args - modes that take no recipients refuse them. */
static void
no_args(int argc, const char *mode)
{
	if (argc > 0)
		diex(SM_EX_USAGE, "%s takes no recipients", mode);
}

int
main(int argc, char *argv[])
{
	struct sm_opts o;
	enum sm_mode mode;
	const char *qarg = NULL, *notify = NULL, *ret = NULL, *envid = NULL;
	const char *why;
	int ch, code, want_flush = 0;

	log_init(argv[0]);
	signal(SIGPIPE, SIG_IGN);
	memset(&o, 0, sizeof(o));
	o.dot_ends = 1;
	mode = mode_of_name(argv[0]);
	/* '+': options end at the first recipient, as in sendmail 8 */
	while ((ch = getopt(argc, argv,
	    "+A:B:b:C:F:f:GhiL:mN:nO:o:p:q::R:r:tUV:vX:")) != -1) {
		switch (ch) {
		case 'b':
			mode = opt_b(optarg);
			break;
		case 'F':
			o.fullname = optarg;
			break;
		case 'f':
		case 'r':
			o.sender = optarg;
			break;
		case 'h':
			usage_exit(USAGE, 0);
		case 'i':
			o.dot_ends = 0;
			break;
		case 'N':
			notify = optarg;
			break;
		case 'o':
			if (opt_o(optarg))
				o.dot_ends = 0;
			break;
		case 'q':
			want_flush = 1;
			qarg = optarg;
			break;
		case 'R':
			ret = optarg;
			break;
		case 't':
			o.extract = 1;
			break;
		case 'V':
			envid = optarg;
			break;
		case 'A': case 'B': case 'C': case 'G': case 'L': case 'm':
		case 'n': case 'O': case 'p': case 'U': case 'v': case 'X':
			break;	/* accepted and ignored: see sendmail(8) */
		default:
			log_warnx("unknown option: see sendmail(8)");
			usage_exit(USAGE, SM_EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	/* the DSN requests (RFC 3461), as qinject takes them */
	if ((why = dsn_opts(notify, ret, envid, &o.dsn, &o.every_rcpt)) !=
	    NULL) {
		log_warnx("%s", why);
		usage_exit(USAGE, SM_EX_USAGE);
	}
	if (want_flush && mode == MODE_DELIVER) {
		no_args(argc, "-q");
		return flush(qarg);
	}
	switch (mode) {
	case MODE_SMTP: {
		char *args[] = { "smtpd", "-l", NULL };

		no_args(argc, "-bs");
		return run("smtpd", args);
	}
	case MODE_PRINT: {
		char **args = reallocarray(NULL, (size_t)argc + 3,
		    sizeof(*args));

		if (args == NULL)
			diex(SM_EX_TEMPFAIL, "out of memory");
		args[0] = "mailq";
		args[1] = "-m";
		memcpy(args + 2, argv, (size_t)argc * sizeof(*args));
		args[argc + 2] = NULL;
		code = run("qstat", args);
		free(args);
		return code;
	}
	case MODE_ALIASES: {
		char *args[] = { "qcdb", "aliases", NULL };

		no_args(argc, "-bi");
		return run("qcdb", args);
	}
	default:
		o.rcpts = argv;
		o.nrcpts = argc;
		/* a local user's mail: qinject may have it signed (DKIM) */
		(void)setenv("QPOST_SIGN", "local", 1);
		return sendmail_inject(&o);
	}
}
