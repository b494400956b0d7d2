#!/bin/bash
# Kernel mode as a user runs it: a non-root run is refused naming what it
# could not read; as root, the deliberate shm leak is DETECTED with its
# cache and count and cleaned up, a WARNING: line written to /dev/kmsg is
# counted, a clean kernel job PASSes, and a job process killed with
# SIGKILL has its knobs restored by the runner.  lib/kernel reads no bug
# switch.  The machine is left as found: no shm segment, ksm run as before.
. "$(dirname "$0")/../lib.sh"

hits=$(grep -nE 'mt_bug(\(|_table|_lookup|s_)|MT_BUG_|core/bugs\.h' "$MT_SRC"/lib/kernel/*.[ch] || true)
[ -z "$hits" ]; ok $? "no detector in lib/kernel reads the bug registry"

if [ "$(id -u)" -ne 0 ]; then
	skip "kernel mode needs root (running as uid $(id -u))"
	done_testing
	exit
fi

ksm0=$(cat /sys/kernel/mm/ksm/run)
huge0=$(cat /proc/sys/vm/nr_hugepages)
shm0=$(ipcs -m | grep -c '^0x')
export MMTORTURE_JOURNAL_DIR="$T_TMP/journal"
chmod 777 "$T_TMP"

f="$T_TMP/k.ini"
cat > "$f" <<'INI'
[global]
threads=2
runtime=2s
audit_interval=300ms
min_audits=6
[clean-vma]
workload=kernel_vma
[leak]
workload=kernel_mempolicy
bugs=kernel-shm-policy-leak
hugepages=0
mix=fault:10,mbind:5,shm_churn:2,get_mempolicy:2
expect=detect
[kmsg]
workload=kernel_vma
runtime=1500ms
kmsg_user=1
bugs=kernel-kmsg-warning
expect=detect
INI

# not root: refused, naming what could not be read
setpriv --reuid=nobody --regid=nogroup --clear-groups "$MMT" run --no-results "$f" > "$T_TMP/nr" 2>&1
rc=$?
[ $rc = 3 ]; ok $? "not root: exit 3 (got $rc)"
grep -q 'kernel workloads need root (running as uid [0-9]*): cannot' "$T_TMP/nr"
ok $? "not root: the refusal names what could not be read: $(grep -m1 'need root' "$T_TMP/nr" | cut -c1-160)"

"$MMT" run --results "$T_TMP/res" "$f" > "$T_TMP/out" 2>&1
rc=$?
[ $rc = 0 ]; ok $? "kernel jobs: every expectation met (exit $rc)"
grep -q '^\[clean-vma\] PASS: ' "$T_TMP/out"; ok $? "a clean kernel job PASSes: $(grep -m1 '^\[clean-vma\] [A-Z]' "$T_TMP/out" | cut -c1-120)"
line=$(grep -m1 '^\[leak\] ' "$T_TMP/out" | grep -E 'DETECTED|MISSED')
printf '%s' "$line" | grep -q 'DETECTED: .*leaked_objects='; ok $? "the deliberate leak is DETECTED: $(printf '%s' "$line" | cut -c1-120)"
sum=$(ls -d "$T_TMP"/res/*-leak)/summary.txt
left=$(sed -n 's/.*left \([0-9]*\) shm segments with policies on purpose, removed \([0-9]*\).*/\1 \2/p' "$sum")
got=$(awk '$1 == "shmem_inode_cache" {print $NF}' "$sum")
[ -n "$left" ] && [ "${left% *}" = "${left#* }" ] && [ "$got" -ge "${left% *}" ]
ok $? "leaked_objects{shmem_inode_cache}=$got for the ${left% *} segments left, all removed after counting"
grep -q '^\[kmsg\] DETECTED: .*kernel_warning=1' "$T_TMP/out"; ok $? "the kmsg line is counted: $(grep -m1 '^\[kmsg\] [A-Z]' "$T_TMP/out" | cut -c1-100)"

# killed: the runner restores what the job process changed
g="$T_TMP/kill.ini"
printf '[killed]\nworkload=kernel_anon_vma\nthreads=2\nruntime=30s\naudit_interval=10s\n' > "$g"
"$MMT" run --no-results "$g" > "$T_TMP/kill.out" 2>&1 &
run=$!
for _ in $(seq 100); do
	[ "$(cat /sys/kernel/mm/ksm/run)" = 1 ] && break
	sleep 0.1
done
[ "$(cat /sys/kernel/mm/ksm/run)" = 1 ]; ok $? "a kernel_anon_vma job turns ksm on"
job=$(pgrep -P "$run" | head -1)
kill -KILL "$job"
wait $run
grep -q 'FAIL: the job process died of signal 9' "$T_TMP/kill.out"; ok $? "the killed job is a crash"
grep -q 'restored /sys/kernel/mm/ksm/run to' "$T_TMP/kill.out"; ok $? "the runner restored the knobs: $(grep -c restored "$T_TMP/kill.out") lines"

[ "$(cat /sys/kernel/mm/ksm/run)" = "$ksm0" ] && [ "$(cat /proc/sys/vm/nr_hugepages)" = "$huge0" ] &&
	[ "$(ipcs -m | grep -c '^0x')" = "$shm0" ]
ok $? "the machine as found: ksm run $(cat /sys/kernel/mm/ksm/run), nr_hugepages $(cat /proc/sys/vm/nr_hugepages), $(ipcs -m | grep -c '^0x') shm segments"
[ -z "$(ls "$MMTORTURE_JOURNAL_DIR" 2>/dev/null)" ]; ok $? "no journal left"
[ "$T_FAILED" = 0 ] || cat "$T_TMP/out" "$T_TMP/kill.out" >&2
done_testing
