#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# replay: every fuzz target runs once over its corpus and its past
# crashes (tests/fuzz/corpus/<target>/, tests/fuzz/crashes/<target>/),
# built with the normal compiler (`make all`), so a regression of any
# input the fuzzer ever found shows up in `make check` in seconds.

# replay TARGET - run TARGET's replay binary over both folders.
replay() {
	dir=$(atf_get_srcdir)
	bin=$dir/${1}_replay
	[ -x "$bin" ] || atf_fail "$bin is not built: run make"
	[ -d "$dir/corpus/$1" ] || atf_fail "no corpus folder for $1"
	[ -d "$dir/crashes/$1" ] && set -- "$@" "$dir/crashes/$1"
	atf_check -s exit:0 -e match:"inputs ran" "$bin" \
	    "$dir/corpus/$1" ${2:+"$2"}
	n=$(ls "$dir/corpus/$1" | wc -l)
	[ "$n" -gt 0 ] || atf_fail "the corpus of $1 is empty"
}

atf_test_case smtp_cmd
smtp_cmd_head() {
	atf_set "descr" "fuzz_smtp_cmd replays its corpus and crashes"
}
smtp_cmd_body() {
	replay fuzz_smtp_cmd
}

atf_test_case smtp_data
smtp_data_head() {
	atf_set "descr" "fuzz_smtp_data replays its corpus and crashes"
}
smtp_data_body() {
	replay fuzz_smtp_data
}

atf_test_case smtp_reply
smtp_reply_head() {
	atf_set "descr" "fuzz_smtp_reply replays its corpus and crashes"
}
smtp_reply_body() {
	replay fuzz_smtp_reply
}

atf_test_case dns
dns_head() {
	atf_set "descr" "fuzz_dns replays its corpus and crashes"
}
dns_body() {
	replay fuzz_dns
}

atf_test_case qstat
qstat_head() {
	atf_set "descr" "fuzz_qstat replays its corpus and crashes"
}
qstat_body() {
	replay fuzz_qstat
}

atf_test_case dsn
dsn_head() {
	atf_set "descr" "fuzz_dsn replays its corpus and crashes"
}
dsn_body() {
	replay fuzz_dsn
}

atf_test_case dotfile
dotfile_head() {
	atf_set "descr" "fuzz_dotfile replays its corpus and crashes"
}
dotfile_body() {
	replay fuzz_dotfile
}

atf_test_case lmtp
lmtp_head() {
	atf_set "descr" "fuzz_lmtp replays its corpus and crashes"
}
lmtp_body() {
	replay fuzz_lmtp
}

atf_test_case mbox_quote
mbox_quote_head() {
	atf_set "descr" "fuzz_mbox_quote replays its corpus and crashes"
}
mbox_quote_body() {
	replay fuzz_mbox_quote
}

atf_test_case addrlist
addrlist_head() {
	atf_set "descr" "fuzz_addrlist replays its corpus and crashes"
}
addrlist_body() {
	replay fuzz_addrlist
}

atf_test_case aliases
aliases_head() {
	atf_set "descr" "fuzz_aliases replays its corpus and crashes"
}
aliases_body() {
	replay fuzz_aliases
}

atf_test_case runner
runner_head() {
	atf_set "descr" "fuzz_runner replays its corpus and crashes"
}
runner_body() {
	replay fuzz_runner
}

atf_test_case worker
worker_head() {
	atf_set "descr" "fuzz_worker replays its corpus and crashes"
}
worker_body() {
	replay fuzz_worker
}

atf_test_case milter
milter_head() {
	atf_set "descr" "fuzz_milter replays its corpus and crashes"
}
milter_body() {
	replay fuzz_milter
}

atf_test_case proxy
proxy_head() {
	atf_set "descr" "fuzz_proxy replays its corpus and crashes"
}
proxy_body() {
	replay fuzz_proxy
}

atf_test_case addr
addr_head() {
	atf_set "descr" "fuzz_addr replays its corpus and crashes"
}
addr_body() {
	replay fuzz_addr
}

