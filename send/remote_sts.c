/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * remote_sts - MTA-STS (RFC 8461) for the policies "sts" and "dane" of
 * control/tlsdestinations (under "dane", for a domain DANE does not
 * cover: RFC 8461 2 has DANE win where both apply, and MTA-STS never
 * override a failing DANE).  A domain that publishes a TXT record at
 * _mta-sts.DOMAIN serves its policy at
 * https://mta-sts.DOMAIN/.well-known/mta-sts.txt; under "enforce" mail
 * goes only to the MX hosts the policy names, over TLS with a
 * certificate that chains to a trusted CA and names the MX host.
 *
 * The policy is only as good as its cache: an attacker who can strip
 * the TXT record or block the HTTPS fetch can make a first contact go
 * without it, but not one after a policy was seen.  So each domain's
 * policy is kept in QUEUE/sts/DOMAIN (owned by qpremote; qpost-start
 * makes the folder) for its max_age, and fetched again when the TXT
 * record's id changes or half its max_age has passed.  remote opens
 * that one file before it enters its sandbox, which lets it write no
 * other; a crash halfway through a write leaves a file whose header
 * does not match its length, which is read as no cache.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

#include <arpa/nameser.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "paths.h"
#include "remote.h"
#include "sa.h"
#include "sts.h"

#define STS_PORT	443
#define STS_ADDRS_MAX	4	/* addresses of mta-sts.DOMAIN tried */
#define CACHE_HEAD_MAX	128

struct cached {
	struct sts_policy p;
	long long	fetched;	/* time(2) of the fetch */
	char		id[STS_ID_MAX + 1];
};

/* wants_sts - whether the domain's policy looks for MTA-STS */
static int
wants_sts(const struct remote_cfg *c)
{
	return c->tls_policy == TLS_STS || c->tls_policy == TLS_DANE;
}

/*
 * remote_sts_open - before the sandbox: under the policies sts and
 * dane, the domain's name in A-labels into c and its cache file opened
 * (-1 when it cannot be: then every delivery fetches the policy again,
 * logged once a policy is found).  Not for an address literal.
 */
void
remote_sts_open(struct remote_cfg *c, const char *domain)
{
	char path[4096], alabel[DNS_NAME_MAX + 1];
	int n;

	c->sts_fd = -1;
	c->sts_domain[0] = '\0';
	/* a host name's letters, digits, hyphens and dots, lower case:
	   also a safe file name (no "/", no leading dot) */
	if (!wants_sts(c) || domain[0] == '[' ||
	    remote_a_label(domain, alabel, sizeof(alabel)) == -1 ||
	    dns_name_norm(alabel, c->sts_domain) == -1) {
		c->sts_domain[0] = '\0';
		return;
	}
	n = snprintf(path, sizeof(path), "%s/%s/%s", paths_queue(), QDIR_STS,
	    c->sts_domain);
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	c->sts_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	c->sts_errno = errno;
}

/* cache_read - the domain's cached policy; 0, or -1 when there is none */
static int
cache_read(int fd, struct cached *k)
{
	char buf[CACHE_HEAD_MAX + STS_BODY_MAX], head[CACHE_HEAD_MAX];
	char line[CACHE_HEAD_MAX];
	const char *why;
	struct flock lk = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	size_t len;
	ssize_t r;
	char *nl;
	int hl;

	if (fd == -1 || fcntl(fd, F_SETLKW, &lk) == -1)
		return -1;
	r = pread(fd, buf, sizeof(buf), 0);
	lk.l_type = F_UNLCK;
	(void)fcntl(fd, F_SETLK, &lk);
	if (r <= 0 || (nl = memchr(buf, '\n', (size_t)r)) == NULL ||
	    (size_t)(nl - buf) >= sizeof(line))
		return -1;
	/* sscanf wants a string: the header line alone, terminated */
	memcpy(line, buf, (size_t)(nl - buf));
	line[nl - buf] = '\0';
	if (sscanf(line, "qpost-sts 1 %lld %32[A-Za-z0-9] %zu", &k->fetched,
	    k->id, &len) != 3)
		return -1;
	/* the header exactly as written, and exactly len bytes after it */
	hl = snprintf(head, sizeof(head), "qpost-sts 1 %lld %s %zu\n",
	    k->fetched, k->id, len);
	if (hl < 0 || (size_t)hl != (size_t)(nl - buf) + 1 ||
	    memcmp(head, buf, (size_t)hl) != 0 ||
	    (size_t)r != (size_t)hl + len)
		return -1;
	return sts_policy_parse(buf + hl, len, &k->p, &why);
}

