# shellcheck shell=bash
# Shared by scripts/setup, scripts/test and .ci/run: where the Python 3.14 test environment lives
# and how to run a command in it. Sourced, never executed.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# debootstrap and chroot live in sbin, which a CI environment's PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
PYTHON_VERSION=3.14
# Outside the repository, so that a fresh clone on the same machine reuses it.
CACHE_DIR=${LOWI_ORES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lowi_ores}
ROOTFS="$CACHE_DIR/rootfs-sid"
LOCAL_VENV="$CACHE_DIR/venv-py$PYTHON_VERSION"
# The work tree's copy inside the root: one per checkout, so that two clones (or git worktrees)
# on the same machine can run their tests at the same time.
SRC_IN_ROOT="/src/$(printf '%s' "$REPO_ROOT" | cksum | cut -d' ' -f1)"

log() { printf '[lowi_ores] %s\n' "$*" >&2; }

# Where scripts/setup puts Home Assistant's frontend (as seen from inside the test environment).
hass_extra_dir() {
  if [ "$(env_mode)" = local ]; then echo "$CACHE_DIR/hass-extra"; else echo /opt/hass-extra; fi
}

# "local" when this machine has python3.14, else "chroot" (a Debian sid root that ships it).
env_mode() {
  if [ -n "${LOWI_ORES_FORCE_CHROOT:-}" ]; then echo chroot; return; fi
  if command -v "python$PYTHON_VERSION" >/dev/null 2>&1; then echo local; else echo chroot; fi
}

# The Debian mirror this machine's apt already uses, so no host is named here.
debian_mirror() {
  local uri
  uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
          /etc/apt/sources.list.d/*.list 2>/dev/null \
        | grep -E '/debian/?( |$)' | grep -v security | head -n1 \
        | sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//; s/[[:space:]].*$//')
  printf '%s\n' "${uri:-}"
}

# Copy the work tree (not .git, not caches) into the chroot at $SRC_IN_ROOT.
sync_into_rootfs() {
  if [ -f "$ROOTFS/src/pyproject.toml" ]; then rm -rf "$ROOTFS/src"; fi  # the older, single copy
  rm -rf "${ROOTFS:?}$SRC_IN_ROOT"
  mkdir -p "$ROOTFS$SRC_IN_ROOT"
  tar -C "$REPO_ROOT" --exclude=./.git --exclude='__pycache__' --exclude=.mypy_cache \
      --exclude=.ruff_cache --exclude=.pytest_cache --exclude=.hypothesis --exclude=.coverage \
      -cf - . | tar -C "$ROOTFS$SRC_IN_ROOT" -xf -
}

# Run a shell command line in the test environment, from the repository's root.
run_in_env() {
  if [ "$(env_mode)" = local ]; then
    (cd "$REPO_ROOT" && PATH="$LOCAL_VENV/bin:$PATH" VIRTUAL_ENV="$LOCAL_VENV" \
      LOWI_ORES_HASS_EXTRA="$(hass_extra_dir)" LOWI_ORES_E2E_REQUIRED=1 bash -c "$1")
  else
    sync_into_rootfs
    mount_proc
    env -i HOME=/root PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
        CI="${CI:-}" TERM="${TERM:-dumb}" VIRTUAL_ENV=/opt/venv \
        LOWI_ORES_DB_HOST="${LOWI_ORES_DB_HOST:-127.0.0.1}" \
        LOWI_ORES_HASS_EXTRA="$(hass_extra_dir)" LOWI_ORES_E2E_REQUIRED=1 \
        "$(chroot_bin)" "$ROOTFS" /bin/bash -c "cd $SRC_IN_ROOT && $1"
  fi
}

chroot_bin() { command -v chroot 2>/dev/null || echo /usr/sbin/chroot; }

# Install Debian packages into the root (mosquitto for the tests, valgrind for a benchmark).
rootfs_apt_install() {
  log "installing $* into $ROOTFS"
  cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
  env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    "$(chroot_bin)" "$ROOTFS" /bin/sh -ec \
    "apt-get -o Acquire::Check-Valid-Until=false update -qq; apt-get install -y -qq $* >/dev/null"
}

# A fresh proc filesystem inside the root (psutil, used by mypy and Home Assistant, reads it).
# Never a bind mount of the host's; unmounted when the last script using the root exits.
mount_proc() {
  mkdir -p "$ROOTFS/proc"
  if ! mountpoint -q "$ROOTFS/proc"; then mount -t proc proc "$ROOTFS/proc"; fi
  trap 'umount_proc' EXIT
}
umount_proc() {
  # Another run (a second checkout, a demo) may still be using the root: leave proc to it.
  local root
  for root in /proc/[0-9]*/root; do
    [ "$(readlink "$root" 2>/dev/null)" = "$ROOTFS" ] && return 0
  done
  if mountpoint -q "$ROOTFS/proc" 2>/dev/null; then umount -l "$ROOTFS/proc" || true; fi
}
