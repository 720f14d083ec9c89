/* placeholder: the helper's version replaces this file */
#ifndef QPOST_DNS_H
#define QPOST_DNS_H
#include <stddef.h>
#define DNS_NAME_MAX	255
struct dns_mx {
	unsigned	pref;
	char		host[DNS_NAME_MAX + 1];
};
struct dns_addr {
	int		family;
	unsigned char	addr[16];
};
#define DNS_OK		0
#define DNS_NXDOMAIN	1
#define DNS_NODATA	2
#define DNS_NULLMX	3
#define DNS_TEMP	(-1)
#define DNS_BROKEN	(-2)
int	dns_init(void);
int	dns_mx(const char *, struct dns_mx **, size_t *);
int	dns_addrs(const char *, struct dns_addr **, size_t *);
const char *dns_strerror(int);
#endif
