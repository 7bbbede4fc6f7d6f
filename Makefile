# gpt — build, test, install. `make` builds ./gpt; `make test` runs every test.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc

# OpenBLAS: prefer Debian's OpenMP build so BLAS and our own kernels share one
# thread pool (no two pools spinning at once); fall back to any OpenBLAS.
OPENBLAS_OMP := /usr/lib/x86_64-linux-gnu/openblas-openmp
ifneq ($(wildcard $(OPENBLAS_OMP)/libopenblas.so),)
  BLAS_CFLAGS := -I/usr/include/x86_64-linux-gnu/openblas-openmp
  BLAS_LIBS   := -L$(OPENBLAS_OMP) -Wl,-rpath,$(OPENBLAS_OMP) -lopenblas
else
  BLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null)
  BLAS_LIBS   := $(shell pkg-config --libs openblas 2>/dev/null || echo -lopenblas)
endif
CJSON_CFLAGS := $(shell pkg-config --cflags libcjson 2>/dev/null || echo -I/usr/include/cjson)
CJSON_LIBS   := $(shell pkg-config --libs libcjson 2>/dev/null || echo -lcjson)
UTF8_LIBS    := $(shell pkg-config --libs libutf8proc 2>/dev/null || echo -lutf8proc)
PCRE2_LIBS   := $(shell pkg-config --libs libpcre2-8 2>/dev/null || echo -lpcre2-8)

OPT      ?= -O2
# Calls that no longer match their declaration are errors, as in newer
# compilers: a helper left behind by a signature change must not build.
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Werror=incompatible-pointer-types -Werror=implicit-function-declaration
CFLAGS   ?=
# The library's folders: text/ (tokenizers, templates), model/ (config.json,
# safetensors, binding), decode/ (forward pass, generation, sampler), kernels/
# (products, norms, q8, widening); cli/ is the executable.
SRC_DIRS := src src/text src/model src/decode src/kernels
INCLUDES := -Iinclude $(SRC_DIRS:%=-I%) -Isrc/cli
# -ffp-contract=off: a * b + c stays a multiply and an add (clang fuses them
# by default, gcc in GNU modes), so the AVX2 kernels and their portable
# mirrors give the same bits with any compiler (tests/unit/test_ops.c).
CFLAGS   += -ffp-contract=off -std=c11 -D_GNU_SOURCE -DGPT_DATADIR='"$(PREFIX)/share/gpt"' $(OPT) -g $(WARN) -fopenmp $(INCLUDES) $(BLAS_CFLAGS) $(CJSON_CFLAGS)
LDLIBS   += $(BLAS_LIBS) $(CJSON_LIBS) $(UTF8_LIBS) $(PCRE2_LIBS) -fopenmp -lm

BUILD    ?= build
# The flags a build directory's objects were made with, rewritten when they
# change: objects and tests depend on it, so a build with another PREFIX
# (the share directory the binary holds), OPT or CC rebuilds them instead of
# linking old objects with new ones. (GNU make 4.2's $(file) reads it.)
FLAGS_FILE := $(BUILD)/flags
FLAGS_NOW  := $(CC) $(CFLAGS) $(LDFLAGS) $(LDLIBS)
ifneq ($(file <$(FLAGS_FILE)),$(FLAGS_NOW))
  $(shell mkdir -p $(BUILD))
  $(file >$(FLAGS_FILE),$(FLAGS_NOW))
