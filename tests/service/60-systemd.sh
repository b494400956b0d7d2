#!/bin/bash
# The service under a real systemd, booted as PID 1 of a private PID and
# mount namespace (SYSTEMD-TESTING: private /tmp and /var/tmp, a small
# boot to basic.target).  The units are the installed ones: the daemon
# is started through its socket unit, READY and STATUS are seen, a job is
# submitted and finishes, /metrics answers on loopback with its live
# counters, the service reloads and stops, and its logs are in the
# journal.  Also: systemd-analyze verify prints nothing, and the
# hardening's exposure score.  Not root, no systemd, or a systemd that
# cannot boot here (a chroot): one SKIP, saying why.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root to boot systemd in a namespace"
	exit 0
fi
if [ ! -x /lib/systemd/systemd ]; then
	echo "1..0 # SKIP /lib/systemd/systemd is missing"
	exit 0
fi

# The namespace has its own /tmp and may not see this checkout at all:
# what it needs is staged here and streamed into a tmpfs on its /opt.
SHARE="$T_TMP/stage"
mkdir -p "$SHARE"
UNITS="$SHARE/units"
PREFIX=/opt/mmtorture		# a tmpfs inside the namespace
mkdir -p "$UNITS"
for f in "$MT_SRC"/daemon/systemd/*.service "$MT_SRC"/daemon/systemd/*.socket; do
	sed -e "s|@SBINDIR@|$PREFIX/sbin|g" -e "s|@BINDIR@|$PREFIX/bin|g" \
	    -e "s|@SYSCONFDIR@|$PREFIX/etc|g" "$f" > "$UNITS/$(basename "$f")"
done

# ---- the unit files themselves ----
VERIFY="$T_TMP/verify"
mkdir -p "$VERIFY"
for f in "$UNITS"/*; do
	sed -e "s|$PREFIX/sbin/mmtortured|$MMTD|" "$f" > "$VERIFY/$(basename "$f")"
done
v=$(cd "$VERIFY" && systemd-analyze verify --man=no ./mmtortured.service ./mmtortured.socket 2>&1)
[ -z "$v" ]; ok $? "systemd-analyze verify --man=no prints nothing"
[ -z "$v" ] || diag "$v"
score=$(systemd-analyze security --offline=true "$VERIFY/mmtortured.service" 2>&1 |
	sed -n 's/.*Overall exposure level for mmtortured.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
[ -n "$score" ] && awk -v s="${score%% *}" 'BEGIN { exit !(s < 2.0) }'
ok $? "systemd-analyze security --offline=true: exposure $score"
grep -q '^SystemCallFilter=@system-service' "$UNITS/mmtortured.service" &&
	! grep -Eq '^SystemCallFilter=~.*@resources' "$UNITS/mmtortured.service" &&
	systemd-analyze syscall-filter @system-service | grep -qw @resources &&
	systemd-analyze syscall-filter @resources | grep -qw mbind
ok $? "the syscall filter keeps mbind, set_mempolicy, move_pages, sched_setaffinity (@resources)"

# ---- boot ----
# Where systemd cannot boot (a chroot, a container without the mounts it
# needs), the service cannot be tested here: one SKIP, with the boot log.
cannot_boot() {
	skip "systemd could not boot in a namespace here: $1"
	diag "the boot log's tail:" "$(tail -n 15 "$T_TMP/boot.log" 2>/dev/null)"
	done_testing
	exit
}
unshare --fork --pid --mount --mount-proc --uts --propagation private \
	bash -c 'mount -t tmpfs tmpfs /tmp && mount -t tmpfs tmpfs /var/tmp &&
		 mkdir -p /var/log/journal /var/lib/mmtorture &&
		 mount -t tmpfs tmpfs /var/log/journal && mount -t tmpfs tmpfs /var/lib/mmtorture &&
		 exec /lib/systemd/systemd --system --unit=basic.target' > "$T_TMP/boot.log" 2>&1 &
UPID=$!
SDPID=
for _ in $(seq 100); do
	SDPID=$(pgrep -P $UPID -x systemd) && break
	kill -0 $UPID 2>/dev/null || break
	sleep 0.1
done
# -r: the namespace's root as well as its mounts.  Entering the mounts
# alone puts a command at the root of the mount tree, which in a chroot
# is the host's: its units would land in the host's /run.
in_ns() { nsenter -t "$SDPID" -m -p -r "$@"; }
T_CLEANUP="[ -n \"$SDPID\" ] && nsenter -t $SDPID -m -p -r systemctl poweroff -ff >/dev/null 2>&1; sleep 1; kill -9 $UPID 2>/dev/null;"
if [ -z "$SDPID" ]; then
	why="no systemd became PID 1 of the namespace in 10 s"
	kill -0 $UPID 2>/dev/null || why="the namespace ended at once, before systemd ran"
	kill -9 $UPID 2>/dev/null
	wait $UPID 2>/dev/null
	T_CLEANUP=""
	cannot_boot "$why"
fi
st=
for _ in $(seq 150); do
	st=$(in_ns systemctl is-system-running 2>/dev/null)
	case $st in running|degraded) break ;; esac
	kill -0 $UPID 2>/dev/null || break
	sleep 0.2
done
case $st in
running|degraded)
	ok 0 "systemd boots as PID 1 of a new namespace (pid $SDPID)"
	ok 0 "the system is up ($st)" ;;
*)	cannot_boot "it did not come up in 30 s (is-system-running: ${st:-no answer})" ;;
esac

# ---- install, as make install would, inside the namespace ----
mkdir -p "$SHARE/sbin" "$SHARE/bin" "$SHARE/etc/mmtorture"
cp "$MMTD" "$SHARE/sbin/mmtortured"
cp "$MMT" "$SHARE/bin/mmtorture"
# node_exporter's textfile directory: outside the state directory, so the
# unit's ProtectSystem=strict makes it read-only until a drop-in allows it
sed -e 's|^#textfile_dir = .*|textfile_dir = '"$PREFIX"'/textfile|' \
    -e 's|^metrics_listen = .*|metrics_listen = 127.0.0.1:0|' \
	"$MT_SRC/daemon/systemd/mmtortured.conf" > "$SHARE/etc/mmtorture/mmtortured.conf"
mkdir -p "$SHARE/textfile"
# the sysusers.d user and group, without touching the host's files
cp /etc/passwd "$SHARE/passwd"
cp /etc/group "$SHARE/group"
grep -q '^mmtorture:' "$SHARE/passwd" ||
	echo 'mmtorture:x:988:988:mmtorture daemon:/var/lib/mmtorture:/usr/sbin/nologin' >> "$SHARE/passwd"
grep -q '^mmtorture:' "$SHARE/group" || echo 'mmtorture:x:988:' >> "$SHARE/group"
printf '[global]\nworkload=null\nthreads=2\nruntime=3s\n[service-job]\n' > "$SHARE/svc.ini"
printf '[kernel-svc]\nworkload=kernel_anon_vma\nthreads=2\nruntime=1s\naudit_interval=300ms\nmin_audits=6\n' \
	> "$SHARE/kernel.ini"
cp "$MT_SRC/daemon/systemd/kernel-mode.conf" "$SHARE/kernel-mode.conf"
in_ns mount -t tmpfs -o mode=755 tmpfs /opt
in_ns mkdir -p $PREFIX /run/systemd/system
tar -C "$SHARE" -cf - . | in_ns tar -C $PREFIX -xf -
in_ns mount --bind $PREFIX/passwd /etc/passwd
in_ns mount --bind $PREFIX/group /etc/group
in_ns chown mmtorture:mmtorture $PREFIX/textfile
in_ns cp $PREFIX/units/mmtortured.service $PREFIX/units/mmtortured.socket /run/systemd/system/
if ldd "$MMTD" | grep -q libasan; then
	# LeakSanitizer cannot inspect a process under the unit's sandbox: at
	# exit it fails fatally instead of reporting.  ASan itself stays on.
	in_ns mkdir -p /run/systemd/system/mmtortured.service.d
	printf '[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n' |
		in_ns tee /run/systemd/system/mmtortured.service.d/sanitizer.conf >/dev/null
	diag "sanitized build: leak detection off inside the sandboxed unit"
fi
in_ns systemctl daemon-reload
in_ns systemctl start mmtortured.socket; ok $? "systemctl start mmtortured.socket"
in_ns test -S /run/mmtorture/control.sock; ok $? "the socket is there"
[ "$(in_ns stat -c '%a %G' /run/mmtorture/control.sock)" = "660 mmtorture" ]; ok $? "mode 0660, group mmtorture"
[ "$(in_ns systemctl is-active mmtortured.service)" = inactive ]; ok $? "the service is not started yet"

C="$PREFIX/bin/mmtorture"
in_ns $C status > "$T_TMP/status.out" 2>&1; ok $? "a client connects: the socket starts the service"
[ "$(in_ns systemctl is-active mmtortured.service)" = active ]; ok $? "the service is active (READY=1 received: Type=notify)"
grep -q "(from systemd)" <(in_ns journalctl -u mmtortured.service --no-pager 2>/dev/null); ok $? "the daemon took the socket from systemd"
in_ns systemctl show mmtortured.service -p StatusText | grep -q "StatusText=0 running, 0 queued"
ok $? "STATUS= is seen by systemd"
in_ns systemctl show mmtortured.service -p StateDirectory -p WatchdogUSec -p NotifyAccess > "$T_TMP/show"
grep -q "WatchdogUSec=30s" "$T_TMP/show" && grep -q "NotifyAccess=main" "$T_TMP/show"; ok $? "watchdog 30s, NotifyAccess=main"
in_ns journalctl -u mmtortured.service --no-pager 2>/dev/null |
	grep -q "textfile_dir: $PREFIX/textfile: Read-only file system.*ReadWritePaths=$PREFIX/textfile"
ok $? "textfile_dir without a drop-in: the daemon says it is read-only, and the fix"

in_ns $C submit $PREFIX/svc.ini > "$T_TMP/submit.out" 2>&1; ok $? "mmtorture submit"
sleep 1
# the endpoint: the unit lets the daemon serve loopback (the network is the host's here)
port=$(in_ns journalctl -u mmtortured.service --no-pager 2>/dev/null |
	sed -n 's|.*metrics endpoint: http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' | tail -n 1)
if [ -n "$port" ] && command -v curl >/dev/null; then
	live() {
		curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" > "$T_TMP/live.prom" &&
		grep -Eq '^mmtorture_ops_total\{job_name="service-job",workload="null",op="get_put"\} [1-9]' "$T_TMP/live.prom" &&
			grep -q '^mmtorture_jobs{state="running"} 1$' "$T_TMP/live.prom"
	}
	for _ in $(seq 20); do live && break; sleep 0.1; done
	live
	ok $? "GET /metrics on loopback, under the unit: the running job's live counters"
else
	ok 1 "GET /metrics on loopback, under the unit (port '${port}' from the journal; curl: $(command -v curl))"
fi
in_ns systemctl show mmtortured.service -p StatusText | grep -q "StatusText=1 running (service-job), 0 queued"
ok $? "STATUS= names the running job"
in_ns systemctl status mmtortured.service --no-pager > "$T_TMP/systemctl-status" 2>&1
diag "$(sed -n '1,12p' "$T_TMP/systemctl-status")"
in_ns $C wait 1 > "$T_TMP/wait.out" 2>&1; ok $? "the job finishes: $(sed -n 2p "$T_TMP/wait.out" | awk '{print $5}')"
in_ns test -s /var/lib/mmtorture/results/1-service-job/metrics.json; ok $? "its results are in the StateDirectory"
for _ in $(seq 30); do
	in_ns systemctl show mmtortured.service -p StatusText | grep -q "StatusText=0 running, 0 queued, 1 finished, 0 cancelled" && break
	sleep 0.1
done
in_ns systemctl show mmtortured.service -p StatusText | grep -q "StatusText=0 running, 0 queued, 1 finished, 0 cancelled"
ok $? "STATUS= counts the finished job, and the cancelled apart"
in_ns $C dump prom > "$T_TMP/svc.prom"; ok $? "mmtorture dump prom"
if command -v promtool >/dev/null; then
	[ -s "$T_TMP/svc.prom" ] && promtool check metrics < "$T_TMP/svc.prom" >/dev/null 2>&1
	ok $? "promtool check metrics: clean"
else
	skip "promtool is not installed"
fi

in_ns systemctl reload mmtortured.service; ok $? "systemctl reload"
sleep 0.5
[ "$(in_ns systemctl is-active mmtortured.service)" = active ]; ok $? "still active after the reload"
in_ns journalctl -u mmtortured.service --no-pager > "$T_TMP/journal" 2>/dev/null
grep -q "reloaded $PREFIX/etc/mmtorture/mmtortured.conf" "$T_TMP/journal"; ok $? "the reload is in the journal"
grep -q "job 1 finished: PASS" "$T_TMP/journal"; ok $? "the job's verdict is in the journal"
in_ns journalctl -u mmtortured.service -p warning --no-pager 2>/dev/null | grep -q "job 1 finished" && bad=1 || bad=0
[ $bad = 0 ] && in_ns journalctl -u mmtortured.service -p info --no-pager 2>/dev/null | grep -q "job 1 finished"
ok $? "logged at priority info (the <N> prefixes reach the journal)"
# the drop-in of README: textfile_dir becomes writable at the next start
in_ns mkdir -p /run/systemd/system/mmtortured.service.d
printf '[Service]\nReadWritePaths=%s/textfile\n' "$PREFIX" |
	in_ns tee /run/systemd/system/mmtortured.service.d/textfile.conf >/dev/null
in_ns systemctl daemon-reload
in_ns systemctl stop mmtortured.service 2>/dev/null; ok $? "systemctl stop"
st=$(in_ns systemctl is-active mmtortured.service)
[ "$st" = inactive ]; ok $? "the service is inactive ($st)"
[ "$st" = inactive ] || in_ns journalctl -u mmtortured.service --no-pager | tail -20 | sed 's/^/# /'
in_ns journalctl -u mmtortured.service --no-pager 2>/dev/null | grep -q "stopped; 0 job(s) stay queued"
ok $? "it stopped gracefully (journal)"
in_ns $C list > "$T_TMP/list.out" 2>&1; ok $? "the socket starts it again on demand"
grep -q "service-job" "$T_TMP/list.out"; ok $? "and the finished job is still known (StateDirectory)"
in_ns systemctl kill -s USR2 mmtortured.service
for _ in $(seq 30); do in_ns test -s $PREFIX/textfile/mmtorture.prom && break; sleep 0.1; done
in_ns grep -q '^mmtorture_job_runs_total{job_name="service-job",verdict="PASS"} 1$' $PREFIX/textfile/mmtorture.prom
ok $? "with the ReadWritePaths= drop-in, SIGUSR2 writes textfile_dir/mmtorture.prom"

# ---- kernel mode under the unit, with README's drop-in ----
ksm0=$(cat /sys/kernel/mm/ksm/run)
in_ns cp $PREFIX/kernel-mode.conf /run/systemd/system/mmtortured.service.d/kernel-mode.conf
in_ns systemctl daemon-reload
in_ns systemctl restart mmtortured.service; ok $? "restarted with the kernel-mode drop-in"
in_ns $C submit --json $PREFIX/kernel.ini > "$T_TMP/ksubmit.out" 2>&1
KID=$(jq -r '.ids[0]' "$T_TMP/ksubmit.out" 2>/dev/null)
in_ns $C wait "$KID" > "$T_TMP/kwait.out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q " PASS " "$T_TMP/kwait.out"
ok $? "a kernel job runs under the unit as root and PASSes: $(sed -n 2p "$T_TMP/kwait.out" | awk '{print $5}') $(sed -n 4p "$T_TMP/kwait.out" | cut -c1-100)"
[ $rc = 0 ] || { cat "$T_TMP/kwait.out"; in_ns journalctl -u mmtortured.service --no-pager | tail -20; } | sed 's/^/# /'
[ "$(cat /sys/kernel/mm/ksm/run)" = "$ksm0" ] && [ "$(ipcs -m | grep -c '^0x')" = 0 ]
ok $? "and leaves KSM as it was ($(cat /sys/kernel/mm/ksm/run)), no shm segment"
# the unit with the drop-in's keys, for an offline score
mkdir -p "$VERIFY/kernel"
cat "$VERIFY/mmtortured.service" "$MT_SRC/daemon/systemd/kernel-mode.conf" > "$VERIFY/kernel/mmtortured.service"
kscore=$(systemd-analyze security --offline=true "$VERIFY/kernel/mmtortured.service" 2>&1 |
	sed -n 's/.*Overall exposure level for mmtortured.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
[ -n "$kscore" ]; ok $? "systemd-analyze security with the kernel-mode drop-in: exposure $kscore"

in_ns systemctl poweroff >/dev/null 2>&1
for _ in $(seq 100); do kill -0 $UPID 2>/dev/null || break; sleep 0.1; done
! kill -0 $UPID 2>/dev/null; ok $? "the namespace powers off"
T_CLEANUP=""
done_testing