atf_test_case rec
rec_head() {
	atf_set "descr" "fuzz_rec replays its corpus and crashes"
}
rec_body() {
	replay fuzz_rec
}

atf_test_case drop
drop_head() {
	atf_set "descr" "fuzz_drop replays its corpus and crashes"
}
drop_body() {
	replay fuzz_drop
}

atf_test_case env
env_head() {
	atf_set "descr" "fuzz_env replays its corpus and crashes"
}
env_body() {
	replay fuzz_env
}

atf_test_case header
header_head() {
	atf_set "descr" "fuzz_header replays its corpus and crashes"
}
header_body() {
	replay fuzz_header
}

atf_test_case control
control_head() {
	atf_set "descr" "fuzz_control replays its corpus and crashes"
}
control_body() {
	replay fuzz_control
}

atf_test_case auth
auth_head() {
	atf_set "descr" "fuzz_auth replays its corpus and crashes"
}
auth_body() {
	replay fuzz_auth
}

atf_test_case cdb
cdb_head() {
	atf_set "descr" "fuzz_cdb replays its corpus and crashes"
}
cdb_body() {
	replay fuzz_cdb
}

atf_test_case smtp_session
smtp_session_head() {
	atf_set "descr" "fuzz_smtp_session replays its corpus and crashes"
}
smtp_session_body() {
	replay fuzz_smtp_session
}

atf_test_case dkim
dkim_head() {
	atf_set "descr" "fuzz_dkim replays its corpus and crashes"
}
dkim_body() {
	replay fuzz_dkim
}

atf_test_case verify
verify_head() {
	atf_set "descr" "fuzz_verify replays its corpus and crashes"
}
verify_body() {
	replay fuzz_verify
}

atf_test_case dnsbl
dnsbl_head() {
	atf_set "descr" "fuzz_dnsbl replays its corpus and crashes"
}
dnsbl_body() {
	replay fuzz_dnsbl
}

atf_test_case sts
sts_head() {
	atf_set "descr" "fuzz_sts replays its corpus and crashes"
}
sts_body() {
	replay fuzz_sts
}

atf_test_case srs
srs_head() {
	atf_set "descr" "fuzz_srs replays its corpus and crashes"
}
srs_body() {
	replay fuzz_srs
}

atf_test_case dsnparam
dsnparam_head() {
	atf_set "descr" "fuzz_dsnparam replays its corpus and crashes"
}
dsnparam_body() {
	replay fuzz_dsnparam
}

atf_test_case mime7
mime7_head() {
	atf_set "descr" "fuzz_mime7 replays its corpus and crashes"
}
mime7_body() {
	replay fuzz_mime7
}

atf_test_case content
content_head() {
	atf_set "descr" "fuzz_content replays its corpus and crashes"
}
content_body() {
	replay fuzz_content
}

atf_test_case policy
policy_head() {
	atf_set "descr" "fuzz_policy replays its corpus and crashes"
}
policy_body() {
	replay fuzz_policy
}

atf_init_test_cases() {
	atf_add_test_case content
	atf_add_test_case policy
	atf_add_test_case mime7
	atf_add_test_case srs
	atf_add_test_case dsnparam
	atf_add_test_case sts
	atf_add_test_case dkim
	atf_add_test_case verify
	atf_add_test_case addrlist
	atf_add_test_case smtp_cmd
	atf_add_test_case smtp_data
	atf_add_test_case smtp_reply
	atf_add_test_case smtp_session
	atf_add_test_case dns
	atf_add_test_case qstat
	atf_add_test_case dsn
	atf_add_test_case aliases
	atf_add_test_case dotfile
	atf_add_test_case lmtp
	atf_add_test_case mbox_quote
	atf_add_test_case proxy
	atf_add_test_case runner
	atf_add_test_case worker
	atf_add_test_case milter
	atf_add_test_case cdb
	atf_add_test_case auth
	atf_add_test_case control
	atf_add_test_case header
	atf_add_test_case env
	atf_add_test_case drop
	atf_add_test_case rec
	atf_add_test_case addr
	atf_add_test_case dnsbl
}
