/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * dnsq - a test driver for lib/dns.c: dns_init (control/resolvers in
 * $QPOST_CONTROL), then dns_mx, dns_addrs or dns_query for each name,
 * results on stdout one per line:
 *
 *	mx:	"PREF HOST" for each MX, in the order dns_mx gives
 *	addrs:	each address as inet_ntop writes it, AAAA first
 *	a, aaaa: dns_query's addresses, as inet_ntop writes them
 *	txt:	dns_query's records, each "LEN TEXT" (octets outside
 *		printable ASCII as \ooo)
 *	servers: the resolvers in use, "ADDRESS:PORT" ("[ADDRESS]:PORT")
 *
 * or, when a lookup finds nothing, one word: NXDOMAIN, NODATA, NULLMX,
 * or "TEMP why".  -n N repeats every lookup N times (the shuffle test);
 * -t S sets dns_timeout(S) first.
 * Runs as whoever starts it, trusts nothing; not installed.
 *
 * Exit: 0 when the lookups were made (whatever they found), 100 usage,
 * 111 when dns_init failed (its log line is on stderr).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns.h"
#include "log.h"

#define USAGE	"usage: dnsq [-h] [-n count] [-t seconds] " \
		"mx|addrs|a|aaaa|txt name ...\n" \
		"       dnsq [-h] servers\n"

/* result - the word for a lookup that found nothing. */
static void
result(int r)
{
	switch (r) {
	case DNS_NXDOMAIN:
		printf("NXDOMAIN\n");
		break;
	case DNS_NODATA:
		printf("NODATA\n");
		break;
	case DNS_NULLMX:
		printf("NULLMX\n");
		break;
	case DNS_TEMP:
		printf("TEMP %s\n", dns_why());
		break;
	default:
		printf("UNEXPECTED %d\n", r);
	}
}

static void
mx(const char *name)
{
	struct dns_mx *m;
	size_t n, i;
	int r;

	if ((r = dns_mx(name, &m, &n)) != DNS_OK) {
		result(r);
		return;
	}
	for (i = 0; i < n; i++)
		printf("%u %s\n", m[i].pref, m[i].host);
	free(m);
}

static void
addrs(const char *name)
{
	char text[INET6_ADDRSTRLEN];
	struct dns_addr *a;
	size_t n, i;
	int r;

	if ((r = dns_addrs(name, &a, &n)) != DNS_OK) {
		result(r);
		return;
	}
	for (i = 0; i < n; i++)
		printf("%s\n", inet_ntop(a[i].family, a[i].addr, text,
		    sizeof(text)) ? text : "?");
	free(a);
}

/* rrset - dns_query's records of one type. */
static void
rrset(const char *name, int type)
{
	char text[INET6_ADDRSTRLEN];
	struct dns_rrset set;
	size_t i, j;
	int r;

	if ((r = dns_query(name, type, &set)) != DNS_OK) {
		result(r);
		return;
	}
	for (i = 0; i < set.n; i++) {
		if (type != ns_t_txt) {
			printf("%s\n", inet_ntop(type == ns_t_a ? AF_INET :
			    AF_INET6, set.rr[i].data, text, sizeof(text)) ?
			    text : "?");
			continue;
		}
		printf("%zu ", set.rr[i].len);
		for (j = 0; j < set.rr[i].len; j++) {
			unsigned char c = set.rr[i].data[j];

			if (c >= 0x20 && c < 0x7f && c != '\\')
				putchar(c);
			else
				printf("\\%03o", c);
		}
		putchar('\n');
	}
	dns_rrset_free(&set);
}

static void
servers(void)
{
	struct sockaddr_storage ss[DNS_SERVERS_MAX];
	char text[INET6_ADDRSTRLEN];
	size_t n, i;

	n = dns_servers(ss, DNS_SERVERS_MAX);
	for (i = 0; i < n && i < DNS_SERVERS_MAX; i++) {
		if (ss[i].ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss[i];

			inet_ntop(AF_INET6, &s6->sin6_addr, text, sizeof(text));
			printf("[%s]:%u\n", text, ntohs(s6->sin6_port));
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss[i];

			inet_ntop(AF_INET, &s4->sin_addr, text, sizeof(text));
			printf("%s:%u\n", text, ntohs(s4->sin_port));
		}
	}
}

int
main(int argc, char *argv[])
{
	const char *err;
	long long count = 1, k;
	long long timeout = 0;
	int ch, i;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "hn:t:")) != -1) {
		switch (ch) {
		case 'h':
			usage_exit(USAGE, 0);
		case 'n':
			count = strtonum(optarg, 1, 10000, &err);
			if (err != NULL)
				usage_exit(USAGE, EXIT_PERM);
			break;
		case 't':
			timeout = strtonum(optarg, 1, 3600, &err);
			if (err != NULL)
				usage_exit(USAGE, EXIT_PERM);
			break;
		default:
			usage_exit(USAGE, EXIT_PERM);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || (strcmp(argv[0], "servers") != 0 && argc < 2) ||
	    (strcmp(argv[0], "mx") != 0 && strcmp(argv[0], "addrs") != 0 &&
	    strcmp(argv[0], "a") != 0 && strcmp(argv[0], "aaaa") != 0 &&
	    strcmp(argv[0], "txt") != 0 && strcmp(argv[0], "servers") != 0))
		usage_exit(USAGE, EXIT_PERM);
	if (dns_init() != 0)
		diex(EXIT_TEMP, "unable to set up the resolver");
	dns_timeout((int)timeout);
	if (strcmp(argv[0], "servers") == 0)
		servers();
	for (k = 0; k < count; k++)
		for (i = 1; i < argc; i++) {
			if (strcmp(argv[0], "mx") == 0)
				mx(argv[i]);
			else if (strcmp(argv[0], "addrs") == 0)
				addrs(argv[i]);
			else if (strcmp(argv[0], "txt") == 0)
				rrset(argv[i], ns_t_txt);
			else
				rrset(argv[i], strcmp(argv[0], "a") == 0 ?
				    ns_t_a : ns_t_aaaa);
		}
	dns_close();
	if (fflush(stdout) == EOF)
		die(EXIT_TEMP, "unable to write the results");
	return 0;
}
