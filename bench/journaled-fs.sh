#!/usr/bin/env bash
# Mounts a journaled ext4 (mkfs.ext4 defaults) on a loop device with direct I/O, for the cloud benchmark's
# files: TMPDIR=<mount point> npx tsx bench/cloud.ts. Needs root.
#
# Why: this VM's root file system is ext4 *without* a journal, and ext4 without a journal does not reuse
# an inode deleted less than 60 s ago (360 s while its inode-table block is dirty; `recently_deleted()`
# in fs/ext4/ialloc.c). Every new file's allocation walks past those inodes, so after a tool deleted its
# 10,000 downloaded files, the next 10,000 files cost seconds of kernel time for whichever tool came next
# (bench/README, "Where the kernel-time swings came from"). Direct I/O keeps the image's blocks out of the page cache, so the
# data is not cached twice.
#
#   bench/journaled-fs.sh [image=/work/benchfs.img] [mount point=/mnt/benchfs] [size=40G]
#   bench/journaled-fs.sh --remove [image] [mount point]
set -euo pipefail

if [ "${1:-}" = "--remove" ]; then
  image="${2:-/work/benchfs.img}"
  mountpoint="${3:-/mnt/benchfs}"
  device="$(findmnt -n -o SOURCE "$mountpoint")"
  umount "$mountpoint"
  # A loop device mounted with `mount -o loop` detaches itself on umount; one from `losetup` does not.
  case "$device" in /dev/loop*) losetup -d "$device" 2>/dev/null || true ;; esac
  rm -f "$image"
  echo "removed $mountpoint and $image"
  exit 0
fi

image="${1:-/work/benchfs.img}"
mountpoint="${2:-/mnt/benchfs}"
size="${3:-40G}"

if [ "$(id -u)" != 0 ]; then
  echo "journaled-fs.sh: needs root (mount, losetup)" >&2
  exit 1
fi
if mountpoint -q "$mountpoint"; then
  echo "journaled-fs.sh: $mountpoint is already mounted" >&2
  exit 1
fi

truncate -s "$size" "$image"
mkfs.ext4 -q -F "$image"
mkdir -p "$mountpoint"
device="$(losetup --find --show --direct-io=on "$image")"
mount "$device" "$mountpoint"
echo "journaled ext4 on $mountpoint ($device, direct I/O): TMPDIR=$mountpoint npx tsx bench/cloud.ts"
