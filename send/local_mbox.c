/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_mbox - append the message to an mbox file, as Debian policy
 * 11.6 asks of every program that touches a mailbox: an fcntl() lock
 * first, then the dotlock path.lock (liblockfile, which also knows the
 * setgid helper for /var/mail), both within control/timeoutmboxlock
 * seconds.  The append is a "From sender date" line, the Return-Path
 * and Delivered-To lines and the message in mboxrd quoting, and a blank
 * line; then fsync.  When anything fails the file is cut back to the
 * size it had, so a reader never sees half a message.
 *
 * The file is opened without following a symbolic link and must be a
 * regular file with one link: a link planted where the mailbox should
 * be would otherwise make the user's mail land in someone else's file.
 *
 * An mbox has no names to find a copy by, as a Maildir has.  So a
 * delivery sched says may repeat one whose result a crash lost (local
 * -a) compares the last messages of the mbox with what it would
 * append: if one of them is this one, byte for byte after its From
 * line (whose date differs), the copy is there.  No two message files
 * are alike (sched's Received: line names the queue id, a forward keeps
 * its original's under its own Delivered-To:, a bounce has a random
 * MIME boundary), so no other delivery writes the same bytes.  The body
 * is quoted, so each line that starts "From " starts a message; only
 * one of the append's length is compared.  Other mail may have come
 * between the crash and the delivery made again, so it looks among
 * the last MBOX_LOOK_MESSAGES messages, within the last
 * MBOX_LOOK_BYTES: a restart flags every message of the queue, and
 * each such delivery must not read a whole mailbox of gigabytes.
 *
 * A copy that a crash cut short (local killed in the middle of its
 * writes, or the machine stopped before the fsync) is not one: the
 * mbox ends with part of a message.  With -a, if the last message of
 * the mbox is the start of this very append, but for its From line,
 * that part is cut away before the append, so the mail reader sees one
 * whole copy.  The part must hold at least this delivery's Return-Path
 * and Delivered-To lines; one cut within them is left.  A part with
 * other mail after it is left too: only the end can be cut.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lockfile.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "ctl_knob.h"
#include "local.h"
#include "log.h"
#include "mbox_quote.h"

#define LOCK_POLL_MS	100	/* between tries at a held dotlock */
/* how far back -a looks for a copy made before: messages, and bytes */
#define MBOX_LOOK_MESSAGES	100
#define MBOX_LOOK_BYTES		(64LL * 1024 * 1024)
#define OPEN_TRIES	3	/* the mbox replaced while we waited */

/* one delivery's state, so the helpers stay small */
struct mbox {
	const struct local_msg	*m;
	const char		*path;
	char			 lock[PATH_MAX];
	int			 fd;
	int			 has_dotlock;
	int			 is_unfit;	/* not a regular file, or linked */
	int			 is_new;	/* we created the file */
	struct timespec		 deadline;
	long long		 limit;		/* mailboxsizelimit; 0: none */
	long long		 timeout;	/* timeoutmboxlock */
	off_t			 old;		/* the size before the append */
	off_t			 add;		/* the bytes of the append */
	off_t			 cut;		/* -a: a part of it cut away */
	char			 from[512];	/* the "From " separator line */
	int			 is_found;	/* -a: the append was there */
};

/*
 * a comparison of encode's output with the mbox's bytes from off on, up
 * to end: the output past end is taken as it comes, unread
 */
struct same {
	int	fd;
	off_t	off;
	off_t	end;
};

