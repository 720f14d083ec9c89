/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_control - libFuzzer target for the control-file readers: the
 * generic ones of control/ctl.c (ctl_read, ctl_list, ctl_line,
 * ctl_int) and the structured files built on them: smtproutes
 * (remote_find_route), proxyfrom (proxy_from_listed, relay_net_parse
 * and relay_net_match), virtualdomains (vdom_lookup), resolvers
 * (dns_server_parse on each entry) and the lines of clientaccess as
 * qcdb reads them (clientaccess_parse).  Control files are root's, but a
 * typo must give a clear refusal, never a wrong route or a crash.  The
 * input is a file's text; the first byte picks which probe (domain,
 * address) the lookups ask for.  The text is written to each of those
 * files in a private control directory ($QPOST_CONTROL, made at the
 * first run), and the real readers run over it.  Besides "no sanitizer
 * report" it checks: each list entry is non-empty, trimmed, holds no
 * newline and is no comment; ctl_line gives the first entry; ctl_int
 * stays in its bounds; a route found has a host that fits and a port
 * in 1..65535; each answer is one of the documented values.  A broken
 * property aborts.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <ctype.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clientaccess.h"
#include "ctl.h"
#include "dns.h"
#include "proxy.h"
#include "relay.h"
#include "remote.h"
#include "vdomains.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_control: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

static const char *const files[] = { "f", "smtproutes", "proxyfrom",
    "virtualdomains", "resolvers" };
static const char *const domains[] = { "example.com", "a.example.com",
    "EXAMPLE.org", "x", "" };
static const char *const ips[] = { "192.0.2.1", "::1", "10.1.2.3",
    "2001:db8::1", "not-an-ip" };

static char	dir[64];

