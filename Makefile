# SPDX-License-Identifier: Apache-2.0
# distguard - a firewall for Erlang distribution.
#
#   make          build build/distguard, the tests and the Erlang module
#                 (release flags, -Werror); installs nothing
#   make deps     install the Debian packages the build and the suite need
#   make run      build, install missing packages, run on the embedded config
#   make test     release build, then the whole suite (unit, e2e, fuzz smoke)
#                 under AddressSanitizer + UndefinedBehaviorSanitizer
#   make depcheck the include rules of the floors (scripts/depcheck.py)
#   make check    the suite against the release build
#   make fuzz     long libFuzzer runs (FUZZ_SECONDS per harness), then the
#                 live fuzzer's long run (make fuzz-live)
#   make fuzz-live  admitted messages against real nodes through distguard
#                 (LIVEFUZZ_OTP=25|27, LIVEFUZZ_MESSAGES; tests/livefuzz/run.sh)
#   make bench    benchmarks (not tests), see docs/BENCHMARKS.md
#   make demo     the seed RFC's halt scenario, with and without distguard
#   make interop  OTP 25, 27 and 29 (cached Debian trixie and forky roots)
#                 and Elixir 1.14/1.20 through distguard, see tests/interop/run.sh
#   make install  binary, man pages, example and service configuration,
#                 systemd unit, under DESTDIR/PREFIX (docs/SERVICE.md)
#   make deb      the Debian package (dpkg-buildpackage -b -us -uc), in build/deb-out

CC	?= cc
BUILD	?= build
EI_DIR	:= $(shell ls -d /usr/lib/erlang/lib/erl_interface-* 2>/dev/null | sort -V | tail -n 1)

WARN	 = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wno-unused-parameter
CFLAGS	?= -O2 -g
# Each module sees include/ and its own folder; a header of another module
# is named by its path ("filter/rules.h"), from the top (-I.).
override CFLAGS	+= -std=c11 -D_GNU_SOURCE -D_REENTRANT $(WARN) -Iinclude -I. \
	   -fno-strict-aliasing $(SAN)
override LDFLAGS	+= $(SAN)
LDLIBS	 = -lev -lsodium -lnettle -lnftables -lpthread -lm
# systemd's readiness protocol through libsystemd's sd_notify when its
# headers are there (scripts/deps.sh installs libsystemd-dev); else
# daemon/notify.c speaks the same protocol itself.  SYSTEMD=no forces that.
SYSTEMD	?= $(shell pkg-config --exists libsystemd 2>/dev/null && echo yes)
ifeq ($(SYSTEMD),yes)
override CFLAGS	+= -DDG_HAVE_LIBSYSTEMD
LDLIBS	+= -lsystemd
endif
# ei is not used by the daemon: only by the tests that check our decoders
# against it (test_term, test_deny, test_dist_ctl) and the C node helper.
EI_LIBS	 = -L$(EI_DIR)/lib -lei
# Tests reach into every module, and ei's headers.
TEST_INC = $(MODULES:%=-I%) -I$(EI_DIR)/include

ASAN	 = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

