/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * tlsio - the transports that let a struct buf read and write a
 * non-blocking socket (plain or through libtls) with every wait bounded
 * by the buf's timeout, and a TLS handshake or close within a deadline.
 * smtpd (server side) and remote (client side) share them.
 */
#ifndef QPOST_TLSIO_H
#define QPOST_TLSIO_H

#include <sys/types.h>
#include <stddef.h>

struct tls;

ssize_t	tlsio_tls(void *, int, void *, size_t, int);
ssize_t	tlsio_plain(void *, int, void *, size_t, int);
int	tlsio_handshake(struct tls *, int, int, int, const char **);
void	tlsio_close(struct tls *, int, int, int);

#endif
