# lmd — build, test, bench, fuzz. `make` builds build/lmd; `make test` runs every test;
# `make serve` builds then serves. Dependencies come from scripts/deps.sh (run once per make).

CC       ?= cc
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)
CSTD     := -std=c11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Wshadow -Wvla -Wno-unused-parameter
ifeq ($(CI),true)
WARN     += -Werror
endif
OPT      ?= -O2 -g
CPPFLAGS := -Isrc -MMD -MP
CFLAGS   := $(CSTD) $(OPT) $(WARN) -pthread
LDLIBS   := -ljansson -lpcre2-8 -lmicrohttpd -lcurl -lcrypto -ledit -lz -lm -pthread

# Per-file target flags: SIMD kernels carry their ISA in the file name and are built for it,
# the rest of the binary stays baseline x86-64 so one binary runs anywhere (dispatch at start-up).
AVX2_FLAGS   := -mavx2 -mfma -mf16c
AVX512_FLAGS := -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni -mavx512bf16 -mfma -mf16c

MACHINE := $(shell $(CC) -dumpmachine)
LIB_DIRS := util gguf tensor tokenizer model kv sample chat template store engine server
LIB_SRC_ALL := $(foreach d,$(LIB_DIRS),$(wildcard src/$(d)/*.c))
ifneq (,$(findstring x86_64,$(MACHINE)))
LIB_SRC := $(filter-out %_neon.c,$(LIB_SRC_ALL))
else
LIB_SRC := $(filter-out %_avx2.c %_avx512.c,$(LIB_SRC_ALL))
endif
CLI_SRC  := $(wildcard src/cli/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
GOLD_SRC := $(wildcard tests/golden/test_*.c)

B ?= build
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
GOLD_BIN := $(GOLD_SRC:tests/golden/%.c=$(B)/tests/golden_%)

.PHONY: all deps lmd tests test asan fuzz bench serve clean
all: deps lmd

deps:
	@bash scripts/deps.sh

lmd: $(B)/lmd
tests: $(UNIT_BIN) $(GOLD_BIN) $(B)/lmd

$(B)/liblmd.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/lmd: $(CLI_OBJ) $(B)/liblmd.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(B)/liblmd.a $(LDLIBS)

$(B)/%_avx2.o: %_avx2.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(AVX2_FLAGS) -c -o $@ $<

$(B)/%_avx512.o: %_avx512.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(AVX512_FLAGS) -c -o $@ $<

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(B)/liblmd.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/liblmd.a $(LDLIBS)

$(B)/tests/golden_%: tests/golden/%.c $(B)/liblmd.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/liblmd.a $(LDLIBS)

# The test command of the README. Builds the normal and sanitizer trees, then runs every
# suite (scripts/test.sh prints one summary line at the end).
test: deps
	$(MAKE) --no-print-directory tests
	$(MAKE) --no-print-directory B=build-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" LDFLAGS="-fsanitize=address,undefined" tests
	bash scripts/test.sh

asan: deps
	$(MAKE) --no-print-directory B=build-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" LDFLAGS="-fsanitize=address,undefined" tests

FUZZ_SECONDS ?= 60
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

bench: deps lmd
	bash scripts/bench.sh

serve: all
	./$(B)/lmd serve

clean:
	rm -rf build build-asan build-fuzz build-arm64

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