/* cache_write - a fetched policy into the cache (a cache: no fsync) */
static void
cache_write(int fd, const char *id, const char *body, size_t len)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct sa out = SA_INIT;
	char head[CACHE_HEAD_MAX];
	int hl;

	if (fd == -1)
		return;
	hl = snprintf(head, sizeof(head), "qpost-sts 1 %lld %s %zu\n",
	    (long long)time(NULL), id, len);
	if (hl < 0 || (size_t)hl >= sizeof(head) ||
	    sa_catb(&out, head, (size_t)hl) == -1 ||
	    sa_catb(&out, body, len) == -1)
		goto done;
	if (fcntl(fd, F_SETLKW, &lk) == 0) {
		if (ftruncate(fd, 0) == -1 ||
		    pwrite(fd, out.s, out.len, 0) != (ssize_t)out.len)
			log_warn("MTA-STS: unable to write the policy cache");
		lk.l_type = F_UNLCK;
		(void)fcntl(fd, F_SETLK, &lk);
	}
done:
	sa_free(&out);
}

/*
 * txt_id - the id of the domain's one STSv1 TXT record: 1, or 0 when
 * there is none to go by (no record, more than one, a broken one, a
 * failed lookup: RFC 8461 3.1 and 5.1).
 */
static int
txt_id(const char *domain, char *id)
{
	char name[DNS_NAME_MAX + 1];
	struct dns_rrset set = { 0 };
	char one[STS_ID_MAX + 1];
	size_t i;
	int n = 0, r;

	if ((size_t)snprintf(name, sizeof(name), "_mta-sts.%s", domain) >=
	    sizeof(name) || dns_query(name, ns_t_txt, &set) != DNS_OK)
		return 0;
	for (i = 0; i < set.n; i++) {
		r = sts_txt_id((const char *)set.rr[i].data, set.rr[i].len,
		    one);
		if (r == 0)
			continue;	/* another kind of TXT record */
		if (r == -1 || ++n > 1) {
			n = 2;
			break;
		}
		memcpy(id, one, sizeof(one));
	}
	dns_rrset_free(&set);
	return n == 1;
}

/*
 * get - the GET on a connected socket: the whole response into resp,
 * all of it within control/timeoutconnect, so that a server that drips
 * cannot hold a delivery for long
 */
static int
get(const struct remote_cfg *c, const char *host, int fd, struct sa *resp,
    int *clean, const char **why)
{
	char inb[8192], outb[1024], req[DNS_NAME_MAX + 128];
	long long end = clock_ms() + c->timeout_connect * 1000LL;
	struct buf in, out;
	struct tls *t;
	ssize_t r;

	buf_init(&in, fd, inb, sizeof(inb));
	buf_init(&out, fd, outb, sizeof(outb));
	in.timeout = out.timeout = c->timeout_connect * 1000;
	if ((t = remote_tls_start(c, host, fd, &in, &out, c->timeout_connect,
	    1, why)) == NULL)
		return -1;
	/* HTTP/1.0: no chunks, and the end of the body is the end */
	(void)snprintf(req, sizeof(req), "GET /.well-known/mta-sts.txt "
	    "HTTP/1.0\r\nHost: %s\r\nAccept: text/plain\r\n"
	    "User-Agent: qpost\r\n\r\n", host);
	if (buf_puts(&out, req) == -1 || buf_flush(&out) == -1) {
		*why = "unable to send the request";
		remote_tls_end(t, fd);
		return -1;
	}
	for (;;) {
		in.timeout = end - clock_ms() > 1 ? (int)(end - clock_ms()) : 1;
		if ((r = buf_read(&in, inb, sizeof(inb))) <= 0)
			break;
		if (resp->len + (size_t)r > STS_HEAD_MAX + STS_BODY_MAX ||
		    sa_catb(resp, inb, (size_t)r) == -1) {
			*why = "a response over 80 KiB";
			remote_tls_end(t, fd);
			return -1;
		}
	}
	if (r == -1 && errno == ETIMEDOUT) {
		*why = "no whole response in time (control/timeoutconnect)";
		remote_tls_end(t, fd);
		return -1;
	}
	*clean = r == 0;
	remote_tls_end(t, fd);
	return 0;
}

/*
 * fetch - the policy from https://mta-sts.DOMAIN/.well-known/mta-sts.txt
 * into p and its bytes into body; 0, or -1 with words in why.
 */
static int
fetch(const struct remote_cfg *c, const char *domain, struct sts_policy *p,
    struct sa *body, char *why, size_t size)
{
	char host[DNS_NAME_MAX + 1], err[256];
	struct dns_addr *a = NULL;
	struct sa resp = SA_INIT;
	const char *what = NULL;
	size_t n = 0, i, off, len;
	int fd, r, clean;

