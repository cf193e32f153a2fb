#!/usr/bin/env bash
# Starts a private single-node Slurm (munged if needed, slurmctld, slurmd) for tests, following
# docs/slurm-local.md. Usage: slurm-up.sh SCRATCH_DIR  → writes SCRATCH_DIR/slurm.conf and SCRATCH_DIR/env
# (source it: SLURM_CONF=...). Exit 0 when `sinfo` shows the node idle; non-zero (with the reason on stderr)
# when the daemons cannot start. Stop with slurm-down.sh SCRATCH_DIR.
set -euo pipefail
dir=$(realpath -m "${1:?usage: slurm-up.sh SCRATCH_DIR}")
mkdir -p "$dir"/state "$dir"/spool "$dir"/log
for p in slurmctld slurmd munged sinfo sbatch; do
  command -v "$p" >/dev/null || PATH="$PATH:/usr/sbin"
  command -v "$p" >/dev/null || { echo "slurm-up: $p not installed (apt-get install slurm-wlm munge)" >&2; exit 3; }
done
[ "$(id -u)" = 0 ] || { echo "slurm-up: must run as root (SlurmdUser=root)" >&2; exit 3; }

# munge: reuse a running daemon, else start one as the munge user (pid recorded so slurm-down stops only it).
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  if [ ! -s /etc/munge/munge.key ]; then mungekey -c >/dev/null 2>&1 || true; fi
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge && chown munge:munge /run/munge
  su -s /bin/sh munge -c /usr/sbin/munged
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  pgrep -u munge -x munged > "$dir/munged.pid" || true
  munge -n | unmunge >/dev/null || { echo "slurm-up: munged does not answer" >&2; exit 4; }
fi

host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
# Private ports derived from the scratch path so that parallel fixtures do not collide with each other or with
# a real installation (6817/6818).
off=$(( $(printf '%s' "$dir" | cksum | cut -d' ' -f1) % 2000 * 2 ))
ctld_port=$(( 21000 + off )); slurmd_port=$(( 21001 + off ))
cat > "$dir/slurm.conf" <<CONF
# Private test cluster (tests/slurm/slurm-up.sh); see docs/slurm-local.md.
ClusterName=trifoldtest
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1
MinJobAge=600
KillWait=2
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=cpu Nodes=$host Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$host MaxTime=INFINITE State=UP
CONF
echo "export SLURM_CONF=$dir/slurm.conf" > "$dir/env"
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF" || { echo "slurm-up: slurmctld failed; log:" >&2; tail -20 "$dir/log/slurmctld.log" >&2; exit 5; }
slurmd -f "$SLURM_CONF" || { echo "slurm-up: slurmd failed; log:" >&2; tail -20 "$dir/log/slurmd.log" >&2; exit 5; }
for _ in $(seq 60); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
  case "$state" in idle|mix|alloc) echo "slurm-up: node $host $state (SLURM_CONF=$SLURM_CONF)"; exit 0 ;; esac
  sleep 0.5
done
echo "slurm-up: node not idle after 30 s (state '${state:-?}'); logs in $dir/log" >&2
tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
exit 6
