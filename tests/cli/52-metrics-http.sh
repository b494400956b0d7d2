#!/bin/bash
# The daemon's /metrics endpoint as Prometheus and its users meet it: the
# option in --help and its bad values refused; GET /metrics answers with
# text promtool finds clean (process_* families included), another path
# 404, another method 405; connections held open by a client hold up
# neither the control socket nor, once closed, the endpoint; a reload
# moves it.  Then a real Prometheus server (Debian's), on loopback with a
# temporary config and data directory, scrapes the daemon during a job,
# and its HTTP API shows the job's counters growing while the job runs,
# under job_name (Prometheus' own job label is the scrape job's).  And
# textfile_dir's mmtorture.prom is rewritten while a job runs.
. "$(dirname "$0")/../lib.sh"

S="$T_TMP/control.sock"
LOG="$T_TMP/daemon.log"
export MMTORTURE_SOCKET="$S"
BG=""
cleanup_set() { T_CLEANUP="kill ${DPID:-} ${PPID_:-} $BG 2>/dev/null; wait 2>/dev/null;"; }

if ! command -v curl >/dev/null; then
	echo "1..0 # SKIP curl is not installed (make deps)"
	exit 0
fi

printf '[daemon]\n' > "$T_TMP/none.conf"
o=$("$MMTD" --help); ok $? "mmtortured --help"
printf '%s\n' "$o" | grep -q -- '--metrics-listen ADDR:PORT' && printf '%s\n' "$o" | grep -q 'metrics_listen'
ok $? "--help shows --metrics-listen ADDR:PORT and the metrics_listen key"
for bad in 127.0.0.1 localhost:9863 127.0.0.1:99999 '[::1:9863' 'x:1'; do
	o=$(timeout 5 "$MMTD" --socket "$S" --state-dir "$T_TMP/st" --config "$T_TMP/none.conf" --metrics-listen "$bad" 2>&1)
	rc=$?
	[ $rc = 1 ] && printf '%s' "$o" | grep -q -- "--metrics-listen: '"
	ok $? "--metrics-listen $bad is refused: ${o%%$'\n'*}"
done

start_daemon() {	# start_daemon [OPTIONS]: in the background, on this test's socket
	"$MMTD" --socket "$S" --state-dir "$T_TMP/state" --config "$T_TMP/none.conf" "$@" \
		>> "$LOG" 2>&1 &
	DPID=$!
	cleanup_set
	for _ in $(seq 100); do "$MMT" status >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
port_of() {	# the port the daemon logged its endpoint on, last
	sed -n 's|.*metrics endpoint: http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$LOG" | tail -n 1
}
wait_log() {	# wait_log REGEX: until the daemon's log has it
	for _ in $(seq 50); do grep -q "$1" "$LOG" && return 0; sleep 0.1; done
	return 1
}

start_daemon --metrics-listen 127.0.0.1:0 --textfile-dir "$T_TMP/textfile" --textfile-interval 1
ok $? "the daemon starts with --metrics-listen 127.0.0.1:0"
mkdir -p "$T_TMP/textfile"
P=$(port_of)
[ -n "$P" ]; ok $? "it logs where: http://127.0.0.1:$P/metrics"
M="http://127.0.0.1:$P"

code=$(curl -s -o "$T_TMP/m.prom" -D "$T_TMP/m.hdr" -w '%{http_code}' --max-time 5 "$M/metrics")
[ "$code" = 200 ] && grep -qi '^Content-Type: text/plain; version=0.0.4' "$T_TMP/m.hdr"
ok $? "GET /metrics: 200, text/plain; version=0.0.4 ($code)"
grep -q '^mmtorture_build_info{' "$T_TMP/m.prom" && grep -q '^process_resident_memory_bytes [1-9]' "$T_TMP/m.prom" &&
	grep -q '^process_open_fds [1-9]' "$T_TMP/m.prom" && grep -q '^process_start_time_seconds [1-9]' "$T_TMP/m.prom"
ok $? "the daemon's families and process_* (memory, fds, start time)"
if command -v promtool >/dev/null; then
	promtool check metrics < "$T_TMP/m.prom" > "$T_TMP/promtool.out" 2>&1
	ok $? "promtool check metrics: clean"
	[ -s "$T_TMP/promtool.out" ] && diag "$(cat "$T_TMP/promtool.out")"
else
	skip "promtool is not installed"
fi
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$M/")" = 404 ] &&
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$M/metrics/x")" = 404 ]
ok $? "another path: 404"
code=$(curl -s -o /dev/null -D "$T_TMP/post.hdr" -w '%{http_code}' --max-time 5 -X POST -d x=1 "$M/metrics")
[ "$code" = 405 ] && grep -qi '^Allow: GET, HEAD' "$T_TMP/post.hdr"; ok $? "POST: 405, Allow: GET, HEAD ($code)"
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -I "$M/metrics")" = 200 ]; ok $? "HEAD /metrics: 200"