/* remaining_ms - milliseconds left before the deadline, 0 if none. */
static long long
remaining_ms(const struct mbox *b)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(b->deadline.tv_sec - now.tv_sec) * 1000 +
	    (b->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

static void
on_alarm(int sig)
{
	(void)sig;	/* only to interrupt F_SETLKW */
}

/*
 * term_window - let SIGTERM in (1) or block it again (0) while we only
 * wait for a lock: nothing is written and no dotlock is ours then, so
 * local_on_term may end local at once, and the fcntl lock goes with it.
 */
static void
term_window(int let_in, sigset_t *saved)
{
	sigset_t term;

	if (let_in) {
		sigemptyset(&term);
		sigaddset(&term, SIGTERM);
		sigprocmask(SIG_UNBLOCK, &term, saved);
	} else
		sigprocmask(SIG_SETMASK, saved, NULL);
}

/*
 * fcntl_lock - a write lock on the whole file, waiting until the
 * deadline.  A repeating interval timer interrupts F_SETLKW; repeating,
 * so a tick that fires just before the call cannot leave it waiting
 * for ever.  0, or -1 with errno (ETIMEDOUT at the deadline).
 */
static int
fcntl_lock(struct mbox *b)
{
	struct itimerval tick = { { 0, 200000 }, { 0, 200000 } }, off;
	struct sigaction sa, old;
	struct flock fl;
	sigset_t saved;
	int r, e;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(b->fd, F_SETLK, &fl) == 0)
		return 0;
	if (errno != EACCES && errno != EAGAIN)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: F_SETLKW must return */
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &tick, NULL);
	term_window(1, &saved);
	while ((r = fcntl(b->fd, F_SETLKW, &fl)) == -1 && errno == EINTR &&
	    remaining_ms(b) > 0)
		;
	e = r == -1 && errno == EINTR ? ETIMEDOUT : errno;
	term_window(0, &saved);
	memset(&off, 0, sizeof(off));
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	errno = e;
	return r;
}

/*
 * dot_lock - create path.lock with our pid in it (liblockfile removes
 * a lock whose pid is gone, or one over 5 minutes old without a pid),
 * trying again until the deadline.  For a mailbox in a directory only
 * group mail may write (/var/mail), liblockfile calls the setgid helper
 * dotlockfile(1), which allows it for the user's own existing mailbox.
 * 0, or -1 with errno (ETIMEDOUT).
 */
static int
dot_lock(struct mbox *b)
{
	struct timespec pause = { 0, LOCK_POLL_MS * 1000000L };
	sigset_t saved;
	int r;

	if ((size_t)snprintf(b->lock, sizeof(b->lock), "%s.lock", b->path) >=
	    sizeof(b->lock))
		return (errno = ENAMETOOLONG, -1);
	for (;;) {
		errno = 0;
		r = lockfile_create(b->lock, 0, L_PID);
		if (r == L_SUCCESS) {
			b->has_dotlock = 1;
			return 0;
		}
		if (r != L_MAXTRYS)
			return (errno = errno != 0 ? errno : EPERM, -1);
		if (remaining_ms(b) == 0)
			return (errno = ETIMEDOUT, -1);
		term_window(1, &saved);
		nanosleep(&pause, NULL);
		term_window(0, &saved);
	}
}

/* unlock - drop the dotlock, then the fcntl lock (by closing). */
static void
unlock(struct mbox *b)
{
	if (b->has_dotlock && lockfile_remove(b->lock) == -1)
		log_warn("id=%s warning: unable to remove dotlock %s",
		    b->m->id, b->lock);
	b->has_dotlock = 0;
	if (b->fd != -1)
		(void)close(b->fd);
	b->fd = -1;
}

/*
 * open_mbox - open (or create, 0600) the mbox for appending; a regular
 * file with one link.  0, or -1 with errno (ELOOP for a symbolic link)
 * or is_unfit set.
 */