MODULES	 = core conf link handshake filter epmd proxy daemon
SRCS	 = $(filter-out daemon/main.c, $(foreach m,$(MODULES),$(wildcard $(m)/*.c)))
# The embedded default configuration is generated from its one copy,
# examples/distguard.conf (scripts/gen-conf-default.sh).
GEN_SRCS = $(BUILD)/gen/conf_default.c
OBJS	 = $(SRCS:%.c=$(BUILD)/obj/%.o) $(GEN_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNITS	 = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
HELPERS_SRCS = $(wildcard tests/helpers/*.c)
HELPERS	 = $(HELPERS_SRCS:tests/helpers/%.c=$(BUILD)/tests/%)

# `make run CONFIG=file` runs on a file; by default on the embedded
# configuration (the text of examples/distguard.conf).
CONFIG	?=

# Installation (make install): GNU-style directories under PREFIX, all
# relative to DESTDIR.  With PREFIX=/usr the configuration goes to /etc.
PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/distguard
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR	?= $(PREFIX)/lib/systemd/system
# The Erlang side: distguard_epmd (erl/), the EPMD module of protected
# nodes, installed as the OTP library distguard-VERSION.  With PREFIX=/usr
# that is in OTP's own lib directory, where every node finds it without -pa.
ERLLIBDIR ?= $(PREFIX)/lib/erlang/lib
ERL_EBIN ?= $(BUILD)/erl/ebin
ERL_SRCS = $(wildcard erl/*.erl)
ERL_OUT	 = $(ERL_SRCS:erl/%.erl=$(ERL_EBIN)/%.beam) $(ERL_EBIN)/distguard.app
VERSION	:= $(shell sed -n 's/^\#define DG_VERSION[[:space:]]*"\(.*\)"/\1/p' daemon/main.c)
INSTALL	?= install

.PHONY: all deps depcheck run test check check-asan unit fuzz fuzz-smoke fuzz-live bench demo interop \
	clean install install-erlang uninstall deb

all: $(BUILD)/distguard $(ERL_OUT) $(UNITS) $(HELPERS) $(BUILD)/tests/dg_read

# `make` (all) only builds.  Installing the Debian packages the build and
# the suite need is this explicit target (scripts/deps.sh: apt-get, as root,
# for what is missing); the targets that run something call it first,
# then build through a second make so that -j never builds before it.
deps:
	@sh scripts/deps.sh

BUILT	 = @$(MAKE) --no-print-directory all

# Rebuilt from scratch: `ar r` alone would keep the member of a source
# that is gone (core/conf_default.o, now generated) and link it twice.
$(BUILD)/libdistguard.a: $(OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(OBJS)

$(BUILD)/distguard: $(BUILD)/obj/daemon/main.o $(BUILD)/libdistguard.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(ERL_EBIN)/%.beam: erl/%.erl
	@mkdir -p $(@D)
	erlc -Wall +warnings_as_errors -o $(@D) $<

$(ERL_EBIN)/distguard.app: erl/distguard.app.src daemon/main.c
	@mkdir -p $(@D)
	sed 's/@VERSION@/$(VERSION)/' erl/distguard.app.src > $@

$(BUILD)/gen/conf_default.c: examples/distguard.conf scripts/gen-conf-default.sh
	sh scripts/gen-conf-default.sh examples/distguard.conf $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(<D) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libdistguard.a tests/unit/dg_test.h tests/unit/term_build.h tests/unit/hs_test.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_INC) -Itests/unit -o $@ $< $(BUILD)/libdistguard.a $(LDLIBS) $(EI_LIBS) $(UNIT_LDFLAGS)

# Every allocation of test_oom goes through its own failing wrappers.
$(BUILD)/tests/test_oom: UNIT_LDFLAGS = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc

$(BUILD)/tests/%: tests/helpers/%.c $(BUILD)/libdistguard.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_INC) -o $@ $< $(BUILD)/libdistguard.a $(LDLIBS) $(EI_LIBS)

# The differential fuzzer's reader (tests/difffuzz/dgdiff.erl).
# It needs only libc, so that it also runs inside the OTP 27 and 29 roots
# (scripts/otp-root.sh): --as-needed drops the daemon's libraries.
$(BUILD)/tests/dg_read: tests/difffuzz/dg_read.c $(BUILD)/libdistguard.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_INC) -o $@ $< -Wl,--as-needed $(BUILD)/libdistguard.a $(LDLIBS)

run: deps
	$(BUILT)
	./$(BUILD)/distguard run $(if $(CONFIG),-c $(CONFIG))

# The suite runs once, under ASan+UBSan; the release build is still made
# (and must compile without warnings) first.
test: deps
	$(BUILT)
	@sh scripts/spdx.sh --check
	@$(MAKE) --no-print-directory depcheck
	@$(MAKE) --no-print-directory BUILD=build/asan SAN="$(ASAN)" CFLAGS="-O1 -g" $(if $(CC_ASAN),CC=$(CC_ASAN)) all
	@DG_BUILD=build/asan sh tests/run.sh

# The floors' include rules (docs/ARCHITECTURE.md): nothing includes a
# floor above its own or a module beside it, include/ is vocabulary only,
# and no includes run in a circle.  FILE:LINE for each violation.
depcheck:
	@python3 scripts/depcheck.py

check-asan: test

check: deps
	$(BUILT)
	@DG_BUILD=$(BUILD) sh tests/run.sh

unit: deps
	$(BUILT)
	@DG_BUILD=$(BUILD) DG_ONLY=unit sh tests/run.sh

fuzz-smoke: deps
	@sh tests/fuzz/run.sh smoke

fuzz: deps
	$(BUILT)
	@sh tests/fuzz/run.sh long
	@DG_BUILD=$(BUILD) sh tests/difffuzz/run.sh long
	@$(MAKE) --no-print-directory fuzz-live

# The live fuzzer against the release build: B is a real OTP node
# (LIVEFUZZ_OTP, 25 by default), see tests/livefuzz/run.sh.
fuzz-live: deps
	$(BUILT)
	@DG_BUILD=$(BUILD) bash tests/livefuzz/run.sh

bench: deps
	$(BUILT)
	@sh bench/run.sh

demo: deps
	$(BUILT)
	@sh examples/demo/run.sh

# Against the release build: the suite is about interoperability, the
# sanitizers run in make test.
interop: deps
	$(BUILT)
	@sh scripts/deps.sh interop
	@DG_BUILD=$(BUILD) sh tests/interop/run.sh

# Installs what a host needs to run distguard; never overwrites a
# configuration already in SYSCONFDIR.  Ownership (root:distguard for the
# configuration) is the package's or the operator's job: DESTDIR installs
# run unprivileged, and the account may not exist yet (docs/SERVICE.md).
install: $(BUILD)/distguard install-erlang
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)/examples \
	    $(DESTDIR)$(SYSCONFDIR)/distguard $(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 0755 $(BUILD)/distguard $(DESTDIR)$(SBINDIR)/distguard
	$(INSTALL) -m 0644 man/distguard.8 $(DESTDIR)$(MANDIR)/man8/distguard.8
	$(INSTALL) -m 0644 man/distguard.conf.5 $(DESTDIR)$(MANDIR)/man5/distguard.conf.5
	$(INSTALL) -m 0644 examples/distguard.conf $(DESTDIR)$(DOCDIR)/examples/distguard.conf
	$(INSTALL) -m 0644 dist/distguard.conf $(DESTDIR)$(DOCDIR)/examples/distguard.service.conf
	# The documents the man pages cite (distguard(8), distguard.conf(5)).
	$(INSTALL) -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	[ -e $(DESTDIR)$(SYSCONFDIR)/distguard/distguard.conf ] || { \
	    sed 's|/etc/distguard/|$(SYSCONFDIR)/distguard/|g' dist/distguard.conf \
	        > $(DESTDIR)$(SYSCONFDIR)/distguard/distguard.conf && \
	    chmod 0640 $(DESTDIR)$(SYSCONFDIR)/distguard/distguard.conf; }
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    dist/distguard.service.in > $(DESTDIR)$(UNITDIR)/distguard.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/distguard.service

# distguard_epmd as the OTP library distguard-VERSION (ebin/ with the
# .beam files and distguard.app).
install-erlang: $(ERL_OUT)
	$(INSTALL) -d $(DESTDIR)$(ERLLIBDIR)/distguard-$(VERSION)/ebin
	$(INSTALL) -m 0644 $(ERL_OUT) $(DESTDIR)$(ERLLIBDIR)/distguard-$(VERSION)/ebin/

# Leaves the configuration in SYSCONFDIR, as package removal does.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/distguard $(DESTDIR)$(MANDIR)/man8/distguard.8 \
	    $(DESTDIR)$(MANDIR)/man5/distguard.conf.5 \
	    $(DESTDIR)$(UNITDIR)/distguard.service
	rm -rf $(DESTDIR)$(DOCDIR) $(DESTDIR)$(ERLLIBDIR)/distguard-$(VERSION)

# The Debian package, built from a copy of the tree so that
# dpkg-buildpackage's output (written next to the source) stays in build/.
deb: deps
	@sh scripts/build-deb.sh build/deb-out

clean:
	rm -rf build

-include $(OBJS:.o=.d) $(BUILD)/obj/daemon/main.d
