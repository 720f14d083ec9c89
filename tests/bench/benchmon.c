/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * benchmon - run one load of the side-by-side benchmark (bench.sh) and
 * measure what the MTA under test did with it.
 *
 *	benchmon -g CGROUP [-d NEWDIR -n EXPECT] [-P PAR -N COUNT -I FILE]
 *	    [-j] [-u USER] [-i MS] [-T SECONDS] -- command [arg ...]
 *
 * Runs the command once (the load generator, smtp-source), or with -P
 * COUNT times, PAR at a time, each with FILE on stdin (local injection:
 * qinject or Postfix's sendmail).  With -j the commands join CGROUP
 * before exec (an injector is the MTA's own work, a load generator is
 * not).  "%n" in an argument becomes the command's number, 1 to COUNT.
 * With -u the commands run as USER (its uid and gid, no other groups):
 * set here rather than by runuser, whose PAM session would be counted
 * as the MTA's work.
 * While they run, and until NEWDIR holds EXPECT files, it:
 *
 *   - counts the files appearing in NEWDIR (inotify: IN_CREATE for a
 *     link(2) into new/, Postfix's way, IN_MOVED_TO for a rename(2),
 *     qpost's), and rescans the folder on a queue overflow;
 *   - samples the PSS of every process in CGROUP (cgroup v2
 *     cgroup.procs, /proc/PID/smaps_rollup) every MS milliseconds
 *     (default 15) and keeps the largest sum: a fork-per-message design
 *     shows its short-lived processes only to frequent samples;
 *   - reads CGROUP's cpu.stat usage_usec before the load and once the
 *     tree has settled after the last delivery (no more than 2 ms of
 *     CPU in 200 ms, or 5 s): the CPU of every process of the MTA,
 *     exited ones included.
 *
 * Prints one line of key=value words on stdout:
 *	accept_s=  the load's wall time: until its last command exited
 *	    (smtp-source exits after the last 250 and QUIT)
 *	e2e_s=     until NEWDIR held EXPECT files (-1 on timeout)
 *	cpu_s=     CPU seconds of the cgroup over the run
 *	pss_kb=    peak summed PSS; procs= the most processes in a sample
 *	samples=   PSS samples taken; files= files counted in NEWDIR
 *	fails=     commands that exited non-zero
 * Exit 0 when every command succeeded and EXPECT files arrived, 1 else.
 */
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char	*cgroup, *newdir, *input;
static long		 expect = -1, par = 0, count = 1, interval_ms = 15;
static long		 timeout_s = 600;
static int		 join_cg;
static struct passwd	*as_user;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* cg_usage - the cgroup's usage_usec, or -1. */
static long long
cg_usage(void)
{
	char path[4096], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cpu.stat", cgroup);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "usage_usec %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* pid_pss - the PSS (kB) of one process from smaps_rollup, 0 if gone. */
static long
pid_pss(const char *pid)
{
	char path[128], buf[4096];
	ssize_t n;
	char *p;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/smaps_rollup", pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((p = strstr(buf, "\nPss:")) == NULL)
		return 0;
	return strtol(p + 5, NULL, 10);
}

/* cg_pss - summed PSS of the cgroup's processes now; *nprocs set. */
static long
cg_pss(int *nprocs)
{
	char path[4096], line[64];
	long sum = 0;
	FILE *f;

	*nprocs = 0;
	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		sum += pid_pss(line);
		(*nprocs)++;
	}
	fclose(f);
	return sum;
}

/* count_dir - regular entries of newdir (a rescan). */
static long
count_dir(void)
{
	struct dirent *e;
	long n = 0;
	DIR *d;

	if ((d = opendir(newdir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * subst - arg with each "%n" replaced by seq (a recipient of its own
 * for each injected message); arg itself when it has none.  In the
 * child: its memory goes with the exec.
 */
static char *
subst(char *arg, long seq)
{
	char num[32], *out, *o;
	const char *p;
	size_t n = 0;

	if (strstr(arg, "%n") == NULL)
		return arg;
	snprintf(num, sizeof(num), "%ld", seq);
	for (p = arg; (p = strstr(p, "%n")) != NULL; p += 2)
		n++;
	if ((out = malloc(strlen(arg) + n * strlen(num) + 1)) == NULL)
		_exit(111);
	for (o = out, p = arg; *p != '\0'; )
		if (p[0] == '%' && p[1] == 'n') {
			o = stpcpy(o, num);
			p += 2;
		} else
			*o++ = *p++;
	*o = '\0';
	return out;
}

/* start - fork command number seq (stdin from input if set). */
static pid_t
start(char **argv, long seq)
{
	char path[4096];
	pid_t pid;
	int fd, i;

	if ((pid = fork()) != 0)
		return pid;
	for (i = 0; argv[i] != NULL; i++)
		argv[i] = subst(argv[i], seq);
	if (join_cg) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
		if ((fd = open(path, O_WRONLY)) == -1 ||
		    dprintf(fd, "%d\n", (int)getpid()) < 0) {
			perror("benchmon: join cgroup");
			_exit(111);
		}
		close(fd);
	}
	if (as_user != NULL && (setgroups(0, NULL) == -1 ||
	    setgid(as_user->pw_gid) == -1 || setuid(as_user->pw_uid) == -1)) {
		perror("benchmon: -u");
		_exit(111);
	}
	if (input != NULL) {
		if ((fd = open(input, O_RDONLY)) == -1) {
			perror(input);
			_exit(111);
		}
		dup2(fd, 0);
		close(fd);
	}
	execvp(argv[0], argv);
	perror(argv[0]);
	_exit(111);
}

/* drain_inotify - count new files from the pending events; on an
 * overflow rescan. */
static void
drain_inotify(int ifd, long *files)
{
	char buf[65536] __attribute__((aligned(8)));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;

	while ((n = read(ifd, buf, sizeof(buf))) > 0)
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				*files = count_dir();
			else if (ev->len > 0 && ev->name[0] != '.')
				(*files)++;
		}
}

static void
usage(void)
{
	fprintf(stderr, "usage: benchmon -g CGROUP [-d NEWDIR -n EXPECT] "
	    "[-P PAR -N COUNT -I FILE] [-j] [-u USER] [-i MS] [-T S] -- cmd ...\n");
	exit(100);
}

int
main(int argc, char **argv)
{
	double t0, t_accept = -1, t_e2e = -1, deadline, last_pss;
	long long cpu0, cpu1, prev, cur;
	long files = 0, pss, pss_max = 0, samples = 0, started = 0;
	long running = 0, fails = 0;
	int c, ifd = -1, np, np_max = 0, st, settle;
	pid_t pid;

	while ((c = getopt(argc, argv, "g:d:n:P:N:I:ju:i:T:")) != -1)
		switch (c) {
		case 'g': cgroup = optarg; break;
		case 'd': newdir = optarg; break;
		case 'n': expect = atol(optarg); break;
		case 'P': par = atol(optarg); break;
		case 'N': count = atol(optarg); break;
		case 'I': input = optarg; break;
		case 'j': join_cg = 1; break;
		case 'u':
			if ((as_user = getpwnam(optarg)) == NULL) {
				fprintf(stderr, "benchmon: no user %s\n",
				    optarg);
				return 1;
			}
			break;
		case 'i': interval_ms = atol(optarg); break;
		case 'T': timeout_s = atol(optarg); break;
		default: usage();
		}
	argv += optind;
	if (cgroup == NULL || argv[0] == NULL || interval_ms < 1 ||
	    (newdir != NULL) != (expect >= 0))
		usage();
	if (par < 1)
		par = 1;
	if (newdir != NULL) {
		if ((ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
		    inotify_add_watch(ifd, newdir,
		    IN_CREATE | IN_MOVED_TO) == -1) {
			perror("benchmon: inotify");
			return 1;
		}
		files = count_dir();
	}
	if ((cpu0 = cg_usage()) < 0) {
		fprintf(stderr, "benchmon: no %s/cpu.stat\n", cgroup);
		return 1;
	}
	t0 = now();
	deadline = t0 + (double)timeout_s;
	last_pss = 0;
	for (;;) {
		/* keep PAR commands running until COUNT have started */
		while (running < par && started < count) {
			if ((pid = start(argv, started + 1)) == -1) {
				perror("benchmon: fork");
				fails++;
				count = started;
				break;
			}
			started++;
			running++;
		}
		while (running > 0 && (pid = waitpid(-1, &st, WNOHANG)) > 0) {
			running--;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				fails++;
		}
		if (running == 0 && started >= count && t_accept < 0)
			t_accept = now() - t0;
		if (ifd != -1)
			drain_inotify(ifd, &files);
		if (newdir != NULL && t_e2e < 0 && files >= expect) {
			files = count_dir();	/* trust the folder */
			if (files >= expect)
				t_e2e = now() - t0;
		}
		if (now() - last_pss >= (double)interval_ms / 1000) {
			last_pss = now();
			pss = cg_pss(&np);
			samples++;
			if (pss > pss_max)
				pss_max = pss;
			if (np > np_max)
				np_max = np;
		}
		if (t_accept >= 0 && (newdir == NULL || t_e2e >= 0))
			break;
		/* a load that failed leaves no copies to wait for */
		if (t_accept >= 0 && fails > 0)
			break;
		if (now() > deadline)
			break;
		/* sleep a little: a child's exit, an event or the tick */
		{
			struct pollfd pfd = { ifd, POLLIN, 0 };
			int ms = running > 0 ? 2 : (int)interval_ms;

			if (ms > (int)interval_ms)
				ms = (int)interval_ms;
			poll(&pfd, ifd != -1 ? 1 : 0, ms);
		}
	}
	/* the tree settles: queue files removed, logs written */
	prev = cg_usage();
	for (settle = 0; settle < 25; settle++) {
		usleep(200000);
		cur = cg_usage();
		if (cur - prev < 2000)
			break;
		prev = cur;
	}
	cpu1 = cg_usage();
	/* reap what a timeout left */
	while (running > 0 && waitpid(-1, &st, 0) > 0)
		running--;
	if (newdir != NULL)
		files = count_dir();
	printf("accept_s=%.3f e2e_s=%.3f cpu_s=%.3f pss_kb=%ld procs=%d "
	    "samples=%ld files=%ld fails=%ld\n", t_accept, t_e2e,
	    (double)(cpu1 - cpu0) / 1e6, pss_max, np_max, samples, files,
	    fails);
	return fails == 0 && t_accept >= 0 &&
	    (newdir == NULL || t_e2e >= 0) ? 0 : 1;
}
