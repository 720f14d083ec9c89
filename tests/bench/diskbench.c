/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * diskbench - the disk's limit for what a durable MTA does per message:
 * create a file, write 4 KiB, fsync it, rename it into another folder,
 * fsync that folder (a Maildir delivery, or a queue file made durable).
 *
 *	diskbench DIR WRITERS SECONDS
 *
 * Forks WRITERS processes that repeat that in DIR/w<N>/tmp -> new for
 * SECONDS, then prints "ops_s=RATE ops=COUNT" (all writers together).
 * The files are left where they are, for the caller to remove once
 * nothing is measured any more: on ext4 without a journal every file
 * created in a block group for the next minutes passes over each inode
 * freed there (recently_deleted() in fs/ext4/ialloc.c), so removing
 * tens of thousands here slowed the creations of whatever ran next,
 * and by how much depended on where each MTA's folders happened to
 * lie.  One writer shows the
 * latency of one fsync chain; ten show how well the filesystem's
 * journal commits many at once, which is what an MTA at 10 sessions
 * can reach at best.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	perror(what);
	_exit(1);
}

/* writer - loop until the end time; report the count on fd out. */
static void
writer(const char *dir, int n, double end, int out)
{
	char tmpd[4096], newd[4096], a[4200], b[4200], data[4096];
	long ops = 0;
	int fd, dfd;

	memset(data, 'x', sizeof(data));
	snprintf(tmpd, sizeof(tmpd), "%s/w%d/tmp", dir, n);
	snprintf(newd, sizeof(newd), "%s/w%d/new", dir, n);
	snprintf(a, sizeof(a), "%s/w%d", dir, n);
	if (mkdir(a, 0700) == -1 || mkdir(tmpd, 0700) == -1 ||
	    mkdir(newd, 0700) == -1)
		die(a);
	if ((dfd = open(newd, O_RDONLY | O_DIRECTORY)) == -1)
		die(newd);
	while (now() < end) {
		snprintf(a, sizeof(a), "%s/%ld", tmpd, ops);
		snprintf(b, sizeof(b), "%s/%ld", newd, ops);
		if ((fd = open(a, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
			die(a);
		if (write(fd, data, sizeof(data)) != (ssize_t)sizeof(data) ||
		    fsync(fd) == -1 || close(fd) == -1)
			die("write");
		if (rename(a, b) == -1 || fsync(dfd) == -1)
			die("rename");
		ops++;
	}
	if (write(out, &ops, sizeof(ops)) != (ssize_t)sizeof(ops))
		die("pipe");
}

int
main(int argc, char **argv)
{
	double t0, secs;
	long ops, total = 0;
	int i, n, p[2], st, bad = 0;

	if (argc != 4 || (n = atoi(argv[2])) < 1 || n > 1000 ||
	    (secs = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: diskbench DIR WRITERS SECONDS\n");
		return 100;
	}
	if (pipe(p) == -1)
		die("pipe");
	t0 = now();
	for (i = 0; i < n; i++)
		switch (fork()) {
		case -1:
			die("fork");
			break;
		case 0:
			close(p[0]);
			writer(argv[1], i, t0 + secs, p[1]);
			_exit(0);
		}
	close(p[1]);
	for (i = 0; i < n; i++) {
		if (read(p[0], &ops, sizeof(ops)) != (ssize_t)sizeof(ops))
			bad = 1;
		else
			total += ops;
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	if (bad) {
		fprintf(stderr, "diskbench: a writer failed\n");
		return 1;
	}
	printf("ops_s=%.1f ops=%ld\n", (double)total / secs, total);
	return 0;
}
