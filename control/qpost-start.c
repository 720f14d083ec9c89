/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qpost-start - build the queue's process group, as qmail-start does:
 * make four pipes, fork lspawn (root) and rspawn (qpremote), then drop
 * to qpqueue and exec sched, each with its pipe ends on fixed
 * descriptors.  Run by the supervisor, as root in system mode or as
 * the instance's user in single-user mode; it trusts its environment
 * (the supervisor's) and nothing else crosses it.
 *
 * sched:  3 requests to lspawn, 4 results from lspawn,
 *         5 requests to rspawn, 6 results from rspawn, 2 the log.
 * lspawn, rspawn: 0 requests, 1 results, 2 the log.
 *
 * If any of the three dies the others see end of file and exit, and the
 * supervisor runs qpost-start again: the group is the unit of restart.
 * With -r fd (s6's notification-fd), that descriptor is passed to sched
 * alone, as descriptor FD_READY named by $QPOST_READYFD; sched writes a
 * newline to it once it serves new mail.  When control/srskey exists it
 * is opened here, as root, and given to sched alone as FD_SRSKEY named
 * by $QPOST_SRSKEYFD: the key that signs the SRS senders of forwarded
 * mail stays root:qpsmtpd 0440, out of reach of remote (group qpost).
 *
 * Exit 111 on any failure before the exec.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "buf.h"
#include "ctl.h"
#include "log.h"
#include "paths.h"
#include "priv.h"
#include "sa.h"

#define USAGE	"usage: qpost-start [-h] [-r fd]\n" \
		"  start sched, lspawn and rspawn, joined by pipes;\n" \
		"  -r: sched writes a newline to fd when ready (s6)\n"

#define PROG_SCHED	"sched"
#define PROG_LSPAWN	"lspawn"
#define PROG_RSPAWN	"rspawn"
#define FD_READY	7	/* above sched's pipes, 3 to 6 */
#define FD_READY_S	"7"
#define FD_SRSKEY	8
#define FD_SRSKEY_S	"8"

/*
 * fd_std - make sure 0, 1 and 2 are open (on /dev/null if need be), so
 * that no pipe end is given a standard descriptor by accident.
 */
static void
fd_std(void)
{
	int fd;

	for (;;) {
		if ((fd = open("/dev/null", O_RDWR)) == -1)
			die(EXIT_TEMP, "unable to open /dev/null");
		if (fd > 2) {
			(void)close(fd);
			return;
		}
	}
}

/*
 * fd_place - put src[i] on descriptor dst[i] for i < n, then close
 * everything from first_free on.  The sources are first copied above
 * every target, so that no dup2 can clobber a source still to be
 * placed, whatever numbers pipe() handed out.
 */
static void
fd_place(const int *src, const int *dst, int n, int first_free)
{
	int tmp[8], i;

	for (i = 0; i < n; i++)
		if ((tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, first_free)) ==
		    -1)
			die(EXIT_TEMP, "unable to duplicate a descriptor");
	for (i = 0; i < n; i++)
		if (dup2(tmp[i], dst[i]) == -1)	/* clears FD_CLOEXEC */
			die(EXIT_TEMP, "unable to move a descriptor to %d",
			    dst[i]);
	closefrom(first_free);
}

/*
 * signals_default - undo what the supervisor or a shell's "&" may have
 * left ignored or blocked (SIGINT, SIGPIPE ...): the three programs
 * choose their own dispositions, from the same start every time.
 */
static void
signals_default(void)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* exec_prog - exec an internal program from the libexec folder. */
static void __attribute__((noreturn))
exec_prog(const char *name)
{
	char path[1024];
	char *argv[2];

	if (paths_program(path, sizeof(path), name) == -1)
		die(EXIT_TEMP, "unable to name %s", name);
	argv[0] = (char *)(uintptr_t)name;
	argv[1] = NULL;
	execv(path, argv);
	die(EXIT_TEMP, "unable to run %s", path);
}

/*
 * spawn - fork a spawner with in on fd 0 and out on fd 1; in system
 * mode it first becomes user (NULL: stays root).  Returns its pid.
 */
static pid_t
spawn(const char *name, const char *user, int in, int out)
{
	int src[2], dst[2] = { 0, 1 };
	pid_t pid;

	if ((pid = fork()) == -1)
		die(EXIT_TEMP, "unable to fork %s", name);
	if (pid > 0)
		return pid;
	log_init(name);		/* die() in the child names the child */
	src[0] = in;
	src[1] = out;
	fd_place(src, dst, 2, 3);
	if (user != NULL)
		priv_drop(user);
	exec_prog(name);
}

/*
 * single_user_account - if we are root and control/singleuser names an
 * account, become it: a root-run single-user instance (the demo, tests
 * run as root) must never run as root.  Absent: system mode.
 */
static void
single_user_account(void)
{
	struct sa name = SA_INIT;
	uid_t uid;
	gid_t gid;
	int r;

	if (priv_single_user())
		return;
	if ((r = ctl_line("singleuser", &name)) == -1)
		diex(EXIT_TEMP, "control/singleuser is broken: not starting");
	if (r == 0)
		return;
	if (priv_lookup(name.s, &uid, &gid) == -1)
		diex(EXIT_TEMP, "control/singleuser: no account named %s",
		    name.s);
	if (uid == 0)
		diex(EXIT_TEMP, "control/singleuser names %s, which is root: "
		    "a single-user instance never runs as root", name.s);
	priv_drop_ids(uid, gid);
	log_info("single-user mode as %s uid=%lu", name.s,
	    (unsigned long)uid);
	sa_free(&name);
}

/*
 * ready_fd - the -r argument: an open descriptor above 2, moved out of
 * the way of the pipes (to 10 or above, close-on-exec) so that placing
 * sched's descriptors cannot clobber it.
 */
static int
ready_fd(const char *arg)
{
	const char *err;
	int fd, moved;

	fd = strtonum(arg, 3, 1023, &err);
	if (err != NULL)
		diex(EXIT_PERM, "-r %s: the descriptor is %s", arg, err);
	if (fcntl(fd, F_GETFD) == -1)
		diex(EXIT_TEMP, "-r %d: the descriptor is not open", fd);
	if ((moved = fcntl(fd, F_DUPFD_CLOEXEC, 10)) == -1)
		die(EXIT_TEMP, "unable to duplicate descriptor %d", fd);
	(void)close(fd);
	return moved;
}

/*
 * sts_folder - QUEUE/sts, remote's cache of MTA-STS policies (the one
 * place remote writes), owned by qpremote; made when missing, so an
 * instance set up before it gets it too (rspawn sweeps it: sts_sweep.c).
 * A failure is logged, not fatal: remote then fetches each policy for
 * each delivery.
 */
static void
sts_folder(int is_system, uid_t uid, gid_t gid)
{
	char path[4096];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", paths_queue(),
	    QDIR_STS) >= sizeof(path))
		return;
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		log_warn("unable to make %s, the MTA-STS policy cache", path);
		return;
	}
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		log_warn("unable to open %s", path);
		return;
	}
	if (is_system && (fchown(fd, uid, gid) == -1 ||
	    fchmod(fd, 0700) == -1))
		log_warn("unable to give %s to %s", path, USER_REMOTE);
	(void)close(fd);
}

