/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * lmtp_client_test - tests of send/lmtp_client.c: the destination
 * parser (table of good and bad forms), and whole sessions against a
 * scripted server held in memory (a buf transport that hands out its
 * replies and keeps what the client wrote): three recipients with one
 * delivered, one refused at RCPT and one refused after DATA, each with
 * its own result; fewer replies after DATA than accepted recipients, a
 * malformed reply, an early end of file (temporary, never delivered);
 * no DATA without an accepted recipient; what goes on the wire (LHLO,
 * BODY=8BITMIME only when offered and needed, dot stuffing, CRLF); and
 * lmtp_deliver's connection failure.
 */
#include <sys/mman.h>
#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "lmtp_client.h"
#include "lsan_atf.h"

/* --- the destination parser ------------------------------------------ */

static const struct {
	const char	*in;
	int		 is_unix;
	const char	*host_or_path;
	int		 port;
	const char	*name;
} good_dests[] = {
	{ "unix:/run/dovecot/lmtp", 1, "/run/dovecot/lmtp", 0,
	    "unix:/run/dovecot/lmtp" },
	{ "127.0.0.1:24", 0, "127.0.0.1", 24, "127.0.0.1:24" },
	{ "mail-store.example:2424", 0, "mail-store.example", 2424,
	    "mail-store.example:2424" },
	{ "[::1]:24", 0, "::1", 24, "[::1]:24" },
	{ "[2001:db8::5]:65535", 0, "2001:db8::5", 65535,
	    "[2001:db8::5]:65535" },
	{ "localhost:1", 0, "localhost", 1, "localhost:1" },
};

static const char *const bad_dests[] = {
	"", "unix:", "unix:/", "unix:relative/path", "unix:/a\nb",
	"127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
	"127.0.0.1:99999", "127.0.0.1:+24", "127.0.0.1:24x", "127.0.0.1:-1",
	":24", "host name:24", "host:24:25", "::1:24", "[::1]", "[::1]:",
	"[::1]24", "[]:24", "[127.0.0.1]:24", "[::1:24", "[::g]:24",
	"tcp:host:24", "host/x:24", "h\xc3\xa9:24",
	"unix:/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
};

ATF_TC_WITHOUT_HEAD(dest_parse);
ATF_TC_BODY(dest_parse, tc)
{
	struct lmtp_dest d;
	size_t i;

	for (i = 0; i < sizeof(good_dests) / sizeof(good_dests[0]); i++) {
		ATF_CHECK_EQ_MSG(lmtp_dest_parse(good_dests[i].in, &d), 0,
		    "%s", good_dests[i].in);
		ATF_CHECK_EQ(d.is_unix, good_dests[i].is_unix);
		ATF_CHECK_STREQ(d.is_unix ? d.path : d.host,
		    good_dests[i].host_or_path);
		if (!d.is_unix)
			ATF_CHECK_EQ(d.port, good_dests[i].port);
		ATF_CHECK_STREQ(d.name, good_dests[i].name);
	}
	for (i = 0; i < sizeof(bad_dests) / sizeof(bad_dests[0]); i++)
		ATF_CHECK_EQ_MSG(lmtp_dest_parse(bad_dests[i], &d), -1,
		    "accepted \"%s\"", bad_dests[i]);
}

/* --- sessions against a server in memory ------------------------------ */

struct mem {
	const char	*s;		/* what the server says */
	size_t		 size, off;
	char		 w[65536];	/* what the client wrote */
	size_t		 wlen;
};

