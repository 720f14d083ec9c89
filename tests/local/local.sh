# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# local.sh - for the tests of tests/local that run `local' by hand.
# Source it after ../lib.sh.

# setup_local ID - a home and a control folder for running local by
# hand, and a message m (test id ID), in the test's work directory.
setup_local() {
	L=$(qp_top)/build/libexec
	export QPOST_CONTROL=$PWD/control QPOST_LIBEXEC=$L
	export QPOST_QUEUE=$PWD/queue
	mkdir -p control home
	chmod 755 home
	qp_msg "$1" > m
	# ./dl [EXT] - local for alice (with extension EXT) on m, as lspawn
	# runs it without -t: the dot files decide
	cat > dl <<EOF2
#!/bin/sh
exec "$L/local" -i - -u alice -s sender@example.test \\
    -r "alice\${1:++\$1}@example.test" -d "$PWD/home" -l alice \\
    \${1:+-e "\$1"} -m example.test < m
EOF2
	chmod +x dl
}
