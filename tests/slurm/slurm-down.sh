#!/usr/bin/env bash
# Stops the daemons that slurm-up.sh started for SCRATCH_DIR (by their pid files), and munged if it started it.
set -uo pipefail
dir=$(realpath -m "${1:?usage: slurm-down.sh SCRATCH_DIR}")
stop() {  # pid file (one or more pids)
  [ -s "$1" ] || return 0
  local pid
  for pid in $(cat "$1"); do
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}
if [ -f "$dir/slurm.conf" ]; then
  SLURM_CONF="$dir/slurm.conf" scancel --full -u "$(id -un)" >/dev/null 2>&1 || true
fi
stop "$dir/slurmd.pid"
stop "$dir/slurmctld.pid"
stop "$dir/munged.pid"
exit 0