/* cleanup - the control directory goes at exit. */
static void
cleanup(void)
{
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

/* setup - a private control directory, once. */
static void
setup(void)
{
	if (dir[0] != '\0')
		return;
	/* memory, where there is a tmpfs: five files written a run */
	snprintf(dir, sizeof(dir), "%s/fuzz_control.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") :
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	CHECK(strlen(dir) < 100 && mkdtemp(dir) != NULL);
	CHECK(setenv("QPOST_CONTROL", dir, 1) == 0);
	atexit(cleanup);
}

static void
put_file(const char *name, const uint8_t *p, size_t n)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CHECK((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1);
	CHECK(n == 0 || write(fd, p, n) == (ssize_t)n);
	close(fd);
}

/* list - ctl_list's entries are non-empty, trimmed, no comment. */
static void
list(void)
{
	struct sa out = SA_INIT, one = SA_INIT;
	const char *e;
	long long v;
	int r, r1;

	r = ctl_list("f", &out);
	CHECK(r == 1 || r == -1);
	if (r == 1) {
		for (e = out.s; out.len > 0 && e < out.s + out.len;
		    e += strlen(e) + 1) {
			size_t l = strlen(e);

			CHECK(l > 0 && l <= CTL_LINE_MAX && e[0] != '#');
			CHECK(strchr(e, '\n') == NULL);
			CHECK(e[0] != ' ' && e[0] != '\t' &&
			    e[l - 1] != ' ' && e[l - 1] != '\t' &&
			    e[l - 1] != '\r');
		}
	}
	r1 = ctl_line("f", &one);
	if (r == 1 && out.len > 0)
		CHECK(r1 == 1 && strcmp(one.s, out.s) == 0);
	else
		CHECK(r1 == -1);
	if (ctl_int("f", -1000, 1000, &v) == 0)
		CHECK(v >= -1000 && v <= 1000);
	sa_free(&out);
	sa_free(&one);
}

/* resolvers - each entry: parsed into an address of its family. */
static void
resolvers(void)
{
	struct sa out = SA_INIT;
	struct sockaddr_storage ss;
	const char *e;

	if (ctl_list("resolvers", &out) == 1)
		for (e = out.s; out.len > 0 && e < out.s + out.len;
		    e += strlen(e) + 1) {
			if (dns_server_parse(e, &ss) == 0) {
				CHECK(ss.ss_family == AF_INET ||
				    ss.ss_family == AF_INET6);
			} else
				CHECK(dns_why() != NULL);
		}
	sa_free(&out);
}

/* nets - each proxyfrom entry through the network parser. */
static void
nets(const char *ip)
{
	struct sa out = SA_INIT;
	struct relay_net net;
	const char *e;
	int r;

	if (ctl_list("proxyfrom", &out) == 1)
		for (e = out.s; out.len > 0 && e < out.s + out.len;
		    e += strlen(e) + 1)
			if (relay_net_parse(e, strlen(e), &net) == NULL) {
				CHECK(net.af == AF_INET || net.af == AF_INET6);
				CHECK(net.len <= (net.af == AF_INET ? 32u :
				    128u));
				r = relay_net_match(&net, ip);
				CHECK(r == 0 || r == 1);
			}
	sa_free(&out);
	r = proxy_from_listed(ip);
	CHECK(r == -1 || r == 0 || r == 1);
}

/*
 * access_line - one clientaccess line: a key of its kind, an action's
 * letter, printable text; a rule by name reads back the same.
 */
static void
access_line(const char *e)
{
	struct clientaccess_line l, again;
	char canon[CLIENTACCESS_KEY_MAX + 16 + CLIENTACCESS_TEXT_MAX];
	size_t i, kn;

	if (clientaccess_parse(e, strlen(e), &l) != NULL)
		return;
	kn = strnlen(l.key, sizeof(l.key));
	CHECK(kn > 0 && kn < sizeof(l.key));
	CHECK(strchr("ord", l.value[0]) != NULL && l.value[0] != '\0');
	CHECK(strlen(l.value + 1) <= CLIENTACCESS_TEXT_MAX);
	for (i = 1; l.value[i] != '\0'; i++)
		CHECK(l.value[i] >= 0x20 && l.value[i] <= 0x7e);
	CHECK((strchr(l.key, '/') == NULL) == (l.is_name != 0));
	if (!l.is_name)
		return;
	for (i = 0; i < kn; i++)
		CHECK(!isupper((unsigned char)l.key[i]));
	snprintf(canon, sizeof(canon), "%s %s %s", l.key,
	    l.value[0] == 'o' ? "ok" : l.value[0] == 'r' ? "reject" :
	    "defer", l.value + 1);
	CHECK(clientaccess_parse(canon, strlen(canon), &again) == NULL);
	CHECK(strcmp(again.key, l.key) == 0 &&
	    strcmp(again.value, l.value) == 0);
}

/* access_lines - each entry of the file as a clientaccess line */
static void
access_lines(void)
{
	struct sa out = SA_INIT;
	const char *e;

	if (ctl_list("f", &out) == 1)
		for (e = out.s; out.len > 0 && e < out.s + out.len;
		    e += strlen(e) + 1)
			access_line(e);
	sa_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *domain, *ip;
	struct remote_relay rr;
	char prefix[256];
	size_t i;
	int r;

	if (size < 1 || size > 16384)
		return 0;
	setup();
	domain = domains[data[0] % 5];
	ip = ips[(data[0] / 5) % 5];
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		put_file(files[i], data + 1, size - 1);
	list();
	r = remote_find_route(domain, &rr);
	CHECK(r == -1 || r == 0 || r == 1);
	if (r == 1) {
		CHECK(strnlen(rr.host, sizeof(rr.host)) < sizeof(rr.host));
		CHECK(rr.port >= 1 && rr.port <= 65535);
	}
	memset(prefix, 'x', sizeof(prefix));
	r = vdom_lookup(domain, prefix, sizeof(prefix));
	CHECK(r == -1 || r == 0 || r == 1);
	if (r == 1)
		CHECK(strnlen(prefix, sizeof(prefix)) < sizeof(prefix));
	nets(ip);
	resolvers();
	access_lines();
	return 0;
}
