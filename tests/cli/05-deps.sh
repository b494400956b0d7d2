#!/bin/bash
# tools/deps.sh and the Makefile's use of it, against a fake dpkg-query,
# apt-get, deb-systemd-helper, update-rc.d and systemctl (nothing is
# installed, no service touched): plain `make`
# never calls apt-get and says what is missing and how to install it;
# `tools/deps.sh build` (make run) installs only what building and running
# need; prometheus is installed alone under a policy-rc.d that denies
# starts, which is put back as it was, and its unit is disabled; a failing
# apt-get is said, with the line to run again.
. "$(dirname "$0")/../lib.sh"

F="$T_TMP/fake"
mkdir -p "$F"
LOG="$T_TMP/calls"
: > "$LOG"
# dpkg-query: every package installed but those in $MISSING
cat > "$F/dpkg-query" <<'EOS'
#!/bin/sh
for p in $MISSING; do [ "$p" = "$3" ] && { echo "not-installed"; exit 0; }; done
echo installed
EOS
# apt-get: logged, with what policy-rc.d said then; fails when asked to
cat > "$F/apt-get" <<'EOS'
#!/bin/sh
pol=none
[ -x "$DEPS_POLICY_RC_D" ] && { "$DEPS_POLICY_RC_D" prometheus start; pol=$?; }
echo "apt-get $* (policy-rc.d: $pol)" >> "$CALLS"
[ -n "${APT_FAIL:-}" ] && [ "$1" = install ] && exit 100
exit 0
EOS
# and whatever deps.sh may call about the service: logged, never run
for t in deb-systemd-helper update-rc.d systemctl; do
	printf '#!/bin/sh\necho "%s $*" >> "$CALLS"\nexit 1\n' "$t" > "$F/$t"
done
printf '#!/bin/sh\n[ "$1" = -u ] && { echo 0; exit 0; }\nexec /usr/bin/id "$@"\n' > "$F/id"
chmod +x "$F"/*
export PATH="$F:$PATH" CALLS="$LOG" DEPS_POLICY_RC_D="$T_TMP/policy-rc.d"
D="sh $MT_SRC/tools/deps.sh"

MISSING="libmicrohttpd-dev prometheus"
export MISSING
o=$($D --check build 2>&1); rc=$?
[ $rc = 1 ] && printf '%s' "$o" | grep -q "missing Debian packages: libmicrohttpd-dev" &&
	printf '%s' "$o" | grep -q "apt-get install -y --no-install-recommends libmicrohttpd-dev" &&
	printf '%s' "$o" | grep -q "make deps" && [ ! -s "$LOG" ]
ok $? "deps.sh --check build: says what is missing and how to install it, calls no apt-get"
o=$(make -C "$MT_SRC" -n ${MT_MAKE_ARGS:-} all 2>&1); rc=$?
[ $rc != 0 ] && printf '%s' "$o" | grep -q 'Debian packages are missing: see the "deps:" lines above' &&
	printf '%s' "$o" | grep -q "deps: missing Debian packages: libmicrohttpd-dev" && [ ! -s "$LOG" ]
ok $? "plain make: the same, and stops; no apt-get"
o=$(make -C "$MT_SRC" -n ${MT_MAKE_ARGS:-} install 2>&1); rc=$?
[ $rc != 0 ] && [ ! -s "$LOG" ]; ok $? "make install: no apt-get either"

: > "$LOG"
$D build > "$T_TMP/build.out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "^apt-get update" "$LOG" &&
	grep -q "^apt-get install -y --no-install-recommends libmicrohttpd-dev (policy-rc.d: none)" "$LOG" &&
	! grep -q prometheus "$LOG"
ok $? "deps.sh build (make run): installs the build package only, not the test tools"

: > "$LOG"
printf '#!/bin/sh\n# the admin'"'"'s own\nexit 0\n' > "$DEPS_POLICY_RC_D"
chmod +x "$DEPS_POLICY_RC_D"
cp "$DEPS_POLICY_RC_D" "$T_TMP/policy.before"
$D test > "$T_TMP/test.out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "^apt-get install -y --no-install-recommends libmicrohttpd-dev (policy-rc.d: 0)" "$LOG" &&
	grep -q "^apt-get install -y --no-install-recommends prometheus (policy-rc.d: 101)" "$LOG"
ok $? "deps.sh test: prometheus alone, while policy-rc.d denies every start"
grep -q "^deb-systemd-helper disable prometheus.service" "$LOG" &&
	grep -q "prometheus.service is left disabled and stopped" "$T_TMP/test.out"
ok $? "and its unit is disabled afterwards, and said so"
cmp -s "$DEPS_POLICY_RC_D" "$T_TMP/policy.before" && [ -z "$(ls -A "$T_TMP" | grep '^\.policy-rc.d')" ]
ok $? "the policy-rc.d that was there is put back, no copy left"
rm -f "$DEPS_POLICY_RC_D"
: > "$LOG"
MISSING=prometheus $D test > /dev/null 2>&1 && [ ! -e "$DEPS_POLICY_RC_D" ]
ok $? "with none there before, none is left"

: > "$LOG"
o=$(APT_FAIL=1 $D build 2>&1); rc=$?
[ $rc = 1 ] && printf '%s' "$o" | grep -q "deps: 'apt-get install -y --no-install-recommends libmicrohttpd-dev' failed: see apt-get's messages above" &&
	printf '%s' "$o" | grep -q "apt-get update && apt-get install -y --no-install-recommends libmicrohttpd-dev"
ok $? "apt-get fails: which command, and the line to run again"

MISSING=
: > "$LOG"
$D test && [ ! -s "$LOG" ]; ok $? "nothing missing: nothing run"
done_testing
