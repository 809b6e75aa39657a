#!/usr/bin/env bash
# bench:search reads its corpus from the Debian Reference in Chinese and English (Debian packages, GPL-2+,
# read at run time and never copied into the repository). Idempotent: installs only what is missing.
set -euo pipefail
need=()
for pkg in debian-reference-zh-cn debian-reference-en; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if ((${#need[@]} > 0)); then
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo -n); fi
  "${sudo_cmd[@]}" apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}"
fi
