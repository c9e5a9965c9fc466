#!/bin/sh
# Installs the optional comparators HeapLab loads at run time with dlopen:
#   jemalloc  -> libjemalloc2   (libjemalloc.so.2)
#   mimalloc  -> libmimalloc2.0 (libmimalloc.so.2)
#   boehm     -> libgc1         (libgc.so.1)
# None is needed to build or test HeapLab: managers whose library is missing are listed as
# "not installed: apt-get install PACKAGE" and their tests are skipped.
# Usage: scripts/install-optional.sh   (as root, or with sudo available)
set -eu
packages="libjemalloc2 libmimalloc2.0 libgc1"
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "install-optional.sh: run as root or install sudo (needs: apt-get install $packages)" >&2
    exit 1
fi
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends $packages
echo "installed: $packages"
