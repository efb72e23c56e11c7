#!/bin/sh
# ws_load against its own in-process echo server: handshake, echo, RTT
# histogram, ping/pong, fragments, and a refused handshake. ws_load prints
# the "N passed, N failed" line itself.
: "${VG_TOP_BUILDDIR:?run through make check}"
exec "$VG_TOP_BUILDDIR/bench/ws_load" --self-test