static ssize_t
mem_io(void *arg, int fd, void *p, size_t n, int writing)
{
	struct mem *m = arg;

	(void)fd;
	if (writing) {
		ATF_REQUIRE(m->wlen + n < sizeof(m->w));
		memcpy(m->w + m->wlen, p, n);
		m->wlen += n;
		m->w[m->wlen] = '\0';
		return (ssize_t)n;
	}
	if (n > m->size - m->off)
		n = m->size - m->off;
	memcpy(p, m->s + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

/* message_fd - a file holding msg. */
static int
message_fd(const char *msg)
{
	int fd;

	ATF_REQUIRE((fd = memfd_create("lmtp_client_test", 0)) != -1);
	ATF_REQUIRE(write(fd, msg, strlen(msg)) == (ssize_t)strlen(msg));
	return fd;
}

#define GREET	"220 lmtp.test LMTP ready\r\n" \
		"250-lmtp.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n" \
		"250 ENHANCEDSTATUSCODES\r\n"
#define MSG	"Subject: t\n\n.leading dot\n..two\n.\nd\xc3\xa9j\xc3\xa0\n" \
		"last line without end"

static const char *const rcpt3[] = { "a@x.test", "b@x.test", "c@x.test" };

/* run - a session with the scripted server; m->w holds what was sent */
static void
run(struct mem *m, const char *server, const char *msg, size_t nrcpt,
    struct lmtp_result *res)
{
	struct lmtp_cfg c = { "client.test", 5, 5 };
	struct lmtp_msg lm = { "s@x.test", nrcpt, rcpt3,
	    "Delivered-To: <a@x.test>\n", -1 };
	char instore[256], outstore[256];
	struct buf in, out;

	memset(m, 0, sizeof(*m));
	m->s = server;
	m->size = strlen(server);
	lm.fd = message_fd(msg);
	buf_init(&in, -1, instore, sizeof(instore));
	buf_init(&out, -1, outstore, sizeof(outstore));
	buf_transport(&in, mem_io, m);
	buf_transport(&out, mem_io, m);
	lmtp_session(&c, "lmtp test", &in, &out, &lm, res);
	close(lm.fd);
}

ATF_TC_WITHOUT_HEAD(three_recipients);
ATF_TC_BODY(three_recipients, tc)
{
	static struct mem m;
	struct lmtp_result res[3];

	run(&m, GREET "250 2.1.0 OK\r\n"
	    "250 2.1.5 OK\r\n"
	    "550 5.1.1 <b@x.test> User doesn't exist: b@x.test\r\n"
	    "250 2.1.5 OK\r\n"
	    "354 OK\r\n"
	    "250 2.0.0 <a@x.test> Saved\r\n"
	    "452 4.2.2 <c@x.test> Quota exceeded (mailbox for user is full)\r\n"
	    "221 2.0.0 Bye\r\n", MSG, 3, res);
	ATF_CHECK_EQ(res[0].status, LMTP_OK);
	ATF_CHECK_EQ(res[0].code, 250);
	ATF_CHECK_STREQ(res[0].text, "2.0.0 lmtp test said: 250 2.0.0 "
	    "<a@x.test> Saved (in reply to end of data)");
	ATF_CHECK_EQ(res[1].status, LMTP_PERM);
	ATF_CHECK_EQ(res[1].is_accepted, 0);
	ATF_CHECK_STREQ(res[1].text, "5.1.1 lmtp test said: 550 5.1.1 "
	    "<b@x.test> User doesn't exist: b@x.test (in reply to RCPT TO)");
	ATF_CHECK_EQ(res[2].status, LMTP_TEMP);
	ATF_CHECK_EQ(res[2].code, 452);
	ATF_CHECK(strstr(res[2].text, "4.2.2 lmtp test said: 452 4.2.2 "
	    "<c@x.test> Quota") == res[2].text);
	/* what went on the wire */
	ATF_CHECK_STREQ(m.w,
	    "LHLO client.test\r\n"
	    "MAIL FROM:<s@x.test> BODY=8BITMIME\r\n"
	    "RCPT TO:<a@x.test>\r\n"
	    "RCPT TO:<b@x.test>\r\n"
	    "RCPT TO:<c@x.test>\r\n"
	    "DATA\r\n"
	    "Delivered-To: <a@x.test>\r\n"
	    "Subject: t\r\n\r\n..leading dot\r\n...two\r\n..\r\n"
	    "d\xc3\xa9j\xc3\xa0\r\nlast line without end\r\n.\r\n"
	    "QUIT\r\n");
	ATF_CHECK_EQ(m.off, m.size);
}

ATF_TC_WITHOUT_HEAD(fewer_replies);
ATF_TC_BODY(fewer_replies, tc)
{
	static struct mem m;
	struct lmtp_result res[3];
	size_t i;

	/* three accepted, one reply after the message, then the end */
	run(&m, GREET "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n"
	    "250 2.1.5 OK\r\n354 OK\r\n250 2.0.0 <a@x.test> Saved\r\n",
	    "x\n", 3, res);
	ATF_CHECK_EQ(res[0].status, LMTP_OK);
	for (i = 1; i < 3; i++) {
		ATF_CHECK_EQ(res[i].status, LMTP_TEMP);
		ATF_CHECK_MSG(strstr(res[i].text, "4.4.2 lmtp test: ") ==
		    res[i].text && strstr(res[i].text, "may arrive twice") !=
		    NULL, "%s", res[i].text);
	}
	ATF_CHECK(strstr(res[1].text, "<b@x.test>") != NULL);
	ATF_CHECK(strstr(m.w, "QUIT") == NULL);	/* out of step: no QUIT */
}

ATF_TC_WITHOUT_HEAD(malformed_reply);
ATF_TC_BODY(malformed_reply, tc)
{
	static struct mem m;
	struct lmtp_result res[2];

	run(&m, GREET "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n"
	    "354 OK\r\n25O 2.0.0 <a@x.test> Saved\r\n"
	    "250 2.0.0 <b@x.test> Saved\r\n", "x\n", 2, res);
	ATF_CHECK_EQ(res[0].status, LMTP_TEMP);
	ATF_CHECK_EQ(res[1].status, LMTP_TEMP);
	ATF_CHECK(strstr(res[0].text, "4.4.2 ") == res[0].text);
}

ATF_TC_WITHOUT_HEAD(eof_in_data);
ATF_TC_BODY(eof_in_data, tc)
{
	static struct mem m;
	struct lmtp_result res[2];

	/* the server said 354 and then nothing: the client sees EOF */
	run(&m, GREET "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n"
	    "354 OK\r\n", "x\n", 2, res);
	ATF_CHECK_EQ(res[0].status, LMTP_TEMP);
	ATF_CHECK_EQ(res[1].status, LMTP_TEMP);
	/* and at the greeting */
	run(&m, "", "x\n", 2, res);
	ATF_CHECK_EQ(res[0].status, LMTP_TEMP);
	ATF_CHECK_EQ(res[1].status, LMTP_TEMP);
	ATF_CHECK(strstr(res[0].text, "waiting for the reply to the "
	    "greeting") != NULL);
}

ATF_TC_WITHOUT_HEAD(none_accepted);
ATF_TC_BODY(none_accepted, tc)
{
	static struct mem m;
	struct lmtp_result res[2];

	run(&m, GREET "250 2.1.0 OK\r\n450 4.2.1 later\r\n"
	    "550 5.1.1 unknown\r\n221 Bye\r\n", "x\n", 2, res);
	ATF_CHECK_EQ(res[0].status, LMTP_TEMP);
	ATF_CHECK_EQ(res[1].status, LMTP_PERM);
	ATF_CHECK(strstr(m.w, "DATA") == NULL);
	ATF_CHECK(strstr(m.w, "QUIT\r\n") != NULL);
	/* a 7-bit message and no 8BITMIME offered: no parameter */
	ATF_CHECK(strstr(m.w, "MAIL FROM:<s@x.test>\r\n") != NULL);
}

ATF_TC_WITHOUT_HEAD(refusals);
ATF_TC_BODY(refusals, tc)
{
	static struct mem m;
	struct lmtp_result res[2];

	/* MAIL refused for good: both permanent */
	run(&m, GREET "550 5.7.1 not from you\r\n", "x\n", 2, res);
	ATF_CHECK_EQ(res[0].status, LMTP_PERM);
	ATF_CHECK_EQ(res[1].status, LMTP_PERM);
	ATF_CHECK(strstr(res[0].text, "5.7.1 ") == res[0].text);
	/* a greeting that is not 220, an LHLO refused: temporary */
	run(&m, "554 5.3.2 no service\r\n", "x\n", 2, res);
	ATF_CHECK_EQ(res[0].status, LMTP_TEMP);
	ATF_CHECK(strstr(res[0].text, "4.0.0 ") == res[0].text);
	run(&m, "220 x\r\n500 5.5.1 what is LHLO\r\n", "x\n", 2, res);
	ATF_CHECK_EQ(res[1].status, LMTP_TEMP);
	/* a 2xx where DATA wants 354: temporary for the accepted ones */
	run(&m, GREET "250 OK\r\n250 OK\r\n550 5.1.1 no\r\n250 2.0.0 what\r\n",
	    "x\n", 2, res);
	ATF_CHECK_EQ(res[0].status, LMTP_TEMP);
	ATF_CHECK(strstr(res[0].text, "4.0.0 ") == res[0].text);
	ATF_CHECK_EQ(res[1].status, LMTP_PERM);
}

ATF_TC_WITHOUT_HEAD(connect_fails);
ATF_TC_BODY(connect_fails, tc)
{
	struct lmtp_cfg c = { "client.test", 2, 2 };
	struct lmtp_msg lm = { "s@x.test", 2, rcpt3, "", 0 };
	struct lmtp_result res[2];
	struct lmtp_dest d;

	ATF_REQUIRE(lmtp_dest_parse("unix:/nonexistent/lmtp", &d) == 0);
	lmtp_deliver(&c, &d, &lm, res);
	ATF_CHECK_EQ(res[0].status, LMTP_TEMP);
	ATF_CHECK_EQ(res[1].status, LMTP_TEMP);
	ATF_CHECK_STREQ(res[1].text, "4.4.1 lmtp unix:/nonexistent/lmtp: "
	    "connect: No such file or directory");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, dest_parse);
	ATF_TP_ADD_TC(tp, three_recipients);
	ATF_TP_ADD_TC(tp, fewer_replies);
	ATF_TP_ADD_TC(tp, malformed_reply);
	ATF_TP_ADD_TC(tp, eof_in_data);
	ATF_TP_ADD_TC(tp, none_accepted);
	ATF_TP_ADD_TC(tp, refusals);
	ATF_TP_ADD_TC(tp, connect_fails);
	return atf_no_error();
}
