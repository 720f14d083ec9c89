/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * buf_test - tests of lib/buf.c: line reading with every outcome,
 * bounded memory for hostile line lengths, and writes that survive
 * short writes and EINTR (a child reads slowly while an interval timer
 * interrupts the writer), and a transport callback (TLS in smtpd) whose
 * "want read/write" answers are polled within the timeout.
 */
#include <sys/time.h>
#include <sys/wait.h>
#include <atf-c.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "sa.h"
#include "lsan_atf.h"

/* reader_fd - a pipe whose read end returns; a child writes n bytes. */
static int
reader_fd(const char *p, size_t n, pid_t *pidp)
{
	int fds[2];
	pid_t pid;

	ATF_REQUIRE_EQ(pipe(fds), 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(fds[0]);
		_exit(fd_write_all(fds[1], p, n) == 0 ? 0 : 1);
	}
	close(fds[1]);
	*pidp = pid;
	return fds[0];
}

static void
reap(pid_t pid)
{
	int st;

	ATF_REQUIRE_EQ(waitpid(pid, &st, 0), pid);
	ATF_CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "child status %#x", st);
}

struct lcase {
	const char	*in;
	size_t		 n;
	int		 delim;
	size_t		 max;
	/* expected results, in order, with the line each returns */
	struct {
		int		 r;
		const char	*line;
		size_t		 len;
	} out[6];
};

#define L(x)	x, sizeof(x) - 1

ATF_TC_WITHOUT_HEAD(getline_table);
ATF_TC_BODY(getline_table, tc)
{
	static const struct lcase t[] = {
		{ L(""), '\n', 100, { { BUF_EOF, L("") } } },
		{ L("\n"), '\n', 100, { { BUF_LINE, L("\n") },
		    { BUF_EOF, L("") } } },
		{ L("abc\ndef\n"), '\n', 100, { { BUF_LINE, L("abc\n") },
		    { BUF_LINE, L("def\n") }, { BUF_EOF, L("") } } },
		{ L("abc\ndef"), '\n', 100, { { BUF_LINE, L("abc\n") },
		    { BUF_PARTIAL, L("def") }, { BUF_EOF, L("") } } },
		{ L("a\0b\r\n\0\n"), '\n', 100, { { BUF_LINE, L("a\0b\r\n") },
		    { BUF_LINE, L("\0\n") }, { BUF_EOF, L("") } } },
		{ L("a\0bc\0"), '\0', 100, { { BUF_LINE, L("a\0") },
		    { BUF_LINE, L("bc\0") }, { BUF_EOF, L("") } } },
		/* max counts the delimiter */
		{ L("123456789\n"), '\n', 10, { { BUF_LINE, L("123456789\n") },
		    { BUF_EOF, L("") } } },
		{ L("1234567890\nok\n"), '\n', 10, { { BUF_TOOLONG, NULL, 0 },
		    { BUF_LINE, L("ok\n") }, { BUF_EOF, L("") } } },
		{ L("0123456789abcdefghijklmnopqrstuvwxyz\n\nok\n"), '\n', 10,
		    { { BUF_TOOLONG, NULL, 0 }, { BUF_LINE, L("\n") },
		    { BUF_LINE, L("ok\n") }, { BUF_EOF, L("") } } },
		{ L("x\n0123456789abcdefghijklmnop\n0123456789abcdef\ny"), '\n',
		    10, { { BUF_LINE, L("x\n") }, { BUF_TOOLONG, NULL, 0 },
		    { BUF_TOOLONG, NULL, 0 }, { BUF_PARTIAL, L("y") },
		    { BUF_EOF, L("") } } },
		/* too long and no end: partial, never a line */
		{ L("0123456789abcdefghijklmnopqrstuvwxyz"), '\n', 10,
		    { { BUF_PARTIAL, NULL, 0 }, { BUF_EOF, L("") } } },
		{ L("1234567890"), '\n', 10, { { BUF_PARTIAL, L("1234567890") },
		    { BUF_EOF, L("") } } },
	};
	char store[7];	/* smaller than most lines: many refills */
	struct sa line = SA_INIT;
	struct buf b;
	size_t i, k;
	pid_t pid;
	int fd, r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fd = reader_fd(t[i].in, t[i].n, &pid);
		buf_init(&b, fd, store, sizeof(store));
		for (k = 0; k < 6; k++) {
			r = buf_getline(&b, &line, t[i].delim, t[i].max);
			ATF_CHECK_EQ_MSG(r, t[i].out[k].r, "case %zu call %zu: "
			    "got %d want %d", i, k, r, t[i].out[k].r);
			if (r != t[i].out[k].r)
				break;
			if (t[i].out[k].line != NULL)
				ATF_CHECK_MSG(line.len == t[i].out[k].len &&
				    (line.len == 0 || memcmp(line.s,
				    t[i].out[k].line, line.len) == 0),
				    "case %zu call %zu: "
				    "line %.*s", i, k, (int)line.len, line.s);
			ATF_CHECK_MSG(line.len <= t[i].max, "case %zu", i);
			if (r == BUF_EOF)
				break;
		}
		close(fd);
		reap(pid);
	}
	sa_free(&line);
}

