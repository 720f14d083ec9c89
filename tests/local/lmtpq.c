/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * lmtpq - a test helper (built, never installed): one LMTP session
 * through send/lmtp_client.c for several recipients, so the scenario
 * tests can show per-recipient results against a real server.
 *
 * usage: lmtpq [-t seconds] destination sender recipient... < message
 *
 * The message (LF line ends) is read from fd 0, which must be a
 * regular file.  Prints one line per recipient, in order:
 * "ok|temp|perm <recipient> text".  Exits 0 when the session ran,
 * 100 for a bad destination or usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lmtp_client.h"

#define USAGE	"usage: lmtpq [-t seconds] destination sender recipient... " \
		"< message"

int
main(int argc, char *argv[])
{
	static const char *const words[] = { "ok", "temp", "perm" };
	struct lmtp_cfg c = { "lmtpq.test", 5, 0 };
	struct lmtp_dest d;
	struct lmtp_msg m;
	struct lmtp_result *res;
	int ch, i;

	while ((ch = getopt(argc, argv, "ht:")) != -1) {
		switch (ch) {
		case 't':
			c.timeout = c.timeout_connect = atoi(optarg);
			break;
		case 'h':
			puts(USAGE);
			return 0;
		default:
			fprintf(stderr, "%s\n", USAGE);
			return 100;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3 || lmtp_dest_parse(argv[0], &d) == -1) {
		fprintf(stderr, "%s\n", USAGE);
		return 100;
	}
	m.sender = argv[1];
	m.nrcpt = (size_t)argc - 2;
	m.rcpt = (const char *const *)argv + 2;
	m.prefix = "";
	m.fd = 0;
	if ((res = calloc(m.nrcpt, sizeof(*res))) == NULL)
		return 111;
	lmtp_deliver(&c, &d, &m, res);
	for (i = 0; i < argc - 2; i++)
		printf("%s <%s> %s\n", words[res[i].status], argv[2 + i],
		    res[i].text);
	free(res);
	return 0;
}