# Connections that send nothing: the endpoint takes at most 8 from one
# address; the control socket is not held up, and the endpoint serves
# again once they are closed.
fds=()
for _ in $(seq 12); do exec {fd}<>"/dev/tcp/127.0.0.1/$P" && fds+=("$fd"); done
"$MMT" status > /dev/null; ok $? "12 idle HTTP connections: the control socket still answers"
for fd in "${fds[@]}"; do exec {fd}>&-; done
for _ in $(seq 50); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$M/metrics")" = 200 ] && break
	sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$M/metrics")" = 200 ]
ok $? "closed again: /metrics serves"
kill -0 $DPID; ok $? "the daemon lives"

# ---- a real Prometheus scrapes it during a job ----
if ! command -v prometheus >/dev/null; then
	skip "no prometheus server (Debian's prometheus package: make deps)"
else
	PD="$T_TMP/prometheus"
	mkdir -p "$PD/data"
	cat > "$PD/prometheus.yml" <<EOF
global:
  scrape_interval: 500ms
  scrape_timeout: 400ms
scrape_configs:
  - job_name: mmtortured
    static_configs:
      - targets: ['127.0.0.1:$P']
EOF
	# a port of its own on loopback: a few tries, in case one is taken
	for _ in 1 2 3 4 5; do
		PP=$((20000 + RANDOM % 30000))
		prometheus --config.file="$PD/prometheus.yml" --storage.tsdb.path="$PD/data" \
			--web.listen-address="127.0.0.1:$PP" --log.level=warn > "$PD/log" 2>&1 &
		PPID_=$!
		cleanup_set
		for _ in $(seq 100); do
			curl -sf --max-time 1 "http://127.0.0.1:$PP/-/ready" >/dev/null && break 2
			kill -0 $PPID_ 2>/dev/null || break
			sleep 0.1
		done
		kill $PPID_ 2>/dev/null; wait $PPID_ 2>/dev/null; PPID_=
	done
	[ -n "$PPID_" ]; ok $? "a Prometheus server of the test's own, on 127.0.0.1:$PP"
	[ -n "$PPID_" ] || diag "$(tail -n 5 "$PD/log")"
	API="http://127.0.0.1:$PP/api/v1"
	q() {	# q PROMQL: the first sample's value, or nothing
		curl -sf --max-time 2 "$API/query" --data-urlencode "query=$1" |
			jq -r '.data.result[0].value[1] // empty' 2>/dev/null
	}
	printf '[scraped]\nworkload=null\nthreads=2\nruntime=60s\n' > "$T_TMP/scraped.ini"
	"$MMT" submit "$T_TMP/scraped.ini" > /dev/null; ok $? "a job of 60 s is submitted (cancelled when done with)"
	sel='mmtorture_ops_total{job="mmtortured",job_name="scraped",op="get_put"}'
	v1=
	for _ in $(seq 60); do v1=$(q "$sel"); [ -n "$v1" ] && [ "$v1" != 0 ] && break; sleep 0.1; done
	[ -n "$v1" ] && [ "$v1" != 0 ]; ok $? "Prometheus has the running job's ops: $v1"
	v2=
	for _ in $(seq 40); do
		v2=$(q "$sel")
		[ -n "$v2" ] && awk -v a="$v1" -v b="$v2" 'BEGIN { exit !(b > a) }' && break
		sleep 0.1
	done
	running=$(q 'mmtorture_jobs{state="running"}')
	awk -v a="$v1" -v b="${v2:-0}" 'BEGIN { exit !(b > a) }' && [ "$running" = 1 ]
	ok $? "and they grow while it runs: $v1, then $v2 (running: $running)"
	[ "$(q 'up{job="mmtortured"}')" = 1 ] &&
		[ "$(q 'count(mmtorture_ops_total{job_name="scraped"})')" = 3 ] &&
		[ -z "$(q 'count({exported_job!=""})')" ]
	ok $? "up is 1; the job's label is job_name, no series has exported_job"
	[ -n "$(q 'process_resident_memory_bytes{job="mmtortured"}')" ]; ok $? "process_* scraped too"
	# the textfile, rewritten every second while the job runs
	tf() {
		grep -s '^mmtorture_ops_total{job_name="scraped",workload="null",op="get_put"}' \
			"$T_TMP/textfile/mmtorture.prom" | awk '{ print $2 }'
	}
	t1=
	for _ in $(seq 30); do t1=$(tf); [ -n "$t1" ] && break; sleep 0.1; done
	t2=
	for _ in $(seq 30); do
		t2=$(tf)
		[ -n "$t1" ] && [ -n "$t2" ] && [ "$t2" -gt "$t1" ] && break
		sleep 0.1
	done
	[ -n "$t1" ] && [ -n "$t2" ] && [ "$t2" -gt "$t1" ] &&
		[ "$("$MMT" status --json 1 | jq -r .job.state)" = running ]
	ok $? "textfile_dir/mmtorture.prom is rewritten while the job runs: $t1, then $t2"
	[ -n "$t2" ] && [ "$t2" -gt "${t1:-0}" ] || diag "$(tail -n 8 "$LOG")"
	# configs/' dashboard: every expression, its variables given values, is
	# one Prometheus runs; those of the ops panels find the job's series
	dash="$MT_SRC/configs/grafana-dashboard.json"
	bad=
	while IFS= read -r e; do
		x=$(printf '%s' "$e" | sed -e 's/\$__rate_interval/2s/g; s/\$__range/1m/g' \
			-e 's/\$job_name/.*/g; s/\$job/mmtortured/g')
		r=$(curl -sf --max-time 3 "$API/query" --data-urlencode "query=$x" | jq -r .status)
		[ "$r" = success ] || bad="$bad [$e: ${r:-no answer}]"
		case $e in *mmtorture_ops_total*)
			[ "$(curl -sf --max-time 3 "$API/query" --data-urlencode "query=$x" |
				jq '.data.result | length')" -gt 0 ] || bad="$bad [$e: no series]" ;;
		esac
	done < <(jq -r '.. | .expr? // empty' "$dash")
	[ -z "$bad" ]; ok $? "the dashboard's expressions run in Prometheus; its ops panels find the job"
	[ -z "$bad" ] || diag "$bad"
	"$MMT" cancel 1 > /dev/null 2>&1	# it may have ended
	kill $PPID_; wait $PPID_ 2>/dev/null; PPID_=
	cleanup_set