/* A 10 MB line costs no more memory than max. */
ATF_TC(getline_bounded);
ATF_TC_HEAD(getline_bounded, tc)
{
	atf_tc_set_md_var(tc, "descr", "a 10 MB line is skipped in bounded "
	    "memory and the next line is read whole");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(getline_bounded, tc)
{
	const size_t big = 10 * 1024 * 1024, max = 1000;
	char store[4096], *in;
	struct sa line = SA_INIT;
	struct buf b;
	pid_t pid;
	int fd;

	ATF_REQUIRE((in = malloc(big + 64)) != NULL);
	memset(in, 'A', big);
	memcpy(in + big, "\nnext line\n", 11);
	fd = reader_fd(in, big + 11, &pid);
	buf_init(&b, fd, store, sizeof(store));
	ATF_CHECK_EQ(buf_getline(&b, &line, '\n', max), BUF_TOOLONG);
	ATF_CHECK_MSG(line.a <= 2 * max + 64, "line grew to %zu bytes",
	    line.a);
	ATF_CHECK_EQ(buf_getline(&b, &line, '\n', max), BUF_LINE);
	ATF_CHECK(line.len == 10 && memcmp(line.s, "next line\n", 10) == 0);
	ATF_CHECK_EQ(buf_getline(&b, &line, '\n', max), BUF_EOF);
	close(fd);
	reap(pid);

	/* the same without a final delimiter */
	fd = reader_fd(in, big, &pid);
	buf_init(&b, fd, store, sizeof(store));
	ATF_CHECK_EQ(buf_getline(&b, &line, '\n', max), BUF_PARTIAL);
	ATF_CHECK_MSG(line.a <= 2 * max + 64, "line grew to %zu bytes",
	    line.a);
	close(fd);
	reap(pid);
	free(in);
	sa_free(&line);
}

ATF_TC_WITHOUT_HEAD(getline_timeout);
ATF_TC_BODY(getline_timeout, tc)
{
	char store[64];
	struct sa line = SA_INIT;
	struct buf b;
	int fds[2];

	ATF_REQUIRE_EQ(pipe(fds), 0);
	ATF_REQUIRE_EQ(fd_write_all(fds[1], "half", 4), 0);
	buf_init(&b, fds[0], store, sizeof(store));
	b.timeout = 50;
	errno = 0;
	ATF_CHECK_EQ(buf_getline(&b, &line, '\n', 100), -1);
	ATF_CHECK_EQ(errno, ETIMEDOUT);
	/*
	 * Not checked: reading on after the timeout.  The bytes already
	 * moved into line are dropped by the next call (it resets line),
	 * so a caller must treat ETIMEDOUT as the end of the stream.
	 */
	close(fds[0]);
	close(fds[1]);
	sa_free(&line);
}

ATF_TC_WITHOUT_HEAD(read_helpers);
ATF_TC_BODY(read_helpers, tc)
{
	char store[4], out[16];
	struct buf b;
	pid_t pid;
	int fd;

	fd = reader_fd("0123456789", 10, &pid);
	buf_init(&b, fd, store, sizeof(store));
	ATF_CHECK_EQ(buf_read(&b, out, 2), 2);
	ATF_CHECK(memcmp(out, "01", 2) == 0);
	ATF_CHECK_EQ(buf_read(&b, out, 16), 2);	/* what is buffered */
	ATF_CHECK(memcmp(out, "23", 2) == 0);
	ATF_CHECK_EQ(fd_read_all(fd, out, 6), 0);
	ATF_CHECK(memcmp(out, "456789", 6) == 0);
	ATF_CHECK_EQ(buf_read(&b, out, 16), 0);
	close(fd);
	reap(pid);

	fd = reader_fd("abc", 3, &pid);
	errno = 0;
	ATF_CHECK_EQ(fd_read_all(fd, out, 4), -1);
	ATF_CHECK_EQ(errno, EPIPE);
	close(fd);
	reap(pid);
}

static volatile sig_atomic_t ticks;

static void
on_alarm(int sig)
{
	(void)sig;
	ticks++;
}

/* slow_reader - child: read n bytes in small bites, slowly, check them. */
static int
slow_reader(int fd, size_t n)
{
	char c[333];
	size_t got = 0, i;
	ssize_t r;
	int bites = 0;

	while ((r = fd_read(fd, c, sizeof(c))) > 0) {
		for (i = 0; i < (size_t)r; i++)
			if ((unsigned char)c[i] != (unsigned char)
			    ((got + i) % 253))
				return 2;
		got += (size_t)r;
		if (++bites % 64 == 0)
			usleep(1000);
	}
	return r == 0 && got == n ? 0 : 1;
}

/*
 * interrupted_writer - send n patterned bytes through a pipe to a slow
 * child while SIGALRM (no SA_RESTART) fires every 200 us, so write(2)
 * returns short counts and EINTR; use_buf picks buf_put over
 * fd_write_all.
 */
static void
interrupted_writer(int use_buf)
{
	const size_t n = 8 * 1024 * 1024;
	struct itimerval it;
	struct sigaction sa;
	char *p, store[3000];
	struct buf b;
	size_t i;
	pid_t pid;
	int fds[2], st;

	ATF_REQUIRE((p = malloc(n)) != NULL);
	for (i = 0; i < n; i++)
		p[i] = (char)(i % 253);
	ATF_REQUIRE_EQ(pipe(fds), 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(fds[1]);
		_exit(slow_reader(fds[0], n));
	}
	close(fds[0]);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: EINTR and short */
	ATF_REQUIRE_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	memset(&it, 0, sizeof(it));
	it.it_interval.tv_usec = 200;
	it.it_value.tv_usec = 200;
	ATF_REQUIRE_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);

	if (use_buf) {
		buf_init(&b, fds[1], store, sizeof(store));
		b.timeout = 10000;	/* the poll path, with EINTR too */
		/* odd-sized puts, so bytes straddle buffer flushes */
		for (i = 0; i < n; i += 1777)
			ATF_REQUIRE_EQ(buf_put(&b, p + i,
			    n - i < 1777 ? n - i : 1777), 0);
		ATF_REQUIRE_EQ(buf_flush(&b), 0);
		ATF_CHECK_EQ(b.len, 0);
	} else
		ATF_REQUIRE_EQ(fd_write_all(fds[1], p, n), 0);

	memset(&it, 0, sizeof(it));
	ATF_REQUIRE_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
	close(fds[1]);
	ATF_REQUIRE_EQ(waitpid(pid, &st, 0), pid);
	ATF_CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "reader saw wrong bytes: status %#x", st);
	ATF_CHECK_MSG(ticks > 10, "only %d interruptions", (int)ticks);
	free(p);
}