/*
 * srs_key_fd - control/srskey opened for sched (after the spawners are
 * forked, so that neither inherits it), or -1 when there is none.
 */
static int
srs_key_fd(void)
{
	char path[4096];
	int fd;

	if (ctl_path(path, sizeof(path), "srskey") == -1)
		diex(EXIT_TEMP, "the control directory's name is too long");
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			die(EXIT_TEMP, "unable to open %s", path);
		return -1;
	}
	if (setenv("QPOST_SRSKEYFD", FD_SRSKEY_S, 1) == -1)
		die(EXIT_TEMP, "unable to set QPOST_SRSKEYFD");
	return fd;
}

int
main(int argc, char **argv)
{
	int to_l[2], from_l[2], to_r[2], from_r[2];
	int src[6], dst[6] = { 3, 4, 5, 6 };
	int ch, nfd = 4, readyfd = -1, keyfd;
	const char *readyarg = NULL;
	uid_t uid = 0;
	gid_t gid = 0;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "hr:")) != -1) {
		switch (ch) {
		case 'h':
			(void)fd_write_all(1, USAGE, sizeof(USAGE) - 1);
			return 0;
		case 'r':
			readyarg = optarg;
			break;
		default:
			diex(EXIT_PERM, "%s", USAGE);
		}
	}
	if (optind != argc)
		diex(EXIT_PERM, "%s", USAGE);
	signals_default();
	fd_std();
	if (readyarg != NULL)
		readyfd = ready_fd(readyarg);
	single_user_account();
	/* find both accounts before forking, so a missing one stops us whole */
	if (!priv_single_user()) {
		if (priv_lookup(USER_QUEUE, &uid, &gid) == -1)
			diex(EXIT_TEMP, "no account %s: create the qpost "
			    "accounts first", USER_QUEUE);
		if (priv_lookup(USER_REMOTE, &uid, &gid) == -1)
			diex(EXIT_TEMP, "no account %s: create the qpost "
			    "accounts first", USER_REMOTE);
	}
	sts_folder(!priv_single_user(), uid, gid);
	if (chdir("/") == -1)
		die(EXIT_TEMP, "unable to chdir to /");
	/* for sched, lspawn, rspawn and all they start (lib/batch.c) */
	batch_policy();
	if (pipe(to_l) == -1 || pipe(from_l) == -1 || pipe(to_r) == -1 ||
	    pipe(from_r) == -1)
		die(EXIT_TEMP, "unable to create the pipes");

	/* lspawn stays root: it forks local under each recipient's uid */
	(void)spawn(PROG_LSPAWN, NULL, to_l[0], from_l[1]);
	(void)spawn(PROG_RSPAWN, USER_REMOTE, to_r[0], from_r[1]);

	src[0] = to_l[1];
	src[1] = from_l[0];
	src[2] = to_r[1];
	src[3] = from_r[0];
	if (readyfd != -1) {
		src[nfd] = readyfd;
		dst[nfd++] = FD_READY;
		if (setenv("QPOST_READYFD", FD_READY_S, 1) == -1)
			die(EXIT_TEMP, "unable to set QPOST_READYFD");
	}
	(void)unsetenv("QPOST_SRSKEYFD");
	if ((keyfd = srs_key_fd()) != -1) {
		src[nfd] = keyfd;
		dst[nfd++] = FD_SRSKEY;
	}
	fd_place(src, dst, nfd, FD_SRSKEY + 1);
	/* whatever else the supervisor left on the two */
	if (readyfd == -1)
		(void)close(FD_READY);
	if (keyfd == -1)
		(void)close(FD_SRSKEY);
	priv_drop(USER_QUEUE);
	exec_prog(PROG_SCHED);
}
