/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_ctl - the control FIFO, queue/ctl: how qctl steers the queue
 * without touching a queue file itself.  sched alone changes queue
 * files; qctl writes one command line into the FIFO (queue_ctl.h) and
 * sched applies it here, in its own loop, with the same saves as any
 * other change of state.
 *
 * The FIFO is sched's: mode 0600, owned by the queue's owner, so only
 * root and that owner can write to it.  Its content is still checked
 * byte by byte: a line that is not exactly one of the documented
 * commands is logged (a few per turn) and dropped, a line longer than
 * QCTL_LINE_MAX is skipped to its newline, and a command for an id not
 * in the queue is logged and ignored.  One line per command and one
 * per message it changes go to the log.
 *
 * hold and release are saved in the envelope (the H field), so they
 * survive a restart.  flush only changes the next attempt in memory:
 * a crash forgets it, which costs a wait, never mail.  delete and
 * bounce of a message with deliveries running wait for their results
 * (qmsg.ctl); a message to be deleted is saved as held first, so that
 * after a crash it waits for the admin instead of being delivered.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"
#include "queue_ctl.h"
#include "sched.h"

#define CTL_READ_MAX	65536	/* bytes taken from the FIFO per turn */
#define CTL_COMPLAIN	10	/* rejected lines logged per turn */
#define CTL_SHOW	64	/* bytes of a rejected line in the log */

static char	 line[QCTL_LINE_MAX + 1];
static size_t	 linelen;
static int	 skipping;	/* in a line too long: drop to its newline */
static size_t	 rejected;	/* lines rejected this turn */

/*
 * sched_ctl_open - open queue/ctl for reading, and once more for writing so
 * that it never reports end of file.  It is made (mode 0600) when
 * missing, as in a queue set up before it existed.  A file that is not
 * our FIFO leaves sched without control (logged), never stops it.
 */
