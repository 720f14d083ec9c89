/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * lsan_atf - LeakSanitizer suppressions for libatf-c itself, included
 * once by each unit test program.  atf-c never frees the test case
 * list it builds for "-l" (kyua's listing step), so a SANITIZE=1 build
 * would report every program as broken.  Only allocations made by
 * those atf-c functions are suppressed: a leak in qpost code is still
 * reported, as its stack holds no atf_list_/atf_map_ frame at the top.
 * The sanitizer runtime calls these hooks by name; nothing else does.
 */
#ifndef QPOST_LSAN_ATF_H
#define QPOST_LSAN_ATF_H

const char	*__lsan_default_suppressions(void);
const char	*__lsan_default_options(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:atf_tp_get_tcs\n"
	    "leak:atf_list_init\n"
	    "leak:atf_list_append\n"
	    "leak:atf_map_init_charpp\n"
	    "leak:atf_map_insert\n";
}

/* Quiet when nothing leaked: kyua marks a listing that writes to stderr broken. */
const char *
__lsan_default_options(void)
{
	return "print_suppressions=0";
}

#endif
