/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_lmtp - libFuzzer target for send/lmtp_client.c.  The input's
 * first line is an LMTP destination for lmtp_dest_parse; the rest is
 * what a server sends, fed to lmtp_session (three recipients, a small
 * message) through a buf whose transport hands it out from memory, in
 * pieces of 1, 5 and all octets.  Properties, whatever the server
 * says: every recipient ends with a result; its text is one line that
 * starts with the enhanced code of its class (2 delivered, 4 temporary,
 * 5 permanent); a recipient is delivered only if its RCPT was accepted
 * and the server sent at least as many replies after DATA; a parsed
 * destination has a port in range, or a socket path, and a name.
 * A broken property aborts, which libFuzzer and replay report.
 */
#include <sys/mman.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "lmtp_client.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_lmtp: property broken: %s (line %d)\n", #x, __LINE__); \
	abort(); } } while (0)

#define NRCPT	3

/* the memory "server": hands out s in pieces; takes any write */
struct mem {
	const char	*s;
	size_t		 size, off, piece;
	size_t		 written;
};

static ssize_t
mem_io(void *arg, int fd, void *p, size_t n, int writing)
{
	struct mem *m = arg;

	(void)fd;
	if (writing) {
		m->written += n;
		return (ssize_t)n;
	}
	if (m->piece != 0 && n > m->piece)
		n = m->piece;
	if (n > m->size - m->off)
		n = m->size - m->off;
	memcpy(p, m->s + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

/* check_dest - what lmtp_dest_parse promises for s. */
static void
check_dest(const char *s)
{
	struct lmtp_dest d;

	if (lmtp_dest_parse(s, &d) == -1)
		return;
	CHECK(d.name[0] != '\0');
	CHECK(strchr(d.name, '\n') == NULL && strchr(d.name, '\r') == NULL);
	if (d.is_unix)
		CHECK(d.path[0] == '/' && strlen(d.path) < LMTP_PATH_MAX);
	else
		CHECK(d.port >= 1 && d.port <= 65535 && d.host[0] != '\0');
}

/* message_fd - a small message to send, made once. */
static int
message_fd(void)
{
	static int fd = -1;
	static const char msg[] = "Subject: x\n\n.dot\n\xc3\xa9t\xc3\xa9\nend";

	if (fd == -1) {
		CHECK((fd = memfd_create("fuzz_lmtp", 0)) != -1);
		CHECK(write(fd, msg, sizeof(msg) - 1) ==
		    (ssize_t)(sizeof(msg) - 1));
	}
	return fd;
}

/* session - one session over s in pieces; the properties after it. */
static void
session(const char *s, size_t size, size_t piece)
{
	static const char *const rcpt[NRCPT] = { "a@x.test", "b@x.test",
	    "c@x.test" };
	struct lmtp_cfg c = { "client.test", 5, 5 };
	struct lmtp_msg m = { "s@x.test", NRCPT, rcpt,
	    "Delivered-To: <a@x.test>\n", -1 };
	struct lmtp_result res[NRCPT];
	struct mem mm = { s, size, 0, piece, 0 };
	char instore[512], outstore[512];
	struct buf in, out;
	size_t i;

	m.fd = message_fd();
	buf_init(&in, -1, instore, sizeof(instore));
	buf_init(&out, -1, outstore, sizeof(outstore));
	buf_transport(&in, mem_io, &mm);
	buf_transport(&out, mem_io, &mm);
	memset(res, 0x55, sizeof(res));
	lmtp_session(&c, "lmtp fuzz", &in, &out, &m, res);
	for (i = 0; i < NRCPT; i++) {
		CHECK(res[i].status == LMTP_OK || res[i].status == LMTP_TEMP ||
		    res[i].status == LMTP_PERM);
		CHECK(memchr(res[i].text, '\0', sizeof(res[i].text)) != NULL);
		CHECK(strchr(res[i].text, '\n') == NULL);
		CHECK(res[i].text[0] == (res[i].status == LMTP_OK ? '2' :
		    res[i].status == LMTP_TEMP ? '4' : '5'));
		CHECK(res[i].text[1] == '.');
		if (res[i].status == LMTP_OK)
			CHECK(res[i].is_accepted && res[i].code >= 200 &&
			    res[i].code < 300);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl;
	char dest[512];
	size_t n;

	if (size > 16384)
		return 0;
	nl = memchr(s, '\n', size);
	n = nl == NULL ? size : (size_t)(nl - s);
	if (n < sizeof(dest) && memchr(s, '\0', n) == NULL) {
		memcpy(dest, s, n);
		dest[n] = '\0';
		check_dest(dest);
	}
	if (nl == NULL)
		return 0;
	s = nl + 1;
	size -= n + 1;
	session(s, size, 0);
	session(s, size, 1);
	session(s, size, 5);
	return 0;
}