	if ((size_t)snprintf(host, sizeof(host), "mta-sts.%s", domain) >=
	    sizeof(host)) {
		(void)snprintf(why, size, "the domain is too long");
		return -1;
	}
	if ((r = dns_addrs(host, &a, &n)) != DNS_OK) {
		(void)snprintf(why, size, "%s: address lookup: %s", host,
		    dns_strerror(r));
		free(a);
		return -1;
	}
	(void)snprintf(why, size, "%s: no address", host);
	for (i = r = 0; i < n && i < STS_ADDRS_MAX && r == 0; i++) {
		if ((fd = remote_connect(c, &a[i], STS_PORT, err,
		    sizeof(err))) == -1) {
			(void)snprintf(why, size, "%s: %s", host, err);
			continue;
		}
		resp.len = 0;
		if (get(c, host, fd, &resp, &clean, &what) == 0 &&
		    sts_http_body(resp.s, resp.len, !clean, &off, &len,
		    &what) == 0 &&
		    sts_policy_parse(resp.s + off, len, p, &what) == 0 &&
		    sa_catb(body, resp.s + off, len) == 0)
			r = 1;
		else if (what != NULL)
			(void)snprintf(why, size, "%s: %s", host, what);
		(void)close(fd);
	}
	free(a);
	sa_free(&resp);
	return r ? 0 : -1;
}

/* mode_word - a policy's mode, for logs */
static const char *
mode_word(int mode)
{
	return mode == STS_ENFORCE ? "enforce" : mode == STS_TESTING ?
	    "testing" : "none";
}

/*
 * policy_for - the policy that holds for the domain now (RFC 8461 5.1):
 * the cached one while it is valid and the TXT record names no other
 * id; a fetched one otherwise; the cached one still if the fetch
 * fails.  p->mode is STS_NONE when there is none.
 */
static void
policy_for(const struct remote_cfg *c, const struct remote_job *j,
    struct sts_policy *p)
{
	struct cached k;
	struct sts_policy f;
	struct sa body = SA_INIT;
	char id[STS_ID_MAX + 1], why[1024];
	long long now = (long long)time(NULL), age;
	int has_id, has_cache;

	memset(p, 0, sizeof(*p));
	has_cache = cache_read(c->sts_fd, &k) == 0;
	age = has_cache ? now - k.fetched : 0;
	has_cache = has_cache && age >= 0 && age < k.p.max_age;
	has_id = txt_id(c->sts_domain, id);
	if (has_cache && (!has_id || strcmp(id, k.id) == 0) &&
	    age < k.p.max_age / 2) {
		*p = k.p;
		return;
	}
	if (!has_id && !has_cache)
		return;		/* no policy published, none seen */
	if (c->sts_fd == -1)
		log_warnx("MTA-STS: unable to open the policy cache in "
		    "%s/%s: %s (qpost-start makes the folder): policies are "
		    "fetched for every delivery", paths_queue(), QDIR_STS,
		    strerror(c->sts_errno));
	if (has_id && fetch(c, c->sts_domain, &f, &body, why,
	    sizeof(why)) == 0) {
		log_info("id=%s domain=%s MTA-STS policy %s fetched: mode=%s "
		    "max_age=%ld mx=%zu", j->id, j->domain, id,
		    mode_word(f.mode), f.max_age, f.nmx);
		cache_write(c->sts_fd, id, body.s, body.len);
		*p = f;
	} else if (has_cache) {
		if (has_id)
			log_info("id=%s domain=%s MTA-STS policy %s not "
			    "fetched (%s): the cached policy %s holds", j->id,
			    j->domain, id, why, k.id);
		*p = k.p;
	} else
		log_info("id=%s domain=%s MTA-STS policy %s not fetched (%s) "
		    "and none cached: delivered as without one (RFC 8461 "
		    "5.1)", j->id, j->domain, id, why);
	sa_free(&body);
}

/*
 * remote_sts_apply - under the policies sts and dane, what the domain's
 * MTA-STS policy asks of each MX host (not of an smtproutes relay,
 * whose TLS the admin chose; not under dane when a host has TLSA
 * records that DNSSEC validated): host->sts is its mode,
 * host->sts_match whether the policy names the host.
 */
void
remote_sts_apply(const struct remote_cfg *c, const struct remote_job *j,
    struct remote_route *rt)
{
	struct sts_policy p;
	size_t i;

	if (!wants_sts(c) || c->sts_domain[0] == '\0' || rt->nhost == 0 ||
	    rt->host[0].is_relay)
		return;
	for (i = 0; i < rt->nhost; i++)
		if (rt->host[i].dane != DANE_NONE)
			return;		/* DANE covers the domain */
	policy_for(c, j, &p);
	for (i = 0; i < rt->nhost; i++) {
		rt->host[i].sts = p.mode;
		rt->host[i].sts_match = sts_mx_match(&p, rt->host[i].name);
	}
}

/* remote_sts_close - the cache file, at the end of the run */
void
remote_sts_close(struct remote_cfg *c)
{
	if (c->sts_fd != -1)
		(void)close(c->sts_fd);
	c->sts_fd = -1;
}
