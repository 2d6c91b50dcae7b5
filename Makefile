# distguard - a firewall for Erlang distribution.
#
#   make          build build/distguard (release flags, -Werror)
#   make run      build, install missing packages, run on the embedded config
#   make test     release build, then the whole suite (unit, e2e, fuzz smoke)
#                 under AddressSanitizer + UndefinedBehaviorSanitizer
#   make check    the suite against the release build
#   make fuzz     long libFuzzer runs (FUZZ_SECONDS per harness)
#   make bench    benchmarks (not tests), see docs/BENCHMARKS.md
#   make demo     the seed RFC's halt scenario, with and without distguard
#   make interop  OTP 27 (a cached Debian trixie root), OTP 25 and Elixir
#                 through distguard, see tests/interop/run.sh

CC	?= cc
BUILD	?= build
EI_DIR	:= $(shell ls -d /usr/lib/erlang/lib/erl_interface-* 2>/dev/null | sort -V | tail -n 1)

WARN	 = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wno-unused-parameter
CFLAGS	?= -O2 -g
override CFLAGS	+= -std=c11 -D_GNU_SOURCE -D_REENTRANT $(WARN) -Iinclude $(MODULES:%=-I%) -I$(EI_DIR)/include \
	   -fno-strict-aliasing $(SAN)
override LDFLAGS	+= $(SAN)
LDLIBS	 = -L$(EI_DIR)/lib -lei -lev -lsodium -lnettle -lpthread -lm

ASAN	 = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

MODULES	 = core epmd handshake filter proxy
SRCS	 = $(filter-out core/main.c, $(foreach m,$(MODULES),$(wildcard $(m)/*.c)))
OBJS	 = $(SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNITS	 = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
HELPERS_SRCS = $(wildcard tests/helpers/*.c)
HELPERS	 = $(HELPERS_SRCS:tests/helpers/%.c=$(BUILD)/tests/%)

# `make run CONFIG=file` runs on a file; by default on the embedded
# configuration (the text of examples/distguard.conf).
CONFIG	?=

.PHONY: all deps run test check check-asan unit fuzz fuzz-smoke bench demo interop clean

all: deps $(BUILD)/distguard $(UNITS) $(HELPERS)

deps:
	@sh scripts/deps.sh

$(BUILD)/libdistguard.a: $(OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $(OBJS)

$(BUILD)/distguard: $(BUILD)/obj/core/main.o $(BUILD)/libdistguard.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libdistguard.a tests/unit/dg_test.h tests/unit/term_build.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libdistguard.a $(LDLIBS)

$(BUILD)/tests/%: tests/helpers/%.c $(BUILD)/libdistguard.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libdistguard.a $(LDLIBS)

run: all
	./$(BUILD)/distguard run $(if $(CONFIG),-c $(CONFIG))

# The suite runs once, under ASan+UBSan; the release build is still made
# (and must compile without warnings) first.
test: all
	@$(MAKE) --no-print-directory BUILD=build/asan SAN="$(ASAN)" CFLAGS="-O1 -g" $(if $(CC_ASAN),CC=$(CC_ASAN)) all
	@DG_BUILD=build/asan sh tests/run.sh

check-asan: test

check: all
	@DG_BUILD=$(BUILD) sh tests/run.sh

unit: all
	@DG_BUILD=$(BUILD) DG_ONLY=unit sh tests/run.sh

fuzz-smoke: deps
	@sh tests/fuzz/run.sh smoke

fuzz: deps
	@sh tests/fuzz/run.sh long

bench: all
	@sh bench/run.sh

demo: all
	@sh examples/demo/run.sh

# Against the release build: the suite is about interoperability, the
# sanitizers run in make test.
interop: all
	@sh scripts/deps.sh interop
	@DG_BUILD=$(BUILD) sh tests/interop/run.sh

clean:
	rm -rf build

-include $(OBJS:.o=.d) $(BUILD)/obj/core/main.d