static int
open_mbox(struct mbox *b)
{
	/* with -a, made_before reads the end back */
	const int flags = (b->m->is_again ? O_RDWR : O_WRONLY) | O_APPEND |
	    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	struct stat st;
	int i;

	/* twice: another delivery may create it between our two opens */
	b->is_new = 0;
	for (i = 0; i < 2; i++) {
		b->fd = open(b->path, flags);
		if (b->fd != -1 || errno != ENOENT)
			break;
		b->fd = open(b->path, flags | O_CREAT | O_EXCL, 0600);
		if (b->fd != -1) {
			b->is_new = 1;
			break;
		}
		if (errno != EEXIST)
			break;
	}
	if (b->fd == -1)
		return -1;
	if (fstat(b->fd, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		b->is_unfit = 1;
		return (errno = EPERM, -1);
	}
	return 0;
}

/*
 * still_there - whether the path still names the file we locked: a
 * mail reader may have renamed or removed the mbox while we waited.
 */
static int
still_there(const struct mbox *b)
{
	struct stat a, f;

	return lstat(b->path, &a) == 0 && fstat(b->fd, &f) == 0 &&
	    a.st_dev == f.st_dev && a.st_ino == f.st_ino && f.st_nlink == 1;
}

/*
 * lock_mbox - open and lock the mbox, both locks, within the timeout.
 * Returns 0, or -1 with errno and the text set.
 */
static int
lock_mbox(struct mbox *b, char *text, size_t size)
{
	const char *what = "open";
	int i, e = 0;

	clock_gettime(CLOCK_MONOTONIC, &b->deadline);
	b->deadline.tv_sec += b->timeout;
	for (i = 0; i < OPEN_TRIES; i++) {
		what = "open";
		if (open_mbox(b) == 0) {
			what = "lock";
			if (fcntl_lock(b) == 0) {
				what = "dotlock";
				if (dot_lock(b) == 0) {
					if (still_there(b))
						return 0;
					errno = ESTALE;
				}
			}
		}
		e = errno;
		unlock(b);
		errno = e;
		if (e != ESTALE)
			break;
	}
	if (e == ELOOP)
		(void)snprintf(text, size, "4.2.0 <%s>: mbox %s is a symbolic "
		    "link: refused", b->m->recipient, b->path);
	else if (b->is_unfit)
		(void)snprintf(text, size, "4.2.0 <%s>: mbox %s is not a "
		    "regular file with one link: refused", b->m->recipient,
		    b->path);
	else if (e == ETIMEDOUT)
		(void)snprintf(text, size, "4.2.0 <%s>: mbox %s stayed locked "
		    "(%s) for %lld seconds", b->m->recipient, b->path, what,
		    b->timeout);
	else
		(void)snprintf(text, size, "%s <%s>: unable to %s mbox %s: %s",
		    local_temp_code(e), b->m->recipient, what, b->path,
		    strerror(e));
	errno = e;
	return -1;
}

/*
 * from_line - "From sender date\n", the sender MAILER-DAEMON for <>,
 * blanks in it replaced by '_' so readers find the date where they
 * expect it; the date is ctime()'s, in local time, as mail readers
 * write it.
 */
static void
from_line(struct mbox *b)
{
	char date[32], *p;
	size_t n;
	time_t now;

	now = time(NULL);
	if (ctime_r(&now, date) == NULL)
		strlcpy(date, "Thu Jan  1 00:00:00 1970\n", sizeof(date));
	n = (size_t)snprintf(b->from, sizeof(b->from), "From %.400s ",
	    b->m->sender[0] == '\0' ? "MAILER-DAEMON" : b->m->sender);
	for (p = b->from + 5; p < b->from + n - 1; p++)
		if (*p == ' ' || *p == '\t')
			*p = '_';
	strlcat(b->from, date, sizeof(b->from));
}

/*
 * encode - the whole append (separator unless is_bare, rpline, dtline,
 * the message quoted, the blank line) to out, or only counted into
 * b->add when out is NULL.  0, or -1 with errno.
 */
static int
encode(struct mbox *b, struct buf *out, int is_bare)
{
	char chunk[65536];
	struct mbox_quote q;
	off_t off = 0;
	ssize_t r;

	if (out != NULL && !is_bare && buf_puts(out, b->from) == -1)
		return -1;
	mbox_quote_init(&q, out);
	if (mbox_quote_put(&q, b->m->rpline, strlen(b->m->rpline)) == -1 ||
	    mbox_quote_put(&q, b->m->dtline, strlen(b->m->dtline)) == -1)
		return -1;
	for (;;) {
		do
			r = pread(b->m->msgfd, chunk, sizeof(chunk), off);
		while (r == -1 && errno == EINTR);
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		if (mbox_quote_put(&q, chunk, (size_t)r) == -1)
			return -1;
		off += r;
	}
	if (mbox_quote_end(&q) == -1)
		return -1;
	b->add = q.count + (off_t)strlen(b->from);
	return 0;
}

/*
 * append - encode the message onto the end of the locked mbox and
 * fsync it; on failure cut the file back to b->old.  0, or -1 with
 * errno of the first failure.
 */
static int
append(struct mbox *b)
{
	char obuf[65536];
	struct buf out;
	int r, e;

	buf_init(&out, b->fd, obuf, sizeof(obuf));
	if (encode(b, &out, 0) == 0 && buf_flush(&out) == 0) {
		do
			r = fsync(b->fd);
		while (r == -1 && errno == EINTR);
		if (r == 0)
			return 0;
	}
	e = errno;
	if (ftruncate(b->fd, b->old) == -1 || fsync(b->fd) == -1)
		log_warn("id=%s alert: unable to cut mbox %s back to %lld "
		    "bytes", b->m->id, b->path, (long long)b->old);
	errno = e;
	return -1;
}

/*
 * same_io - a buf transport that writes nothing: it compares the bytes
 * with the file's from c->off to c->end, and fails at the first that
 * differs.
 */
static ssize_t
same_io(void *ctx, int fd, void *p, size_t n, int writing)
{
	struct same *c = ctx;
	char have[4096];
	size_t done = 0, want;
	ssize_t r;

	(void)fd;
	(void)writing;
	while (done < n && c->off < c->end) {
		want = n - done < sizeof(have) ? n - done : sizeof(have);
		if ((off_t)want > c->end - c->off)
			want = (size_t)(c->end - c->off);
		r = pread(c->fd, have, want, c->off);
		if (r <= 0 || memcmp(have, (char *)p + done, (size_t)r) != 0) {
			errno = ENOMSG;
			return -1;
		}
		done += (size_t)r;
		c->off += r;
	}
	return (ssize_t)n;
}

/*
 * last_from_line - the offset of the last line that starts with "From "
 * among the mbox's back bytes before end, or -1; the offset of the line
 * after it in *next (-1 when there is none before end: the line has no
 * end there, or is longer than any of ours).
 */
static off_t
last_from_line(const struct mbox *b, off_t end, off_t back, off_t *next)
{
	char chunk[65536 + 5], *nl;
	off_t lo, hi = end, stop = end > back ? end - back : 0;
	off_t from = -1;
	size_t i, n;

	while (from == -1 && hi > stop) {
		lo = hi - stop > 65536 ? hi - 65536 : stop;
		/* 5 bytes past hi too: "From " after a newline at the end */
		n = (size_t)(hi - lo) + (size_t)(end - hi < 5 ? end - hi : 5);
		if (pread(b->fd, chunk, n, lo) != (ssize_t)n)
			return -1;
		for (i = (size_t)(hi - lo); i-- > 0 && from == -1;)
			if (chunk[i] == '\n' && n - i > 5 &&
			    memcmp(chunk + i + 1, "From ", 5) == 0)
				from = lo + (off_t)i + 1;
		if (from == -1 && lo == 0 && n >= 5 &&
		    memcmp(chunk, "From ", 5) == 0)
			from = 0;
		hi = lo;
	}
	*next = -1;
	if (from == -1)
		return -1;
	n = end - from < (off_t)sizeof(b->from) ? (size_t)(end - from) :
	    sizeof(b->from);
	if (pread(b->fd, chunk, n, from) == (ssize_t)n &&
	    (nl = memchr(chunk, '\n', n)) != NULL)
		*next = from + (nl - chunk) + 1;
	return from;
}

/*
 * same_from - whether the mbox's bytes from off to end are the start
 * of the append after its From line (all of it when end - off is its
 * length).
 */
static int
same_from(struct mbox *b, off_t off, off_t end)
{
	char obuf[4096];
	struct same c;
	struct buf out;

	c.fd = b->fd;
	c.off = off;
	c.end = end;
	buf_init(&out, -1, obuf, sizeof(obuf));
	buf_transport(&out, same_io, &c);
	return encode(b, &out, 1) == 0 && buf_flush(&out) == 0 &&
	    c.off == end;
}

/*
 * made_before - whether one of the last MBOX_LOOK_MESSAGES messages of
 * the locked mbox, within its last MBOX_LOOK_BYTES, is this delivery's
 * append but for its From line (see the top of the file).
 */
static int
made_before(struct mbox *b)
{
	off_t end = b->old, from, next, len, stop;

	if (b->add == 0 && encode(b, NULL, 0) == -1)
		return 0;
	len = b->add - (off_t)strlen(b->from);
	stop = b->old > MBOX_LOOK_BYTES ? b->old - MBOX_LOOK_BYTES : 0;
	for (int i = 0; i < MBOX_LOOK_MESSAGES && end > stop; i++) {
		if ((from = last_from_line(b, end, end - stop, &next)) == -1)
			return 0;
		/* only a message of the append's length can be it */
		if (next != -1 && end - next == len && same_from(b, next, end))
			return 1;
		end = from;
	}
	return 0;
}

/*
 * partial_start - where a copy of this delivery that a crash cut short
 * begins, at the end of the locked mbox (see the top of the file); -1
 * when the mbox does not end with one.
 */
static off_t
partial_start(struct mbox *b)
{
	off_t from, next;

	if (b->add == 0 && encode(b, NULL, 0) == -1)
		return -1;
	if ((from = last_from_line(b, b->old, b->add, &next)) == -1 ||
	    next == -1 || b->old - next < (off_t)(strlen(b->m->rpline) +
	    strlen(b->m->dtline)))
		return -1;
	return same_from(b, next, b->old) ? from : -1;
}

/* too_big - whether the append breaks mailboxsizelimit: text set. */
static int
too_big(const struct mbox *b, off_t old, char *text, size_t size)
{
	if (b->limit == 0 || old + b->add <= b->limit)
		return 0;
	if (b->add > b->limit)
		(void)snprintf(text, size, "5.2.2 <%s>: message of %lld bytes "
		    "is larger than the mailbox size limit of %lld",
		    b->m->recipient, (long long)b->add, b->limit);
	else
		(void)snprintf(text, size, "4.2.2 <%s>: mailbox %s is full "
		    "(%lld bytes, limit %lld)", b->m->recipient, b->path,
		    (long long)old, b->limit);
	return 1;
}

/*
 * controls - mailboxsizelimit and timeoutmboxlock.  0, or -1 with the
 * text set when one is broken (logged by ctl_int).
 */
static int
controls(struct mbox *b, char *text, size_t size)
{
	int r;

	if ((r = ctl_knob("mailboxsizelimit", &b->limit)) != -1)
		r = ctl_knob("timeoutmboxlock", &b->timeout);
	if (r != -1)
		return 0;
	(void)snprintf(text, size, "4.3.0 <%s>: a control file is broken "
	    "(see the log)", b->m->recipient);
	return -1;
}

/*
 * fail_text - the text for a failed append: EDQUOT and ENOSPC as
 * local_temp_code says; EFBIG (RLIMIT_FSIZE, or the file system's
 * largest file) permanent only when the append alone is over the limit.
 */
static void
fail_text(struct mbox *b, int e, char *text, size_t size)
{
	struct rlimit rl;
	const char *code = local_temp_code(e);

	if (e == EFBIG) {
		code = "4.2.2";
		if (b->add == 0)
			(void)encode(b, NULL, 0);	/* its size */
		if (getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY && b->add > (off_t)rl.rlim_cur)
			code = "5.2.2";
	}
	(void)snprintf(text, size, "%s <%s>: unable to write mbox %s: %s",
	    code, b->m->recipient, b->path, strerror(e));
}

/*
 * deliver - the locked part: a copy made before (-a), size checks,
 * append.  A LOCAL_* code.
 */
static int
deliver(struct mbox *b, char *text, size_t size)
{
	struct stat st;
	off_t start;

	if (fstat(b->fd, &st) == -1) {
		(void)snprintf(text, size, "4.3.0 <%s>: unable to stat mbox "
		    "%s: %s", b->m->recipient, b->path, strerror(errno));
		return LOCAL_TEMP;
	}
	b->old = st.st_size;
	if (b->m->is_again && made_before(b)) {
		b->is_found = 1;
		return LOCAL_OK;
	}
	/* the append's fsync, or its cut back on failure, makes it last */
	if (b->m->is_again && (start = partial_start(b)) != -1) {
		if (ftruncate(b->fd, start) == -1) {
			(void)snprintf(text, size, "4.3.0 <%s>: unable to cut "
			    "mbox %s back to %lld bytes: %s", b->m->recipient,
			    b->path, (long long)start, strerror(errno));
			return LOCAL_TEMP;
		}
		b->cut = b->old - start;
		b->old = start;
	}
	if (too_big(b, b->old, text, size))
		return text[0] == '5' ? LOCAL_PERM : LOCAL_TEMP;
	if (append(b) == -1) {
		fail_text(b, errno, text, size);
		return text[0] == '5' ? LOCAL_PERM : LOCAL_TEMP;
	}
	return LOCAL_OK;
}

/*
 * local_mbox - deliver to the mbox file path (relative to the home
 * directory, local's working directory, unless absolute).
 */
int
local_mbox(const struct local_msg *m, const char *path, char *text,
    size_t size)
{
	void (*oldxfsz)(int);
	struct mbox b;
	char cut[32] = "";
	int code;

	memset(&b, 0, sizeof(b));
	b.m = m;
	b.path = path;
	b.fd = -1;
	if (controls(&b, text, size) == -1)
		return LOCAL_TEMP;
	from_line(&b);
	/* the exact size first, so a limit fails before anything is written */
	if (b.limit > 0 && encode(&b, NULL, 0) == -1) {
		(void)snprintf(text, size, "4.3.0 <%s>: unable to read the "
		    "message: %s", m->recipient, strerror(errno));
		return LOCAL_TEMP;
	}
	if (too_big(&b, 0, text, size))
		return LOCAL_PERM;
	if (lock_mbox(&b, text, size) == -1)
		return LOCAL_TEMP;
	/* over RLIMIT_FSIZE, write must fail with EFBIG, not kill us */
	oldxfsz = signal(SIGXFSZ, SIG_IGN);
	code = deliver(&b, text, size);
	signal(SIGXFSZ, oldxfsz);
	/* a failed first delivery leaves no empty mbox behind either */
	if (code != LOCAL_OK && b.is_new && b.old == 0)
		(void)unlink(path);
	unlock(&b);
	if (code != LOCAL_OK)
		return code;
	if (b.cut > 0)
		(void)snprintf(cut, sizeof(cut), " cut=%lld", (long long)b.cut);
	log_info("id=%s delivered to=<%s> user=%s size=%lld mbox=%s "
	    "bytes=%lld%s%s", m->id, m->recipient, m->user, (long long)m->size,
	    path, b.is_found ? 0LL : (long long)b.add,
	    b.is_found ? " found=yes" : "", cut);
	(void)snprintf(text, size, "2.0.0 <%s> delivered to mbox %s",
	    m->recipient, path);
	return LOCAL_OK;
}
