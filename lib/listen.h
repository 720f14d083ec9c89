/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * listen - the Unix socket a small daemon of ours (qpauth, qpdkim)
 * serves on: made at an absolute path, a stale socket there replaced.
 */
#ifndef QPOST_LISTEN_H
#define QPOST_LISTEN_H

#include <sys/types.h>

int	listen_unix(const char *, uid_t, gid_t, mode_t);

#endif
