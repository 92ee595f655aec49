# crystalline — build the library (libprimemath), the CLIs (cllm, primemath) and the tests.
#   make                 library + CLIs into build/
#   make test            build and run every test (cmocka binaries and CLI scripts)
#   make test SANITIZE=1 the same under ASan+UBSan, in build-san/
#   make CC=clang        any C11 compiler; BUILD=dir to keep trees apart
#   make demo            install what is missing, fetch the Brown corpus, train tiny, sample
#   make install PREFIX=/usr/local [DESTDIR=stage]   headers, static and shared libraries, CLIs, pkg-config files
#   make MPI=1           also the MPI-enabled cllm in build-mpi/ (mpirun -np N build-mpi/cllm train ...)
# Sources are found by wildcard: a new .c file under src/, tools/<cli>/ or tests/ needs no edit here.
# Files named *_avx2.c / *_avx512.c / *_avx512bf16.c get their instruction-set flags; nothing else does, so the
# binaries run on any x86-64 and pick kernels at run time.

BUILD    ?= build
SANITIZE ?= 0
BLAS     ?= none
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
# One version for both libraries and CLIs, in the VERSION file; the shared libraries' soname carries its major.
VERSION  := $(shell cat VERSION)
SOMAJOR  := $(firstword $(subst ., ,$(VERSION)))

CPPFLAGS += -Iinclude -Isrc -Isrc/cllm -Isrc/plot -Itests/support -D_GNU_SOURCE
CFLAGS   ?= -O2 -g
# -fvisibility=hidden: only what the public headers mark CLLM_API / PM_API is exported from the shared libraries.
CFLAGS   += -std=c11 -Wall -Wextra -fPIC -fopenmp -fvisibility=hidden -MMD -MP
LDFLAGS  += -fopenmp
LDLIBS   := -lprimesieve -lflint -lmpfr -lgmp -lutf8proc -ljansson -lm -lpthread

ifeq ($(SANITIZE),1)
  BUILD    := build-san
  CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS  += -fsanitize=address,undefined
endif
ifeq ($(SANITIZE),fuzz)  # make fuzz: the library instrumented for libFuzzer (clang only)
  BUILD    := build-fuzz
  CFLAGS   += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS  += -fsanitize=address,undefined
endif
# UBSan's checks can stop clang vectorizing a `#pragma omp simd` loop, and clang then warns that it could not: in a
# sanitizer build that is expected, and the plain builds keep the warning.
ifneq ($(SANITIZE),)
  ifneq ($(findstring clang,$(CC)),)
    CFLAGS += -Wno-pass-failed
  endif
endif
ifeq ($(BLAS),openblas)
  CPPFLAGS += -DCLLM_USE_OPENBLAS
  LDLIBS   += -lopenblas
endif

# Instruction-set flags exist on x86-64 only; elsewhere those files build (to nothing) with the plain flags.
ifeq ($(shell uname -m),x86_64)
  AVX2_FLAGS   := -mavx2 -mfma -mf16c
  AVX512_FLAGS := -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -mf16c
  # bf16 and int8 dot products (vdpbf16ps, vpdpbusd): only *_avx512bf16.c, behind the run-time dispatch.
  AVX512BF16_FLAGS := $(AVX512_FLAGS) -mavx512bf16 -mavx512vnni
endif

# Two libraries: libprimemath (src/primemath: primes, spirals, lattices, and src/base: errors, PRNG, which every
# part uses) and libcllm (src/cllm/<area>/: the model, tokenizer, data, files, kernels, training), which uses
# libprimemath for the crystalline options.
PM_SRC   := $(sort $(wildcard src/base/*.c src/primemath/*.c))
PM_OBJ   := $(PM_SRC:%.c=$(BUILD)/%.o)
CLLM_SRC := $(sort $(wildcard src/cllm/*/*.c))
# libcllmplot: cairo charts shared by `cllm plot` and the app, kept out of libcllm so libcllm needs no cairo.
PLOT_SRC := $(sort $(wildcard src/plot/*.c))
PLOT_OBJ := $(PLOT_SRC:%.c=$(BUILD)/%.o)
CLLM_OBJ := $(CLLM_SRC:%.c=$(BUILD)/%.o)
LIBS_A   := $(BUILD)/libcllm.a $(BUILD)/libprimemath.a
CLI_NAMES:= $(notdir $(patsubst %/,%,$(sort $(dir $(wildcard tools/*/*.c)))))
CLI_BINS := $(CLI_NAMES:%=$(BUILD)/%)
SUP_SRC  := $(wildcard tests/support/*.c)
SUP_OBJ  := $(SUP_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(sort $(wildcard tests/*/test_*.c tests/*/*/test_*.c))
TEST_BINS:= $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))