fi

# ---- configs/grafana-dashboard.json names only metrics the daemon exports ----
dash="$MT_SRC/configs/grafana-dashboard.json"
jq -e '.panels | length > 0 and all(.[]; (.targets | length) > 0)' "$dash" >/dev/null
ok $? "the dashboard is JSON with panels, each with a query"
curl -s --max-time 5 "$M/metrics" | sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' | sort -u > "$T_TMP/exported"
# the names in the expressions: strings, matchers and ranges taken out, then
# PromQL's own words and Grafana's variables left out
jq -r '.. | .expr? // empty' "$dash" |
	sed -e 's/"[^"]*"//g' -e 's/{[^}]*}//g' -e 's/\[[^]]*\]//g' -E -e 's/(by|on|ignoring|without|group_left|group_right) *\([^)]*\)//g' |
	grep -oE '[A-Za-z_:][A-Za-z0-9_:]*' | sort -u |
	grep -vxE 'sum|min|max|avg|count|rate|irate|increase|topk|bottomk|and|or|unless|bool|offset' \
	> "$T_TMP/named"
missing=$(comm -23 "$T_TMP/named" "$T_TMP/exported" | tr '\n' ' ')
[ -s "$T_TMP/named" ] && [ -z "$missing" ]
ok $? "every metric its expressions name is exported ($(wc -l < "$T_TMP/named") names)${missing:+; not exported: $missing}"
jq -r '.. | .expr? // empty' "$dash" | grep -q 'mmtorture_ops_total' &&
	! jq -r '.. | .expr? // empty' "$dash" | grep -q 'exported_job'
ok $? "it selects mmtorture's jobs by job_name, Prometheus' scrape job by job"

# ---- a reload moves the endpoint; a bad address keeps it ----
printf '[daemon]\nmetrics_listen = 127.0.0.1:0\n' > "$T_TMP/none.conf"
kill $DPID; wait $DPID 2>/dev/null
start_daemon; ok $? "the daemon starts with metrics_listen in its config file"
P1=$(port_of)
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$P1/metrics")" = 200 ]
ok $? "served at 127.0.0.1:$P1"
printf '[daemon]\nmetrics_listen = 127.0.0.1:80000\n' > "$T_TMP/none.conf"
n=$(grep -c "keeping the running configuration" "$LOG")
kill -HUP $DPID
for _ in $(seq 50); do [ "$(grep -c "keeping the running configuration" "$LOG")" -gt "$n" ] && break; sleep 0.1; done
grep -q "none.conf:2: key 'metrics_listen': '127.0.0.1:80000' is not ADDR:PORT" "$LOG" &&
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$P1/metrics")" = 200 ]
ok $? "a reload with a bad address: the error with file:line, the endpoint stays"
printf '[daemon]\n' > "$T_TMP/none.conf"
kill -HUP $DPID
wait_log "metrics_listen=(none)"
! curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$P1/metrics"
ok $? "a reload without metrics_listen: the endpoint is gone"
kill $DPID; wait $DPID 2>/dev/null; DPID=
cleanup_set
done_testing
