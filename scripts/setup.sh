#!/usr/bin/env bash
# setup.sh: from a fresh Debian 12 checkout to a built acc in build/.
#
# Installs the Debian packages acc needs (only those missing; with sudo when
# not root), configures with CMake and builds: build/bin/acc, the runtime in
# build/lib/libacc.a and its header in build/include/acc.h. Safe to run any
# number of times. ACC_BUILD_DIR picks another build directory.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${ACC_BUILD_DIR:-$root/build}

# What building and testing acc needs: the C toolchains (tests compile with
# both gcc and clang), libclang for the translator, LLVM's lit and FileCheck
# for the tests, tree-sitter for the grammar, valgrind for the leak tests,
# pkg-config and groff for the build-integration tests (test/build), g++
# for acc.h's C++ test (runtime/cxx_header.test).
packages=(
    cmake make ninja-build gcc g++ libc6-dev clang libclang-dev llvm-14-tools python3
    libtree-sitter-dev valgrind pkgconf groff-base
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        sudo=(sudo)
    fi
    echo "setup: installing ${missing[*]}"
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

# Keep whatever generator an existing build tree was made with.
generator=()
if [ ! -f "$build/CMakeCache.txt" ] && command -v ninja >/dev/null; then
    generator=(-G Ninja)
fi
cmake -S "$root" -B "$build" "${generator[@]}"
cmake --build "$build" -j "$(nproc)"