# Extra libraries a CLI needs beyond the library's own (cairo draws the spiral PNGs and the loss curves).
primemath_LIBS := -lcairo
cllm_LIBS      := $(BUILD)/libcllmplot.a -lcairo

.PHONY: all lib test demo clean mpi
all: lib $(CLI_BINS)
lib: $(LIBS_A) $(BUILD)/libprimemath.so $(BUILD)/libcllm.so

$(BUILD)/%_avx2.o: %_avx2.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(AVX2_FLAGS) -c $< -o $@
$(BUILD)/%_avx512.o: %_avx512.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(AVX512_FLAGS) -c $< -o $@
$(BUILD)/%_avx512bf16.o: %_avx512bf16.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(AVX512BF16_FLAGS) -c $< -o $@
$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/libprimemath.a: $(PM_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^
$(BUILD)/libcllm.a: $(CLLM_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^
$(BUILD)/libcllmplot.a: $(PLOT_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^
$(BUILD)/cllm: $(BUILD)/libcllmplot.a
$(BUILD)/src/base/version.o: CPPFLAGS += -DCLLM_VERSION_STRING='"$(VERSION)"'
$(BUILD)/src/base/version.o: VERSION
# Shared libraries: lib*.so.VERSION with soname lib*.so.MAJOR, and the two links to it (runtime and link time).
SO_LDFLAGS := -Wl,--version-script=scripts/exports.map
$(BUILD)/libprimemath.so: $(PM_OBJ) scripts/exports.map
	$(CC) -shared -Wl,-soname,libprimemath.so.$(SOMAJOR) $(SO_LDFLAGS) $(LDFLAGS) -o $@.$(VERSION) $(PM_OBJ) $(LDLIBS)
	ln -sf libprimemath.so.$(VERSION) $@.$(SOMAJOR) && ln -sf libprimemath.so.$(SOMAJOR) $@
$(BUILD)/libcllm.so: $(CLLM_OBJ) $(BUILD)/libprimemath.so scripts/exports.map
	$(CC) -shared -Wl,-soname,libcllm.so.$(SOMAJOR) $(SO_LDFLAGS) $(LDFLAGS) -o $@.$(VERSION) $(CLLM_OBJ) -L$(BUILD) -lprimemath \
	  $(LDLIBS)
	ln -sf libcllm.so.$(VERSION) $@.$(SOMAJOR) && ln -sf libcllm.so.$(SOMAJOR) $@

define CLI_RULE
$(BUILD)/$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard tools/$(1)/*.c)) $(LIBS_A)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $(LIBS_A) $$(LDLIBS) $$($(1)_LIBS)
endef
$(foreach c,$(CLI_NAMES),$(eval $(call CLI_RULE,$(c))))

# A test's own link flags: NAME_LDFLAGS (test_positions_fault replaces libprimemath's pm_spiral_features with a
# wrapper that can fail, to reach the error paths an allocation failure would)
test_positions_fault_LDFLAGS := -Wl,--wrap=pm_spiral_features
$(TEST_BINS): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(SUP_OBJ) $(LIBS_A)
	$(CC) $(LDFLAGS) -o $@ $< $(SUP_OBJ) $(LIBS_A) $(LDLIBS) -lcmocka $($(notdir $@)_LDFLAGS)

# ---- MPI: the cllm CLI once more, with tools/cllm/mpi/ and -DCLLM_MPI, into $(BUILD)-mpi/, linked against the
# same libraries (the library has no MPI in it: multi-process training is the trainer with a communicator the CLI
# provides). `make MPI=1` builds it; `make test` builds it whenever mpicc is installed, and its tests skip otherwise.
MPICC     ?= mpicc
HAVE_MPI  := $(shell command -v $(MPICC) >/dev/null 2>&1 && echo 1)
MPI_BUILD  = $(BUILD)-mpi
MPI_FLAGS  = $(shell $(MPICC) --showme:compile) -DCLLM_MPI -Itools/cllm -Itools/cllm/mpi
MPI_LIBS   = $(shell $(MPICC) --showme:link)
MPI_CLI_OBJ = $(patsubst %.c,$(MPI_BUILD)/%.o,$(wildcard tools/cllm/*.c tools/cllm/mpi/*.c))
$(MPI_BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(MPI_FLAGS) $(CFLAGS) -c $< -o $@
$(MPI_BUILD)/cllm: $(MPI_CLI_OBJ) $(LIBS_A) $(BUILD)/libcllmplot.a
	$(CC) $(LDFLAGS) -o $@ $(MPI_CLI_OBJ) $(LIBS_A) $(LDLIBS) $(cllm_LIBS) $(MPI_LIBS)
$(MPI_BUILD)/allreduce_bench: $(MPI_BUILD)/bench/mpi/allreduce_bench.o $(MPI_BUILD)/tools/cllm/mpi/comm_mpi.o $(LIBS_A)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBS_A) $(LDLIBS) $(MPI_LIBS)
mpi: $(MPI_BUILD)/cllm $(MPI_BUILD)/allreduce_bench
ifeq ($(MPI),1)
all: mpi
endif
ifeq ($(HAVE_MPI),1)
test: mpi
endif

test: all $(TEST_BINS)
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) CC=$(CC) bash scripts/run-tests.sh $(TEST_BINS)

# Installs into $(DESTDIR)$(PREFIX): include/, lib/ (static, shared with soname links, pkgconfig/), bin/.
install: all
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/*.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(LIBS_A) $(DESTDIR)$(LIBDIR)/
	for l in libprimemath libcllm; do \
	  install -m 755 $(BUILD)/$$l.so.$(VERSION) $(DESTDIR)$(LIBDIR)/ && \
	  ln -sf $$l.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$$l.so.$(SOMAJOR) && \
	  ln -sf $$l.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/$$l.so || exit 1; \
	done
	for pc in cllm primemath; do \
	  sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    scripts/$$pc.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/$$pc.pc || exit 1; \
	done
	install -m 755 $(CLI_BINS) $(DESTDIR)$(PREFIX)/bin/

# ---- fuzzing (tests/fuzz/) -------------------------------------------------------------------------------------
# One harness per loader, tests/fuzz/fuzz_NAME.c. `make fuzz` (clang) links each with libFuzzer into
# build-fuzz/fuzz_NAME; bench/fuzz.sh runs them. `make test` links the same harnesses with replay.c (any compiler)
# and tests/fuzz/replay.sh feeds them every kept input in tests/fuzz/regressions/NAME/.
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
REPLAY_BINS  := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/replay_%)
FUZZ_BINS    := $(FUZZ_NAMES:%=$(BUILD)/fuzz_%)
fuzz_args_EXTRA := $(BUILD)/tools/cllm/args.o -Wl,--wrap=exit   # the flag parser, its exit(2) caught
$(BUILD)/tests/fuzz/%.o: CPPFLAGS += -Itools/cllm
$(REPLAY_BINS): $(BUILD)/tests/fuzz/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o \
                $(BUILD)/tests/fuzz/common.o $(BUILD)/tools/cllm/args.o $(LIBS_A)
	$(CC) $(LDFLAGS) -o $@ $(filter-out %/args.o,$(filter %.o,$^)) $(fuzz_$*_EXTRA) $(LIBS_A) $(LDLIBS)
$(FUZZ_BINS): $(BUILD)/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/common.o $(BUILD)/tools/cllm/args.o \
              $(LIBS_A)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $(filter-out %/args.o,$(filter %.o,$^)) $(fuzz_$*_EXTRA) $(LIBS_A) $(LDLIBS)
test: $(REPLAY_BINS)
fuzz:
	$(MAKE) CC=clang SANITIZE=fuzz fuzz-bins
fuzz-bins: $(FUZZ_BINS)
.PHONY: fuzz fuzz-bins
# ---- end of fuzzing ----------------------------------------------------------------------------------------------

demo:
	bash scripts/demo.sh

clean:
	rm -rf build build-san build-clang build-mpi build-san-mpi build-clang-mpi build-fuzz

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d $(BUILD)/*/*/*/*.d $(BUILD)/*/*/*/*/*.d)
-include $(wildcard $(MPI_BUILD)/*/*/*.d $(MPI_BUILD)/*/*/*/*.d)

# ---- hyper_prime_spiral, the GTK 4 app (make app; make test builds and tests it under xvfb-run) ----
# pkg-config runs only when the app is built, so plain `make` (libraries and CLIs) needs no GTK.
APP_SRC  := $(sort $(wildcard app/*.c))
APP_OBJ  := $(APP_SRC:%.c=$(BUILD)/%.o)
APP_BIN  := $(if $(filter build,$(BUILD)),app/hyper_prime_spiral,$(BUILD)/hyper_prime_spiral)
GTK_CFLAGS = $(shell pkg-config --cflags gtk4)
GTK_LIBS   = $(shell pkg-config --libs gtk4)
$(APP_OBJ): CPPFLAGS += $(GTK_CFLAGS)
.PHONY: app
app: $(APP_BIN)
$(APP_BIN): $(APP_OBJ) $(BUILD)/libcllmplot.a $(LIBS_A)
	$(CC) $(LDFLAGS) -o $@ $(APP_OBJ) $(BUILD)/libcllmplot.a $(LIBS_A) $(LDLIBS) $(GTK_LIBS)
# tests/app/pngstat: counts a PNG's non-background pixels (the screenshot tests' "not blank" check)
$(BUILD)/tests/app/pngstat: tests/app/pngstat.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< -lcairo
test: $(APP_BIN) $(BUILD)/tests/app/pngstat
