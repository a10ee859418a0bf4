#!/usr/bin/env bash
# Refuses a kernel module that could write outside the buffers it is given: a
# data section, or any global access (the shadow-stack pointer: clang puts a
# struct passed by value, an array or an address-taken local there), would
# touch memory that belongs to the tfjs wasm backend sharing the module's
# memory. Usage: check-kernel-module.sh MODULE.wasm ... (exit 1 on the first bad one).
# The listings are read whole before matching: `grep -q` stops at the first
# match, and under pipefail the objdump it cut off made the check pass.
set -euo pipefail
for out in "$@"; do
  headers=$(llvm-objdump -h "$out")
  code=$(llvm-objdump -d "$out")
  if grep -qw DATA <<<"$headers"; then echo "check-kernel-module: $out has a data section" >&2; exit 1; fi
  if grep -qE 'global\.(get|set)' <<<"$code"; then echo "check-kernel-module: $out uses a global (shadow stack)" >&2; exit 1; fi
done
