# mmtorture - a torture tester for the refcount and RCU-reclamation
# protocols of Linux memory management.
#
#   make            build (installs missing Debian packages when root)
#   make check      build and run every test with prove
#   make run        run configs/default.ini in the foreground
#   make bench      microbenchmarks (not tests)
#   make mutate     mutation testing of the models (tools/mutate.py; long)
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       install the missing Debian packages (root)
#   make SANITIZE=address,undefined check   the same tests, sanitized
#   make CC=clang   build with clang

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share/mmtorture
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
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

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

PKGS := liburcu-memb liburcu-qsbr liburcu-mb liburcu-bp hwloc numa inih jansson libsystemd

# Dependencies are checked (and installed, as root) before anything that
# needs them is built.  Goals that only clean or list need nothing.
NODEPS_GOALS := clean distclean help deps
ifneq ($(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
DEPS_RC := $(shell sh tools/deps.sh >&2; echo $$?)
ifneq ($(DEPS_RC),0)
$(error missing packages: see the apt-get line above)
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
endif

CFLAGS ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
override CFLAGS += -std=gnu11 $(WARNFLAGS) -pthread $(SANFLAGS) -MMD -MP
override CPPFLAGS += -D_GNU_SOURCE -Ilib -I. $(PKG_CFLAGS) \
	-DMT_VERSION='"$(VERSION)"' -DMT_GIT_REV='"$(GIT_REV)"'
override LDFLAGS += -pthread $(SANFLAGS)
LDLIBS := $(PKG_LIBS) -lm

# LIB_EXCLUDE= leaves files out of the library (a model being written);
# TESTS= limits the unit tests built and run (names: t_slab t_mm ...).
LIB_EXCLUDE ?=
LIB_SRCS := $(filter-out $(LIB_EXCLUDE),$(wildcard lib/core/*.c lib/mm/*.c lib/engine/*.c workloads/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/%.o)
LIB := $(B)/libmmtorture.a

CLI_SRCS := $(wildcard daemon/cli*.c daemon/client.c daemon/proto.c)
DAEMON_SRCS := $(wildcard daemon/mmtortured.c daemon/daemon*.c daemon/proto.c)
CLI := $(B)/bin/mmtorture
DAEMON := $(B)/bin/mmtortured
BINS := $(CLI) $(DAEMON)

ifneq ($(TESTS),)
TEST_SRCS := $(TESTS:%=tests/unit/%.c)
else
TEST_SRCS := $(wildcard tests/unit/t_*.c)
endif
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(B)/tests/%)
SHELL_TESTS := $(sort $(wildcard tests/cli/*.sh) $(wildcard tests/service/*.sh))
BENCH_SRCS := $(wildcard tests/bench/bench_*.c)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(B)/bench/%)

PROVE ?= prove
PROVE_FLAGS ?=

.SECONDARY:
.PHONY: all check check-unit check-shell run bench install uninstall clean distclean deps help soak mutate

all: $(LIB) $(BINS) $(TEST_BINS)

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
REV_USERS := $(shell grep -l 'MT_GIT_REV\|MT_VERSION' daemon/*.c lib/engine/*.c 2>/dev/null)
$(REV_USERS:%.c=$(B)/obj/%.o): $(REVSTAMP)

$(LIB): $(LIB_OBJS) $(OBJLIST)
	@mkdir -p $(dir $@)
	$(E) "  AR      $@"
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $(LIB_OBJS)

$(CLI): $(CLI_SRCS:%.c=$(B)/obj/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(DAEMON): $(DAEMON_SRCS:%.c=$(B)/obj/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench/%: $(B)/obj/tests/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Shell tests find the binaries through these.
export MT_BUILD := $(abspath $(B))
export MT_BIN := $(abspath $(B))/bin
export MT_SRC := $(CURDIR)

check: all
	$(PROVE) $(PROVE_FLAGS) $(TEST_BINS) $(SHELL_TESTS)

check-unit: all
	$(PROVE) $(PROVE_FLAGS) $(TEST_BINS)

check-shell: all
	$(PROVE) $(PROVE_FLAGS) $(SHELL_TESTS)

run: all
	$(CLI) run configs/default.ini

bench: $(LIB) $(BENCH_BINS)
	@for b in $(BENCH_BINS); do echo "== $$b"; $$b || exit 1; done

soak: all
	$(CLI) run configs/soak.ini

# MUTATE_ARGS="--files lib/mm/vma.c --ops drop-put --max 20" narrows it.
MUTATE_ARGS ?=
mutate: $(CLI)
	CC=$(CC) python3 tools/mutate.py $(MUTATE_ARGS)

deps:
	sh tools/deps.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/configs \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/mmtorture $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/mmtorture
	install -m 0755 $(DAEMON) $(DESTDIR)$(SBINDIR)/mmtortured
	install -m 0644 configs/*.ini $(DESTDIR)$(DATADIR)/configs/
	install -m 0644 README.md daemon/PROTOCOL.md $(DESTDIR)$(DATADIR)/
	for f in daemon/systemd/mmtortured.service daemon/systemd/mmtortured.socket; do \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
		    -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' "$$f" > $(DESTDIR)$(UNITDIR)/$$(basename "$$f"); \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename "$$f"); \
	done
	install -m 0644 daemon/systemd/sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/mmtorture.conf
	@# an existing configuration is the administrator's: keep it
	[ -e $(DESTDIR)$(SYSCONFDIR)/mmtorture/mmtortured.conf ] || \
		install -m 0644 daemon/systemd/mmtortured.conf $(DESTDIR)$(SYSCONFDIR)/mmtorture/mmtortured.conf

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mmtorture $(DESTDIR)$(SBINDIR)/mmtortured
	rm -f $(DESTDIR)$(UNITDIR)/mmtortured.service $(DESTDIR)$(UNITDIR)/mmtortured.socket
	rm -f $(DESTDIR)$(SYSUSERSDIR)/mmtorture.conf
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -rf results/*/

help:
	@sed -n '1,15p' Makefile

-include $(wildcard $(B)/obj/*/*.d $(B)/obj/*/*/*.d)