ATF_TC(write_all_short);
ATF_TC_HEAD(write_all_short, tc)
{
	atf_tc_set_md_var(tc, "descr", "fd_write_all loops on short writes "
	    "and EINTR");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(write_all_short, tc)
{
	interrupted_writer(0);
}

ATF_TC(buf_put_short);
ATF_TC_HEAD(buf_put_short, tc)
{
	atf_tc_set_md_var(tc, "descr", "buf_put and buf_flush loop on short "
	    "writes and EINTR");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(buf_put_short, tc)
{
	interrupted_writer(1);
}

ATF_TC_WITHOUT_HEAD(write_errors);
ATF_TC_BODY(write_errors, tc)
{
	char store[8];
	struct buf b;
	int fds[2];

	ATF_REQUIRE(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	ATF_REQUIRE_EQ(pipe(fds), 0);
	close(fds[0]);
	errno = 0;
	ATF_CHECK_EQ(fd_write_all(fds[1], "x", 1), -1);
	ATF_CHECK_EQ(errno, EPIPE);
	buf_init(&b, fds[1], store, sizeof(store));
	ATF_CHECK_EQ(buf_put(&b, "1234", 4), 0);	/* only buffered */
	ATF_CHECK_EQ(buf_put(&b, "56789", 5), -1);	/* needs a flush */
	ATF_CHECK_EQ(errno, EPIPE);
	close(fds[1]);
	/* a nothing-to-do flush and a zero write succeed */
	buf_init(&b, -1, store, sizeof(store));
	ATF_CHECK_EQ(buf_flush(&b), 0);
	ATF_CHECK_EQ(fd_write_all(-1, "", 0), 0);
	errno = 0;
	ATF_CHECK_EQ(fd_write_all(-1, "x", 1), -1);
	ATF_CHECK_EQ(errno, EBADF);
}

ATF_TC_WITHOUT_HEAD(room);
ATF_TC_BODY(room, tc)
{
	char store[8], got[16];
	struct buf b;
	char *p;
	size_t n;
	int fds[2];

	ATF_REQUIRE(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	ATF_REQUIRE_EQ(pipe(fds), 0);
	buf_init(&b, fds[1], store, sizeof(store));
	ATF_REQUIRE_EQ(buf_put(&b, "abc", 3), 0);
	/* the free end, with nothing written yet */
	ATF_REQUIRE((p = buf_room(&b, &n)) != NULL);
	ATF_CHECK(p == store + 3);
	ATF_CHECK_EQ(n, 5);
	memcpy(p, "defgh", 5);
	b.len += 5;
	/* full: flushed first, then the whole buffer is free */
	ATF_REQUIRE((p = buf_room(&b, &n)) != NULL);
	ATF_CHECK(p == store);
	ATF_CHECK_EQ(n, sizeof(store));
	memcpy(p, "ij", 2);
	b.len += 2;
	ATF_REQUIRE_EQ(buf_flush(&b), 0);
	ATF_REQUIRE_EQ(read(fds[0], got, sizeof(got)), 10);
	ATF_CHECK(memcmp(got, "abcdefghij", 10) == 0);
	/* a flush that fails: NULL */
	ATF_REQUIRE_EQ(buf_put(&b, "12345678", 8), 0);
	close(fds[0]);
	errno = 0;
	ATF_CHECK(buf_room(&b, &n) == NULL);
	ATF_CHECK_EQ(errno, EPIPE);
	close(fds[1]);
}

/*
 * A fake transport: each call first answers "want read" (or "want
 * write") once, then moves bytes with read(2)/write(2), upper-casing on
 * the way in so the test sees it was used.
 */
struct fake {
	int	calls;
	int	wants;
};

static ssize_t
fake_io(void *ctx, int fd, void *p, size_t n, int writing)
{
	struct fake *f = ctx;
	ssize_t r;
	size_t i;

	f->calls++;
	if (f->calls % 2 == 1) {
		f->wants++;
		return writing ? BUF_WANT_WRITE : BUF_WANT_READ;
	}
	if (writing)
		return write(fd, p, n);
	if ((r = read(fd, p, n)) > 0)
		for (i = 0; i < (size_t)r; i++)
			((char *)p)[i] = (char)((((char *)p)[i] >= 'a' &&
			    ((char *)p)[i] <= 'z') ? ((char *)p)[i] - 32 :
			    ((char *)p)[i]);
	return r;
}

ATF_TC_WITHOUT_HEAD(transport);
ATF_TC_BODY(transport, tc)
{
	struct fake fr = { 0, 0 }, fw = { 0, 0 };
	char storage[64], out[64];
	struct buf b;
	struct sa line = SA_INIT;
	pid_t pid;
	int fds[2], fd;

	fd = reader_fd("hello\nworld\n", 12, &pid);
	buf_init(&b, fd, storage, sizeof(storage));
	b.timeout = 5000;
	buf_transport(&b, fake_io, &fr);
	ATF_REQUIRE_EQ(buf_getline(&b, &line, '\n', 100), BUF_LINE);
	ATF_CHECK_EQ(line.len, 6);
	ATF_CHECK(memcmp(line.s, "HELLO\n", 6) == 0);
	ATF_CHECK(fr.wants >= 1);
	reap(pid);
	close(fd);

	/* writes go through it too, after a poll for POLLOUT */
	ATF_REQUIRE_EQ(pipe(fds), 0);
	buf_init(&b, fds[1], out, sizeof(out));
	b.timeout = 5000;
	buf_transport(&b, fake_io, &fw);
	ATF_REQUIRE_EQ(buf_puts(&b, "abc"), 0);
	ATF_REQUIRE_EQ(buf_flush(&b), 0);
	ATF_CHECK_EQ(fw.wants, 1);
	ATF_REQUIRE_EQ(read(fds[0], storage, sizeof(storage)), 3);
	ATF_CHECK(memcmp(storage, "abc", 3) == 0);
	close(fds[1]);

	/* a "want read" on an fd that stays silent times out */
	ATF_REQUIRE_EQ(pipe(fds), 0);
	buf_init(&b, fds[0], storage, sizeof(storage));
	b.timeout = 200;
	fr.calls = 0;
	buf_transport(&b, fake_io, &fr);
	ATF_CHECK_EQ(buf_fill(&b), -1);
	ATF_CHECK_EQ(errno, ETIMEDOUT);
	close(fds[0]);
	close(fds[1]);
	sa_free(&line);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, getline_table);
	ATF_TP_ADD_TC(tp, getline_bounded);
	ATF_TP_ADD_TC(tp, getline_timeout);
	ATF_TP_ADD_TC(tp, read_helpers);
	ATF_TP_ADD_TC(tp, write_all_short);
	ATF_TP_ADD_TC(tp, buf_put_short);
	ATF_TP_ADD_TC(tp, write_errors);
	ATF_TP_ADD_TC(tp, room);
	ATF_TP_ADD_TC(tp, transport);
	return atf_no_error();
}
