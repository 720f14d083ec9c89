/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qinject_dkim - qinject's side of DKIM signing: hand the message in
 * the drop file to the signer (qpdkim, qpost-qpdkim(8)) and put the
 * DKIM-Signature it returns on top, before the drop file is committed.
 */
#ifndef QPOST_QINJECT_DKIM_H
#define QPOST_QINJECT_DKIM_H

#include <stdint.h>
#include <sys/types.h>

#include "atomic.h"

int	qdkim_origin(int);
int	qdkim_sign(struct atomic *, off_t, uint64_t *, const char *, int);

#endif