endif
LIB_SRC  := $(wildcard $(SRC_DIRS:%=%/*.c))
CLI_SRC  := $(wildcard src/cli/*.c)
HEADERS  := include/gpt.h $(wildcard $(SRC_DIRS:%=%/*.h) src/cli/*.h)
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:src/%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BIN      ?= gpt
GPT      ?= ./$(BIN)

.PHONY: all run test test-unit test-asan test-clang-kernels bench deps clean install uninstall fuzz fuzz-build fuzz-seeds tools

all: $(BIN)

# The main job: install missing packages (when possible), build, generate.
run: deps gpt
	echo "Once upon a time" | $(GPT) generate -n 60 --seed 1

deps:
	@sh scripts/install-deps.sh

$(BIN): $(BUILD)/libgpt.a $(CLI_OBJ)
	$(CC) -o $@ $(CLI_OBJ) $(BUILD)/libgpt.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/libgpt.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: src/%.c $(HEADERS) $(FLAGS_FILE) | $(BUILD)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD) $(BUILD)/tests:
	mkdir -p $@

# (Written as the Makefile is read; the rule only keeps a `make clean all`,
# whose clean removes it, from stopping on a missing prerequisite.)
$(FLAGS_FILE): | $(BUILD)
	$(file >$@,$(FLAGS_NOW))

$(BUILD)/tests/%: tests/unit/%.c tests/unit/check.h tests/unit/alloc_count.h $(BUILD)/libgpt.a $(FLAGS_FILE) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libgpt.a $(LDFLAGS) $(LDLIBS)
# test_cli_json compiles src/cli/cli_json.c into itself.
$(BUILD)/tests/test_cli_json: src/cli/cli_json.c src/cli/cli_json.h

# Every test: C unit tests, golden tests, then shell tests of the CLI.
test: $(BIN) $(UNIT_BIN)
	@sh tests/run.sh $(BUILD)/tests $(GPT)

test-unit: $(UNIT_BIN)
	@sh tests/run.sh --unit-only $(BUILD)/tests $(GPT)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer (and
# LeakSanitizer), in its own build directory and binary.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
test-asan:
	$(MAKE) BUILD=build-asan BIN=gpt-asan OPT="-O1 $(SAN)" LDFLAGS="$(SAN)" test

bench: gpt
	sh scripts/bench.sh

# The kernel tests built with clang as well (its own build directory): the
# AVX2-vs-portable bit-for-bit checks must hold whatever compiles them.
CLANG_BUILD ?= build-clang
test-clang-kernels:
	$(MAKE) CC=clang BUILD=$(CLANG_BUILD) $(CLANG_BUILD)/tests/test_ops
	$(CLANG_BUILD)/tests/test_ops

# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang under ASan +
# UBSan in their own directory. Only the loaders and parsers they call are
# linked: no BLAS and no OpenMP (the pragmas are ignored), so a fuzz run is
# one thread. `make fuzz` runs each target FUZZ_TIME seconds over its seed
# corpus; findings land in tests/fuzz/findings/.
FUZZ_CC      ?= clang
FUZZ_BUILD   ?= build-fuzz
FUZZ_TIME    ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -ffp-contract=off -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) -Wno-unknown-pragmas $(INCLUDES) $(CJSON_CFLAGS) $(FUZZ_SAN) \
                -DGPT_FUZZ_MODEL_DIR='"$(CURDIR)/models/gpt2-books-30m"' -DGPT_FUZZ_HUB_DIR='"$(CURDIR)/tests/golden/tokenizers"'
FUZZ_SRC     := src/model/config.c src/kernels/convert.c src/model/model.c src/kernels/quant.c src/model/safetensors.c src/hugemem.c \
                src/status.c src/text/tokenizer.c src/text/tokenizer_json.c src/text/bpe.c src/text/normalize.c \
                src/text/pretokenize.c src/text/regex.c src/text/decode.c src/text/jinja_parse.c src/text/jinja_eval.c \
                src/cli/cli_request.c src/cli/cli_json.c src/cli/cli_messages.c
FUZZ_OBJ     := $(FUZZ_SRC:src/%.c=$(FUZZ_BUILD)/%.o)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)
.SECONDARY: $(FUZZ_OBJ)

fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TIME) $(FUZZ_TARGETS)

# Every committed seed once through its target, no mutation: a deterministic
# regression test (the regress-* seeds once failed). .ci/run runs it.
fuzz-seeds: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	    $(FUZZ_BUILD)/$$t -runs=0 tests/fuzz/corpus/$$t >$(FUZZ_BUILD)/$$t.seeds.log 2>&1 && \
	        echo "ok   fuzz seeds: $$t ($$(ls tests/fuzz/corpus/$$t | wc -l) inputs)" || \
	        { echo "FAIL fuzz seeds: $$t"; tail -30 $(FUZZ_BUILD)/$$t.seeds.log; exit 1; }; \
	done

$(FUZZ_BUILD)/%.o: src/%.c $(HEADERS) | $(FUZZ_BUILD)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(CJSON_LIBS) $(UTF8_LIBS) $(PCRE2_LIBS) -lm

$(FUZZ_BUILD):
	mkdir -p $@

clean:
	rm -rf $(BUILD) build-asan $(CLANG_BUILD) $(FUZZ_BUILD) gpt gpt-asan

# `make clean all -j2` (or clean beside any goal): clean must finish before
# anything is built, or it deletes objects as they are written. GNU make
# 4.3 has no .WAIT, so such a run is serial throughout.
ifneq ($(filter clean,$(MAKECMDGOALS)),)
ifneq ($(filter-out clean,$(MAKECMDGOALS)),)
.NOTPARALLEL:
endif
endif

# Installs the binary, the bundled model, the man page and the bash
# completion under $(DESTDIR)$(PREFIX). An installed gpt finds the model in
# <its directory>/../share/gpt, so DESTDIR trees work where they land.
BINDIR  = $(DESTDIR)$(PREFIX)/bin
DATADIR = $(DESTDIR)$(PREFIX)/share/gpt
MANDIR  = $(DESTDIR)$(PREFIX)/share/man/man1
COMPDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions

install: $(BIN)
	install -d $(BINDIR) $(DATADIR)/models/gpt2-books-30m $(MANDIR) $(COMPDIR)
	install -m 755 gpt $(BINDIR)/gpt
	install -m 644 models/gpt2-books-30m/* $(DATADIR)/models/gpt2-books-30m/
	install -m 644 docs/gpt.1 $(MANDIR)/gpt.1
	install -m 644 scripts/gpt.bash-completion $(COMPDIR)/gpt

# Removes only what install put there; directories go when left empty.
MODEL_FILES = $(notdir $(wildcard models/gpt2-books-30m/*))
uninstall:
	rm -f $(BINDIR)/gpt $(MANDIR)/gpt.1 $(COMPDIR)/gpt
	rm -f $(addprefix $(DATADIR)/models/gpt2-books-30m/,$(MODEL_FILES))
	rmdir $(DATADIR)/models/gpt2-books-30m $(DATADIR)/models $(DATADIR) 2>/dev/null || true

# Every helper program under scripts/ (.ci/run builds them, so a library
# change that breaks one fails there).
TOOLS := bench-template render-template bench-sampler make-random-model bench-tokenize bench-kernels
tools: $(TOOLS:%=$(BUILD)/%)

# Time to parse and render the chat-template fixtures (BENCHMARKS.md).
$(BUILD)/bench-template: scripts/bench-template.c $(BUILD)/libgpt.a | $(BUILD)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libgpt.a $(LDFLAGS) $(LDLIBS)

# Renders one template with one context (tests/fuzz/diff-template.py).
$(BUILD)/render-template: scripts/render-template.c $(BUILD)/libgpt.a | $(BUILD)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libgpt.a $(LDFLAGS) $(LDLIBS)

# The sampler's cost per token on a GPT-2 vocabulary (scripts/bench-sampling.sh).
$(BUILD)/bench-sampler: scripts/bench-sampler.c $(BUILD)/libgpt.a | $(BUILD)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libgpt.a $(LDFLAGS) $(LDLIBS)

# A GPT-2-shaped model with random weights, for benchmarks (not shipped).
$(BUILD)/make-random-model: scripts/make-random-model.c | $(BUILD)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARN) -o $@ $< -lm

# The tokenizer alone, in one process: load time and encode MB/s (BENCHMARKS.md).
$(BUILD)/bench-tokenize: scripts/bench-tokenize.c $(BUILD)/libgpt.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libgpt.a $(LDFLAGS) $(LDLIBS)

# matmul_t alone at the Llama/Qwen shapes, beside the bandwidth (BENCHMARKS.md).
$(BUILD)/bench-kernels: scripts/bench-kernels.c $(BUILD)/libgpt.a | $(BUILD)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libgpt.a $(LDFLAGS) $(LDLIBS)
