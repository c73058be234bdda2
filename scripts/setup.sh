#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine: installs only what is missing and says what it does.
#   scripts/setup.sh              everything `berth up` needs (npm dependencies, Docker engine, ...)
#   scripts/setup.sh --npm-only   npm dependencies only
#   scripts/setup.sh --test       also what the tests need (AWS CLI v2, skopeo, ...)
#   scripts/setup.sh --bench      also what the benchmarks need (distribution: Debian docker-registry; wrk)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

mode="run"
for arg in "$@"; do
  case "$arg" in
    --npm-only) mode="npm" ;;
    --test) mode="test" ;;
    --bench) mode="bench" ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*" >&2; }
SUDO=""
if [[ "$(id -u)" != "0" ]]; then SUDO="sudo"; fi

# --- npm dependencies ------------------------------------------------------------------------
# Installed once per package-lock.json content (a stamp holds its hash). A node_modules that is a
# link belongs to another checkout (a git worktree): never reinstall through it.
lock_hash="$(sha256sum package-lock.json | cut -c1-64)"
if [[ -L node_modules ]]; then
  say "node_modules is a link to another checkout's; not installing"
elif [[ "$(cat node_modules/.berth-lock-hash 2>/dev/null || true)" != "$lock_hash" ]]; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$lock_hash" > node_modules/.berth-lock-hash
fi
[[ "$mode" == "npm" ]] && exit 0

# --- Debian packages -------------------------------------------------------------------------
# haproxy: the load balancers' data plane.
packages=(docker.io iptables ca-certificates curl haproxy)
if [[ "$mode" == "test" || "$mode" == "bench" ]]; then
  packages+=(awscli busybox-static skopeo)
fi
if [[ "$mode" == "bench" ]]; then
  packages+=(docker-registry wrk)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} > 0 )); then
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# --- Docker engine ---------------------------------------------------------------------------
# Talk to the engine through Debian's docker client; another client earlier on PATH may be newer
# than the engine.
if ! /usr/bin/docker info >/dev/null 2>&1; then
  say "starting dockerd (log: /var/log/berth-dockerd.log)"
  $SUDO sh -c 'nohup dockerd >/var/log/berth-dockerd.log 2>&1 &'
  deadline=$((SECONDS + 60))
  until /usr/bin/docker info >/dev/null 2>&1; do
    if (( SECONDS > deadline )); then
      say "dockerd did not become ready within 60s; see /var/log/berth-dockerd.log"
      exit 1
    fi
    sleep 0.5
  done
  say "dockerd is ready"
fi

# --- Test images -----------------------------------------------------------------------------
if [[ "$mode" == "test" || "$mode" == "bench" ]]; then
  "$root/test/images/build.sh"
fi
