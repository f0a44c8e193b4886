#!/usr/bin/env bash
# pkg-config-build.sh FILE.c OUT: compile and link FILE.c as a hand-written
# Makefile would, with `pkg-config --cflags --libs acc` (and an rpath to
# the library directory, since the prefix is not the loader's).
set -euo pipefail
libdir=$(pkg-config --variable=libdir acc)
exec cc -std=c11 -Wall -Wextra "$1" -o "$2" $(pkg-config --cflags --libs acc) -Wl,-rpath,"$libdir"