void
sched_ctl_open(struct sched *s)
{
	struct stat st;
	int fd;

	s->ctl_fd = s->ctl_keep_fd = -1;
	if (mkfifoat(s->queue_fd, QFILE_CTL, 0600) == 0)
		log_info("made the control FIFO %s/%s", paths_queue(),
		    QFILE_CTL);
	else if (errno != EEXIST) {
		log_warn("unable to make the control FIFO %s/%s: qctl will "
		    "not work", paths_queue(), QFILE_CTL);
		return;
	}
	fd = openat(s->queue_fd, QFILE_CTL, O_RDONLY | O_NONBLOCK |
	    O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		log_warn("unable to open the control FIFO %s/%s: qctl will "
		    "not work", paths_queue(), QFILE_CTL);
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISFIFO(st.st_mode) ||
	    st.st_uid != geteuid()) {
		log_warnx("alert: %s/%s is not a FIFO owned by the queue's "
		    "owner: qctl will not work", paths_queue(), QFILE_CTL);
		close(fd);
		return;
	}
	if ((st.st_mode & 077) != 0) {
		/* anyone who may write to it may delete mail */
		if (fchmod(fd, 0600) == -1) {
			log_warn("unable to make %s/%s mode 0600: qctl will "
			    "not work", paths_queue(), QFILE_CTL);
			close(fd);
			return;
		}
		log_warnx("%s/%s was mode %03o: made it 0600", paths_queue(),
		    QFILE_CTL, (unsigned)(st.st_mode & 0777));
	}
	s->ctl_keep_fd = openat(s->queue_fd, QFILE_CTL, O_WRONLY |
	    O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (s->ctl_keep_fd == -1) {
		log_warn("unable to open the control FIFO %s/%s: qctl will "
		    "not work", paths_queue(), QFILE_CTL);
		close(fd);
		return;
	}
	s->ctl_fd = fd;
}

/* reject - one line that is not a command, logged while few. */
static void
reject(const char *why, const char *text, size_t n)
{
	if (++rejected > CTL_COMPLAIN)
		return;
	log_warnx("ctl line rejected: reason=\"%s\" line=\"%.*s%s\"", why,
	    (int)(n < CTL_SHOW ? n : CTL_SHOW), text,
	    n > CTL_SHOW ? "..." : "");
}

/* in_domain - whether addr's domain (after its last '@') is domain. */
static int
in_domain(const char *addr, const char *domain)
{
	const char *at = strrchr(addr, '@');

	return at != NULL && strcasecmp(at + 1, domain) == 0;
}

/*
 * make_due - every pending recipient not being delivered (in domain,
 * unless it is NULL) is due now, if set; how many there are.
 */
static size_t
make_due(struct qmsg *m, const char *domain, time_t now, int set)
{
	struct qrcpt *r;
	size_t i, n = 0;

	for (i = 0; i < m->env.nrcpt; i++) {
		r = &m->env.rcpt[i];
		if (r->state != RCPT_PENDING || r->busy ||
		    (domain != NULL && !in_domain(r->addr, domain)))
			continue;
		if (set && r->next > now)
			r->next = now;
		n++;
	}
	return n;
}

/* flush - every pending recipient (in one domain) is due now. */
static void
flush(struct sched *s, const char *domain, time_t now)
{
	struct qmsg *m;
	size_t n;

	TAILQ_FOREACH(m, &s->msgs, entry) {
		if (m->ctl != 0)
			continue;
		if (m->env.held) {
			if (make_due(m, domain, now, 0) > 0)
				log_info("id=%s ctl=flush skipped: held",
				    m->env.id);
			continue;
		}
		if ((n = make_due(m, domain, now, 1)) > 0) {
			log_info("id=%s ctl=flush rcpts=%zu", m->env.id, n);
			fair_update(s, m);
		}
	}
	/* a domain backed off would hold its mail back all the same */
	(void)fair_flush_domain(s, domain);
}

/* hold - save the message held: dispatch starts nothing for it. */
static void
hold(struct sched *s, struct qmsg *m)
{
	if (m->env.held) {
		log_info("id=%s ctl=hold already held", m->env.id);
		return;
	}
	m->env.held = 1;
	if (sched_save(s, m) == -1) {
		m->env.held = 0;
		log_warnx("id=%s ctl=hold failed: the envelope could not be "
		    "saved", m->env.id);
		return;
	}
	fair_park(s, m);
	log_info("id=%s ctl=hold held running=%zu", m->env.id, m->busy);
}

/* release - save it not held; its pending recipients are due now. */
static void
release(struct sched *s, struct qmsg *m, time_t now)
{
	size_t n;

	if (!m->env.held || (m->ctl & CTL_DELETE)) {
		log_info("id=%s ctl=release not held%s", m->env.id,
		    m->ctl & CTL_DELETE ? ": being deleted" : "");
		return;
	}
	m->env.held = 0;
	if (sched_save(s, m) == -1) {
		m->env.held = 1;
		log_warnx("id=%s ctl=release failed: the envelope could not "
		    "be saved", m->env.id);
		return;
	}
	n = make_due(m, NULL, now, 1);
	fair_add(s, m, 1, now);
	log_info("id=%s ctl=release rcpts=%zu", m->env.id, n);
}

/*
 * delete_now - remove a message no delivery is running for, as if each
 * recipient still to do were delivered nowhere: no bounce.
 */
static void
delete_now(struct sched *s, struct qmsg *m)
{
	struct qrcpt *r;
	size_t i, n = 0;

	if (sched_remove_files(s, m) == -1) {
		/* held, if it waited: a new delete may try again */
		m->ctl &= ~CTL_DELETE;
		log_warnx("id=%s ctl=delete failed: the message stays",
		    m->env.id);
		return;
	}
	for (i = 0; i < m->env.nrcpt; i++) {
		r = &m->env.rcpt[i];
		if (r->state == RCPT_PENDING || r->state == RCPT_FAILED) {
			log_info("id=%s to=<%s> result=deleted by=qctl",
			    m->env.id, r->addr);
			n++;
		}
	}
	log_info("id=%s ctl=delete rcpts=%zu", m->env.id, n);
	log_info("id=%s removed", m->env.id);
	sched_forget(s, m);
}

/* delete - now, or once the deliveries under way have reported. */
static void
delete(struct sched *s, struct qmsg *m)
{
	if (m->ctl & CTL_DELETE) {
		log_info("id=%s ctl=delete already waiting", m->env.id);
		return;
	}
	if (m->busy == 0) {
		delete_now(s, m);
		return;
	}
	m->ctl |= CTL_DELETE;
	fair_park(s, m);
	if (!m->env.held) {
		m->env.held = 1;	/* a crash now leaves it held */
		(void)sched_save(s, m);
	}
	log_info("id=%s ctl=delete waiting running=%zu", m->env.id, m->busy);
}

/* fail_pending - every pending recipient not being delivered fails. */
static size_t
fail_pending(struct qmsg *m)
{
	char text[QENV_ERR_MAX + 1];
	struct qrcpt *r;
	size_t i, n = 0;

	for (i = 0; i < m->env.nrcpt; i++) {
		r = &m->env.rcpt[i];
		if (r->state != RCPT_PENDING || r->busy)
			continue;
		if (r->error != NULL && r->error[0] != '\0')
			snprintf(text, sizeof(text), "5.0.0 returned by the "
			    "queue administrator (qctl bounce); last error: %s",
			    r->error);
		else
			snprintf(text, sizeof(text), "5.0.0 returned by the "
			    "queue administrator (qctl bounce)");
		(void)qenv_set_error(r, text);
		r->state = RCPT_FAILED;
		log_info("id=%s to=<%s> result=bounce by=qctl", m->env.id,
		    r->addr);
		n++;
	}
	return n;
}

/* bounce - fail what is pending now; the usual path makes the bounce. */
static void
bounce(struct sched *s, struct qmsg *m)
{
	size_t n;

	fair_park(s, m);	/* out of its lines before its states change */
	n = fail_pending(m);
	if (m->busy > 0)
		m->ctl |= CTL_BOUNCE;	/* and the rest when they return */
	log_info("id=%s ctl=bounce rcpts=%zu running=%zu", m->env.id, n,
	    m->busy);
	if (m->busy > 0)
		return;
	sched_settle(s, m, time(NULL), 1);
}

/*
 * sched_ctl_result - after the results of a job of m are recorded: finish a
 * delete or bounce that waited for them.  Returns 1 when the caller must
 * not touch m again (deleted, or to be deleted), else 0.
 */
int
sched_ctl_result(struct sched *s, struct qmsg *m)
{
	if (m->ctl & CTL_DELETE) {
		if (m->busy > 0) {
			(void)sched_save(s, m);
			return 1;
		}
		delete_now(s, m);
		return 1;
	}
	if ((m->ctl & CTL_BOUNCE) && m->busy == 0) {
		m->ctl &= ~CTL_BOUNCE;
		log_info("id=%s ctl=bounce rcpts=%zu running=0", m->env.id,
		    fail_pending(m));
	}
	return 0;
}

/* apply - one line (without its newline) from the FIFO. */
static void
apply(struct sched *s, const char *text, size_t n, time_t now)
{
	struct qctl_cmd c;
	struct qmsg *m;
	const char *why;

	if (qctl_parse(text, n, &c, &why) == -1) {
		reject(why, text, n);
		return;
	}
	if (c.verb == QCTL_RELOAD) {
		/* the same code as SIGHUP: qctl may not signal sched */
		log_info("ctl command=\"reload\"");
		sched_reload(s);
		return;
	}
	if (c.verb == QCTL_FLUSH) {
		log_info("ctl command=\"flush%s%s\"", c.domain[0] ? " " : "",
		    c.domain);
		flush(s, c.domain[0] ? c.domain : NULL, now);
		return;
	}
	log_info("ctl command=\"%s %s\"", qctl_verb_name(c.verb), c.id);
	if ((m = recover_find(s, c.id)) == NULL) {
		log_warnx("id=%s ctl=%s no such message: ignored", c.id,
		    qctl_verb_name(c.verb));
		return;
	}
	switch (c.verb) {
	case QCTL_HOLD:
		hold(s, m);
		break;
	case QCTL_RELEASE:
		release(s, m, now);
		break;
	case QCTL_DELETE:
		delete(s, m);
		break;
	case QCTL_BOUNCE:
		bounce(s, m);
		break;
	case QCTL_FLUSH:
	case QCTL_RELOAD:
		break;
	}
}

/* feed - one byte from the FIFO. */
static void
feed(struct sched *s, char c, time_t now)
{
	if (c == '\n') {
		if (skipping)
			reject("line too long", line, linelen);
		else
			apply(s, line, linelen, now);
		linelen = 0;
		skipping = 0;
		return;
	}
	if (skipping)
		return;
	if (linelen == QCTL_LINE_MAX) {
		skipping = 1;
		return;
	}
	line[linelen++] = c;
}

/*
 * sched_ctl_read - take what the FIFO holds, up to CTL_READ_MAX bytes a turn
 * so that commands cannot starve deliveries.  Writers write a whole
 * line at once, so a line still without its newline once the FIFO is
 * empty was never finished: it is dropped.
 */
void
sched_ctl_read(struct sched *s, time_t now)
{
	char chunk[4096];
	size_t total = 0, i;
	ssize_t r;
	int empty = 0;

	rejected = 0;
	while (total < CTL_READ_MAX) {
		r = read(s->ctl_fd, chunk, sizeof(chunk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == -1 && errno != EAGAIN)
				log_warn("unable to read the control FIFO");
			empty = 1;
			break;
		}
		total += (size_t)r;
		for (i = 0; i < (size_t)r; i++)
			feed(s, chunk[i], now);
	}
	if (empty && (linelen > 0 || skipping)) {
		reject(skipping ? "line too long" : "no newline: a command is "
		    "written whole, in one write", line, linelen);
		linelen = 0;
		skipping = 0;
	}
	if (rejected > CTL_COMPLAIN)
		log_warnx("ctl: %zu more lines rejected", rejected -
		    CTL_COMPLAIN);
}
