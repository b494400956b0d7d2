# mmtorture - a torture tester for the refcount and RCU-reclamation
# protocols of Linux memory management.
#
#   make            build (says which Debian packages are missing, if any)
#   make check      build and run every test with prove (installs the
#                   missing build and test packages when root)
#   make run        run configs/default.ini in the foreground (installs
#                   the missing build packages when root)
#   make bench      microbenchmarks (not tests)
#   make mutate     mutation testing of the models (tools/mutate.py; long)
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       install the missing build and test packages (root)
#   make SANITIZE=address,undefined check   the same tests, sanitized
#   make CC=clang   build with clang

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share/mmtorture
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR ?=

CC ?= cc
SANITIZE ?=
BUILD ?= build
comma := ,

ifneq ($(SANITIZE),)
B := $(BUILD)/san-$(subst $(comma),-,$(SANITIZE))
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
B := $(BUILD)/$(notdir $(CC))
SANFLAGS :=
endif
# CHECKS=0: the detectors' per-use checks compiled out (checked loads,
# lock order, lock-context asserts), for the benchmark's overhead ratio
# only: such a build detects less, and its tests are not run.
CHECKS ?= 1
ifeq ($(CHECKS),0)
B := $(B)-nochecks
CHECKFLAGS := -DMT_NO_CHECKS
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

PKGS := liburcu-memb liburcu-qsbr liburcu-mb liburcu-bp hwloc numa inih jansson libsystemd \
	libmicrohttpd

# Dependencies: `make run` installs (as root) what building and running
# need, `make check` and `make deps` also what the tests need; every other
# goal only checks and, when something is missing, says how to install it
# and stops: plain `make` never calls apt-get.  Goals that only clean or
# list need nothing.
NODEPS_GOALS := clean distclean help deps
GOALS := $(or $(MAKECMDGOALS),all)
ifneq ($(filter check check-unit check-shell,$(GOALS)),)
DEPS_ARGS := test
else ifneq ($(filter run,$(GOALS)),)
DEPS_ARGS := build
else
DEPS_ARGS := --check build
endif
ifneq ($(filter-out $(NODEPS_GOALS),$(GOALS)),)
DEPS_RC := $(shell sh tools/deps.sh $(DEPS_ARGS) >&2; echo $$?)
ifneq ($(DEPS_RC),0)
$(error Debian packages are missing: see the "deps:" lines above)
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
endif

CFLAGS ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
override CFLAGS += -std=gnu11 $(WARNFLAGS) -pthread $(SANFLAGS) -MMD -MP
override CPPFLAGS += -D_GNU_SOURCE -Ilib -I. $(PKG_CFLAGS) $(CHECKFLAGS) \
	-DMT_VERSION='"$(VERSION)"' -DMT_GIT_REV='"$(GIT_REV)"'
override LDFLAGS += -pthread $(SANFLAGS)
LDLIBS := $(PKG_LIBS) -lm

