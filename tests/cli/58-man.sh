#!/bin/bash
# The man pages as a reader meets them: mmtorture(1), mmtortured(8) and
# mmtorture.jobfile(5) are built, render without a warning (man, and
# mandoc's lint where it is installed), have a NAME that whatis finds
# (lexgrog), list every job key, workload option, daemon option and
# config key the programs have, and `make install` puts them where `man`
# finds them.
. "$(dirname "$0")/../lib.sh"

MAN="${MT_BUILD:-$MT_SRC/build/cc}/man"
PAGES="mmtorture.1 mmtorture.jobfile.5 mmtortured.8"
for p in $PAGES; do
	[ -s "$MAN/$p" ]; ok $? "$p is built"
done
if command -v man >/dev/null; then
	for p in $PAGES; do
		w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$MAN/$p" 2>&1 >/dev/null)
		[ -z "$w" ]; ok $? "man -l $p: no warning${w:+: $w}"
	done
else
	skip "man is not installed (man-db)"
fi
if command -v mandoc >/dev/null; then
	for p in $PAGES; do
		w=$(mandoc -T lint "$MAN/$p" 2>&1)
		[ -z "$w" ]; ok $? "mandoc -T lint $p: clean${w:+: $w}"
	done
else
	skip "mandoc is not installed"
fi
if command -v lexgrog >/dev/null; then
	for p in $PAGES; do
		n=$(lexgrog "$MAN/$p" 2>&1)
		printf '%s' "$n" | grep -q ": \"${p%.*} - "; ok $? "lexgrog $p: $n"
	done
else
	skip "lexgrog is not installed (man-db)"
fi

# every row of the programs' tables is in its page
keys=$("$MMT" workloads | sed -n '/^job keys:/,$p' | awk 'NR > 1 { print $1 }')
miss=
for k in $keys; do grep -q "^\.BI \"$k=\" " "$MAN/mmtorture.jobfile.5" || miss="$miss $k"; done
[ -n "$keys" ] && [ -z "$miss" ]; ok $? "mmtorture.jobfile(5) has every job key ($(echo $keys | wc -w))${miss:+; missing:$miss}"
opts=$("$MMT" workloads | sed '/^job keys:/,$d' | awk '/^  [a-z_]+ +default / { print $1 }' | sort -u)
miss=
for k in $opts; do grep -q "^\.BI \"$k=\" " "$MAN/mmtorture.jobfile.5" || miss="$miss $k"; done
[ -n "$opts" ] && [ -z "$miss" ]; ok $? "and every workload option ($(echo $opts | wc -w))${miss:+; missing:$miss}"
for w in $("$MMT" workloads | awk '/^[a-z_]+ - / { print $1 }'); do
	grep -q "^\.SS $w$" "$MAN/mmtorture.jobfile.5" || miss="$miss $w"
done
[ -z "$miss" ]; ok $? "a subsection for each workload${miss:+; missing:$miss}"
args=$("$MMTD" --help | awk '/^  --[a-z-]+ [A-Z]/ { print $1 }')
miss=
for a in $args; do grep -qF ".BI \"$(printf '%s' "$a" | sed 's/-/\\-/g') \"" "$MAN/mmtortured.8" || miss="$miss $a"; done
[ -n "$args" ] && [ -z "$miss" ]; ok $? "mmtortured(8) has every option ($(echo $args | wc -w))${miss:+; missing:$miss}"
ckeys=$("$MMTD" --help | sed -n '/Config file keys/,$p' | awk 'NR > 1 { print $1 }')
miss=
for k in $ckeys; do grep -q "^\.BI \"$k=\" " "$MAN/mmtortured.8" || miss="$miss $k"; done
[ -n "$ckeys" ] && [ -z "$miss" ]; ok $? "and every config key ($(echo $ckeys | wc -w))${miss:+; missing:$miss}"
cmds=$("$MMT" --help | awk '/^  [a-z]+( |$)/ { print $1 }')
for c in $cmds; do
	grep -q "^\.B $c$" "$MAN/mmtorture.1" || miss="$miss $c"
done
[ -n "$cmds" ] && [ -z "$miss" ]
ok $? "mmtorture(1) describes every command of its --help ($(echo $cmds | wc -w))${miss:+; missing:$miss}"

# make install: where man looks
root="$T_TMP/root"
if make -s -C "$MT_SRC" ${MT_MAKE_ARGS:-} install DESTDIR="$root" PREFIX=/usr/local > "$T_TMP/install.log" 2>&1; then
	ok 0 "make install DESTDIR=... PREFIX=/usr/local"
	for p in $PAGES; do
		[ -s "$root/usr/local/share/man/man${p##*.}/$p" ] || miss="$miss $p"
	done
	[ -z "$miss" ]; ok $? "installs the three pages under share/man${miss:+; missing:$miss}"
	if command -v man >/dev/null; then
		f=$(MANPATH="$root/usr/local/share/man" man -w mmtorture 2>&1)
		[ "$f" = "$root/usr/local/share/man/man1/mmtorture.1" ]; ok $? "man -w mmtorture finds it: $f"
		MANPATH="$root/usr/local/share/man" MANWIDTH=80 man 8 mmtortured 2>/dev/null | grep -q -- '--metrics-listen ADDR:PORT'
		ok $? "man 8 mmtortured shows --metrics-listen ADDR:PORT"
	fi
else
	ok 1 "make install DESTDIR=... PREFIX=/usr/local"
	diag "$(tail -n 20 "$T_TMP/install.log")"
fi
done_testing