# LIB_EXCLUDE= leaves files out of the library (a model being written);
# TESTS= limits the unit tests built and run (names: t_slab t_mm ...).
LIB_EXCLUDE ?=
LIB_SRCS := $(filter-out $(LIB_EXCLUDE),$(wildcard lib/core/*.c lib/kernel/*.c lib/mm/*.c lib/engine/*.c lib/proto/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/%.o)
LIB := $(B)/libmmtorture.a
# Workloads register themselves (constructors): linked whole into every
# program, never left in the archive where nothing would pull them out.
WL_SRCS := $(filter-out $(LIB_EXCLUDE),$(wildcard workloads/*.c))
WL_OBJS := $(WL_SRCS:%.c=$(B)/obj/%.o)

CLI_SRCS := $(wildcard cli/*.c)
DAEMON_SRCS := $(wildcard daemon/*.c)
CLI := $(B)/bin/mmtorture
DAEMON := $(B)/bin/mmtortured
BINS := $(CLI) $(DAEMON)

# Man pages: templates in docs/man/, their option sections printed by the
# programs from their option tables (tools/man.sh), so that they cannot
# say other than the programs do.
MAN_DATE := $(shell git log -1 --format=%cs 2>/dev/null || date -u +%F)
MAN_SRCS := $(wildcard docs/man/*.in)
MAN_PAGES := $(MAN_SRCS:docs/man/%.in=$(B)/man/%)

ifneq ($(TESTS),)
TEST_SRCS := $(TESTS:%=tests/unit/%.c)
else
TEST_SRCS := $(wildcard tests/unit/t_*.c)
endif
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(B)/tests/%)
SHELL_TESTS := $(sort $(wildcard tests/cli/*.sh) $(wildcard tests/service/*.sh) $(wildcard tests/fuzz/*.sh))
BENCH_SRCS := $(wildcard tests/bench/bench_*.c)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(B)/bench/%)

# Fuzz targets (libFuzzer): the library, workloads and the daemon's
# modules built with clang under ASan and UBSan, one program per target.
FUZZ_CC ?= clang
FUZZ_B := $(BUILD)/fuzz
FUZZ_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_TIME ?= 600
FUZZ_SRCS := $(LIB_SRCS) $(WL_SRCS) $(filter-out daemon/mmtortured.c,$(wildcard daemon/*.c)) tests/fuzz/fuzz.c
FUZZ_OBJS := $(FUZZ_SRCS:%.c=$(FUZZ_B)/obj/%.o)
FUZZ_TARGETS := $(sort $(basename $(notdir $(wildcard tests/fuzz/fuzz_*.c))))
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_B)/bin/%)
HAVE_FUZZ := $(shell command -v $(FUZZ_CC) >/dev/null 2>&1 && echo yes)

PROVE ?= prove
# Test programs run side by side, one per CPU (CHECK_JOBS=1: one at a
# time).  Each bounds its own time and waits on conditions, so a slower
# neighbour only slows it; the two that drive the kernel's KSM, hugepages
# and System V shm, and check that they leave them as they found them, run
# one after the other.
CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
PROVE_FLAGS ?= -j$(CHECK_JOBS) --rules='seq={tests/cli/70-kernel.sh,tests/service/60-systemd.sh}' --rules='par=**'

.SECONDARY:
.PHONY: all check check-unit check-shell run bench install uninstall clean distclean deps help soak \
	sched-table sched-clean bins \
	fuzz fuzz-build mutate

all: $(LIB) $(BINS) $(TEST_BINS) $(MAN_PAGES)

V ?= 0
ifeq ($(V),0)
Q := @
E := @echo
else
Q :=
E := @true
endif

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(E) "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The archive is rebuilt when the set of objects changes, not only when one is newer.
OBJLIST := $(B)/objects.list
ifneq ($(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
$(shell mkdir -p $(B) && { echo '$(LIB_OBJS)' | cmp -s - $(OBJLIST) || echo '$(LIB_OBJS)' > $(OBJLIST); })
endif

# Objects that print the version or revision are rebuilt when either changes.
REVSTAMP := $(B)/revision.stamp
ifneq ($(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
$(shell mkdir -p $(B) && { echo '$(VERSION) $(GIT_REV)' | cmp -s - $(REVSTAMP) || echo '$(VERSION) $(GIT_REV)' > $(REVSTAMP); })
endif
REV_USERS := $(shell grep -l 'MT_GIT_REV\|MT_VERSION' cli/*.c daemon/*.c lib/engine/*.c 2>/dev/null)
$(REV_USERS:%.c=$(B)/obj/%.o): $(REVSTAMP)

$(LIB): $(LIB_OBJS) $(OBJLIST)
	@mkdir -p $(dir $@)
	$(E) "  AR      $@"
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $(LIB_OBJS)

$(CLI): $(CLI_SRCS:%.c=$(B)/obj/%.o) $(WL_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(DAEMON): $(DAEMON_SRCS:%.c=$(B)/obj/%.o) $(WL_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/man/%: docs/man/%.in tools/man.sh $(BINS)
	@mkdir -p $(dir $@)
	$(E) "  MAN     $@"
	$(Q)sh tools/man.sh $(B)/bin $(VERSION) $(MAN_DATE) $< > $@.tmp && mv $@.tmp $@

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(WL_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench/%: $(B)/obj/tests/bench/%.o $(WL_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(FUZZ_B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(E) "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 $(WARNFLAGS) -pthread -O1 -g $(FUZZ_FLAGS) \
		-fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_B)/bin/%: $(FUZZ_B)/obj/tests/fuzz/%.o $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(E) "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) -pthread $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

# Each target for FUZZ_TIME seconds (default 600), from its seed corpus,
# new inputs kept under build/fuzz/corpus; crashes go to build/fuzz/crash-*.
fuzz: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_B)/corpus/$$t; \
		echo "== $$t, $(FUZZ_TIME) s"; \
		$(FUZZ_B)/bin/$$t -max_total_time=$(FUZZ_TIME) -max_len=131072 -timeout=10 \
			-artifact_prefix=$(FUZZ_B)/ -print_final_stats=1 \
			$(FUZZ_B)/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# Shell tests find the binaries through these.
export MT_BUILD := $(abspath $(B))
export MT_BIN := $(abspath $(B))/bin
export MT_SRC := $(CURDIR)
export MT_FUZZ_BIN := $(abspath $(FUZZ_B))/bin
# ... and make itself, with the same build (the install test)
export MT_MAKE_ARGS := CC=$(CC) SANITIZE=$(SANITIZE) BUILD=$(BUILD)

# The fuzz targets are built for the check where clang is there; the
# test that runs them says SKIP where it is not.
CHECK_FUZZ := $(if $(HAVE_FUZZ),$(FUZZ_BINS))

check: all $(CHECK_FUZZ)
	$(PROVE) $(PROVE_FLAGS) $(TEST_BINS) $(SHELL_TESTS)

check-unit: all
	$(PROVE) $(PROVE_FLAGS) $(TEST_BINS)

check-shell: all
	$(PROVE) $(PROVE_FLAGS) $(SHELL_TESTS)

run: all
	$(CLI) run configs/default.ini

bins: $(BINS)

# The bare paths, whole jobs at 1, 2 and 4 threads beside the same build
# with the checks compiled out (CHECKS=0: the detectors' overhead as a
# ratio), then kernel mode beside stress-ng.  BENCH_RUNTIME, BENCH_REPEAT.
BENCH_RUNTIME ?= 5s
BENCH_REPEAT ?= 3
bench: $(LIB) $(BENCH_BINS) $(BINS)
	@for b in $(BENCH_BINS); do echo "== $$b"; $$b || exit 1; done
	@$(MAKE) --no-print-directory CHECKS=0 bins >/dev/null
	@echo "== tools/bench-workloads.sh (checks = this build; nochecks = CHECKS=0)"
	@RUNTIME=$(BENCH_RUNTIME) REPEAT=$(BENCH_REPEAT) tools/bench-workloads.sh \
		checks=$(MT_BIN) nochecks=$(abspath $(B))-nochecks/bin
	@# kernel mode beside stress-ng (root; skips and says why otherwise)
	@echo "== tests/bench/bench_kernel.sh"; MT_BIN=$(MT_BIN) sh -c 'bash tests/bench/bench_kernel.sh'


soak: all
	MT_BIN=$(MT_BIN) tools/soak.sh configs/soak.ini

# The controlled scheduler's tables (long: not part of check).
sched-table: all
	MT_BIN=$(MT_BIN) tools/sched-table.sh

sched-clean: all
	MT_BIN=$(MT_BIN) tools/sched-clean.sh

# MUTATE_ARGS="--files lib/mm/vma.c --ops drop-put --max 20" narrows it.
MUTATE_ARGS ?=
mutate: $(CLI)
	CC=$(CC) python3 tools/mutate.py $(MUTATE_ARGS)

deps:
	sh tools/deps.sh test

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/configs \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/mmtorture $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/mmtorture
	install -m 0755 $(DAEMON) $(DESTDIR)$(SBINDIR)/mmtortured
	install -m 0644 configs/*.ini $(DESTDIR)$(DATADIR)/configs/
	install -m 0644 README.md docs/PROTOCOL.md $(DESTDIR)$(DATADIR)/
	install -m 0644 configs/grafana-dashboard.json $(DESTDIR)$(DATADIR)/
	for m in $(MAN_PAGES); do \
		install -m 0644 "$$m" $(DESTDIR)$(MANDIR)/man$${m##*.}/; \
	done
	for f in daemon/systemd/mmtortured.service daemon/systemd/mmtortured.socket; do \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
		    -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' "$$f" > $(DESTDIR)$(UNITDIR)/$$(basename "$$f"); \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename "$$f"); \
	done
	install -m 0644 daemon/systemd/sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/mmtorture.conf
	install -m 0644 daemon/systemd/kernel-mode.conf $(DESTDIR)$(DATADIR)/kernel-mode.conf
	@# an existing configuration is the administrator's: keep it
	[ -e $(DESTDIR)$(SYSCONFDIR)/mmtorture/mmtortured.conf ] || \
		install -m 0644 daemon/systemd/mmtortured.conf $(DESTDIR)$(SYSCONFDIR)/mmtorture/mmtortured.conf

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mmtorture $(DESTDIR)$(SBINDIR)/mmtortured
	rm -f $(DESTDIR)$(UNITDIR)/mmtortured.service $(DESTDIR)$(UNITDIR)/mmtortured.socket
	rm -f $(DESTDIR)$(SYSUSERSDIR)/mmtorture.conf
	rm -f $(DESTDIR)$(MANDIR)/man1/mmtorture.1 $(DESTDIR)$(MANDIR)/man5/mmtorture.jobfile.5 \
		$(DESTDIR)$(MANDIR)/man8/mmtortured.8
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -rf results/*/

help:
	@sed -n '1,/^$$/p' Makefile

-include $(wildcard $(B)/obj/*/*.d $(B)/obj/*/*/*.d $(FUZZ_B)/obj/*/*.d $(FUZZ_B)/obj/*/*/*.d)
