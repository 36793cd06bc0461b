# otpd: an Erlang/OTP-style supervision tree for Linux processes.
#
#   make                 build/otpd, build/otpctl
#   make check           every test (unit under ASan+UBSan, integration)
#   make check-unit      unit tests only
#   make check-integration
#   make check-otp       the same scenarios against Erlang/OTP's supervisor and otpd, compared
#   make check-vm        otpd as PID 1 of qemu VMs (tests/vm/setup.sh installs qemu + kernel)
#   make check-container otpd as PID 1 of podman containers, next to tini (tests/container/)
#   make check-fuzz      every fuzz target ~20 s, then the live fuzzer ~30 s (part of check)
#   make check-soak      the soak/chaos run, short form (~60 s, part of check)
#   make fuzz            every fuzz target for FUZZ_SECONDS (default 600) each
#   make soak            the soak/chaos run for SOAK_MINUTES (default 10)
#   make demo            build and run the demo tree (etc/otp.conf)
#   make bench           benchmarks against peers (never part of check; BENCH_ARGS=--quick)
#   make install         PREFIX=/usr/local DESTDIR= (also BINDIR SBINDIR LIBDIR UNITDIR
#                        BASHCOMPDIR ZSHCOMPDIR FISHCOMPDIR ...)
#   make deb             build/otpd_VERSION_amd64.deb, build/libotp-mailbox-dev_VERSION_amd64.deb
#   make lintian         make deb, then lintian -E --pedantic on both packages
#   make static          build/static/otpd, build/static/otpctl: no shared libraries at all

VERSION := 0.1.0
PREFIX ?= /usr/local
# V=1 shows every command; by default one short line per file.
V ?= 0
ifeq ($(V),0)
Q := @
endif
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
LIBEXECDIR ?= $(PREFIX)/libexec
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(PREFIX)/share/man
# Where each shell finds completions by itself: bash-completion looks in
# $XDG_DATA_DIRS (default /usr/local/share:/usr/share), zsh's fpath has
# site-functions (make deb: Debian's /usr/share/zsh/vendor-completions),
# fish its vendor_completions.d (in $XDG_DATA_DIRS, and under /usr/share).
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR ?= $(DATADIR)/zsh/site-functions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d
# systemd reads units from /usr/local/lib/systemd/system and /usr/lib/...
UNITDIR ?= $(PREFIX)/lib/systemd/system
# otpd's default configuration is /etc/otp whatever the PREFIX.
SYSCONFDIR ?= /etc
BUILD ?= build
CC ?= cc

PKGS := libsystemd libseccomp inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# otpd itself does not link libsystemd: it writes its sd_notify datagrams
# itself (init/sdnotify.c), which keeps ~140 KiB (libsystemd and the six
# libraries it loads) out of every otpd's private memory.  journald support
# will dlopen() libsystemd only when it is used (JOURNAL_STREAM set).  Test
# helpers (tests/helpers/tworker.c) and unit tests keep linking it: they call
# sd_notify(3) as a real worker would.
# libseccomp is dlopen()ed when a sandbox first needs it (util/libseccomp.c;
# `make static` links it): most trees filter nothing, and a library mapped
# for nothing costs 8 KiB of every otpd's private memory.
OTPD_LIBS := $(shell pkg-config --libs inih 2>/dev/null)
CRIT_LIBS := $(shell pkg-config --libs criterion 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
	-Wno-unused-parameter -Werror
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
OPT ?= -O2 -g
CFLAGS_ALL := -std=gnu11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) $(PKG_CFLAGS) $(EXTRA_CFLAGS)
# Symbols bound at start (BIND_NOW) and the GOT read-only after (full
# RELRO): hardening, and no lazy binding, whose resolver saves the vector
# registers on the stack at a program's deepest call (~4 KiB of otpd's
# base memory).
LDFLAGS_ALL := -Wl,-z,relro -Wl,-z,now $(EXTRA_LDFLAGS)

SUP_SRC := $(wildcard supervisor/*.c)
CFG_SRC := $(wildcard config/*.c)
# The mailbox library is a library of its own (libotp_mailbox.a, for
# workers), not part of libipc.
MB_SRC := $(wildcard ipc/mailbox_*.c)
IPC_SRC := $(filter-out ipc/otpctl%.c $(MB_SRC),$(wildcard ipc/*.c))
UTIL_SRC := $(wildcard util/*.c)
CG_SRC := $(wildcard cgroups/*.c)
INIT_SRC := $(filter-out init/main.c,$(wildcard init/*.c init/*/*.c))

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIBSUP := $(BUILD)/libsup.a
LIBCFG := $(BUILD)/libcfg.a
LIBIPC := $(BUILD)/libipc.a
LIBUTIL := $(BUILD)/libutil.a
LIBCG := $(BUILD)/libcg.a
LIBINIT := $(BUILD)/libinit.a
LIBS_ALL := $(LIBINIT) $(LIBIPC) $(LIBCFG) $(LIBCG) $(LIBSUP) $(LIBUTIL)

COMPLETIONS := $(addprefix $(BUILD)/completions/,otpctl.bash _otpctl otpctl.fish)

all: $(BUILD)/otpd $(BUILD)/otpctl $(BUILD)/libotp_mailbox.a $(BUILD)/examples/counter helpers \
	$(COMPLETIONS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(LIBSUP): $(call obj,$(SUP_SRC))
$(LIBCFG): $(call obj,$(CFG_SRC))
$(LIBIPC): $(call obj,$(IPC_SRC))
$(LIBUTIL): $(call obj,$(UTIL_SRC))
$(LIBCG): $(call obj,$(CG_SRC))
$(LIBINIT): $(call obj,$(INIT_SRC))
$(BUILD)/lib%.a:
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

# The version is the Makefile's (packages, otpd --version, the .pc file).
$(BUILD)/init/version.o: CFLAGS_ALL += -DOTPD_VERSION='"$(VERSION)"'

$(BUILD)/otpd: $(call obj,init/main.c) $(LIBS_ALL)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(OTPD_LIBS)

# A test build of otpd that crashes right after a restore: upgrade --binary's
# way back (tests/integration/t_upgrade_binary.sh).  Never installed.
$(BUILD)/test/main-crash.o: init/main.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -DOTPD_TEST_CRASH_AFTER_RESTORE -c -o $@ $<
$(BUILD)/test/otpd-crash: $(BUILD)/test/main-crash.o $(LIBS_ALL)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(OTPD_LIBS)

# otpctl links ipc/ and util/ only: neither the config loader nor the core.
OTPCTL_SRC := ipc/otpctl.c ipc/otpctl_mailbox.c $(wildcard ipc/otpctl_import*.c ipc/otpctl_complete*.c)
$(BUILD)/otpctl: $(call obj,$(OTPCTL_SRC)) $(LIBIPC) $(BUILD)/libotp_mailbox.a $(LIBUTIL)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(OTPD_LIBS)

# The shell completions are what the built otpctl prints
# (`otpctl completion SHELL`, ipc/otpctl_complete_scripts.c).
$(BUILD)/completions/otpctl.bash: SHELL_NAME := bash
$(BUILD)/completions/_otpctl: SHELL_NAME := zsh
$(BUILD)/completions/otpctl.fish: SHELL_NAME := fish
$(COMPLETIONS): $(BUILD)/otpctl
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(BUILD)/otpctl completion $(SHELL_NAME) > $@.tmp && mv $@.tmp $@

# The gen_server mailbox library workers link against (libc only).
$(BUILD)/libotp_mailbox.a: $(call obj,$(MB_SRC))
$(BUILD)/examples/counter: etc/examples/counter.c $(BUILD)/libotp_mailbox.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -Iipc -o $@ $^

# Small test helper programs (workers that misbehave on purpose).
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPERS := $(patsubst tests/helpers/%.c,$(BUILD)/helpers/%,$(HELPER_SRC))
helpers: $(HELPERS)
$(BUILD)/helpers/%: tests/helpers/%.c $(BUILD)/libotp_mailbox.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Werror -Iipc -o $@ $^ $(PKG_LIBS)

# --- tests -------------------------------------------------------------------
# Unit tests: one criterion binary per directory of tests/unit/, built with
# ASan and UBSan in their own tree (build/san).
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
UNIT_DIRS := $(notdir $(patsubst %/,%,$(wildcard tests/unit/*/)))
SANBUILD := build/san

check: all
	$(MAKE) check-layering
	$(MAKE) check-unit
	$(MAKE) check-integration
	$(MAKE) check-otp
	$(MAKE) check-vm
	$(MAKE) check-container
	$(MAKE) check-man
	$(MAKE) check-fuzz
	$(MAKE) check-soak
	@echo "make check: all tiers passed"

check-unit: all
	$(Q)$(MAKE) --no-print-directory BUILD=$(SANBUILD) OPT="-O1 -g" EXTRA_CFLAGS="$(SAN)" EXTRA_LDFLAGS="$(SAN)" unit-bins
	@set -e; for d in $(UNIT_DIRS); do \
		echo "== unit: $$d"; \
		ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/unit/lsan.supp \
		UBSAN_OPTIONS=print_stacktrace=1 OTPCTL=$(CURDIR)/$(BUILD)/otpctl \
			$(SANBUILD)/tests/unit_$$d --jobs 2 --timeout 60 ; \
	done

unit-bins: $(foreach d,$(UNIT_DIRS),$(BUILD)/tests/unit_$(d))

# Each suite links only the layers it tests: the core's tests link libsup.a
# alone, so a system call or a shell symbol in supervisor/ fails the link.
UNIT_LIBS_supervisor = $(LIBSUP)
UNIT_LIBS_config = $(LIBCFG) $(LIBCG) $(LIBSUP) $(LIBUTIL)
UNIT_LIBS_cgroups = $(LIBCFG) $(LIBCG) $(LIBSUP) $(LIBUTIL)
UNIT_LIBS_mailbox = $(BUILD)/libotp_mailbox.a
define unit_template
$(BUILD)/tests/unit_$(1): $(call obj,$(wildcard tests/unit/$(1)/*.c)) $(or $(UNIT_LIBS_$(1)),$(LIBS_ALL))
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(LDFLAGS_ALL) -o $$@ $$^ $$(if $$(UNIT_LIBS_$(1)),$$(if $$(filter supervisor,$(1)),,$$(PKG_LIBS)),$$(PKG_LIBS)) $$(CRIT_LIBS)
endef
$(foreach d,$(UNIT_DIRS),$(eval $(call unit_template,$(d))))

check-integration: all static $(BUILD)/test/otpd-crash
	BUILD=$(CURDIR)/$(BUILD) tests/integration/run.sh

# The differential tier: Erlang/OTP's own supervisor (erlang-nox) against
# otpd.  Exit 77 means Erlang/OTP cannot be installed or run here: said,
# not failed.
check-otp: all
	@BUILD=$(CURDIR)/$(BUILD) python3 tests/otp/run.py; rc=$$?; \
	if [ $$rc -eq 77 ]; then echo "check-otp: skipped (see above)"; exit 0; fi; exit $$rc

# The only tier with a cgroup2 that has every controller.  Exit 77 from
# the runner means qemu cannot run on this machine at all: said, not failed.
# The systemd case installs the packages of `make deb`.
check-vm: all deb
	@BUILD=$(CURDIR)/$(BUILD) tests/vm/run.sh; rc=$$?; \
	if [ $$rc -eq 77 ]; then echo "check-vm: skipped (see above)"; exit 0; fi; exit $$rc

# A file that includes a header of a layer or room above it (ARCHITECTURE.md).
check-layering:
	python3 scripts/check-layering.py

# otpd as the PID 1 of real podman (runc) containers, next to tini; the
# runner installs podman when missing.  Exit 77: no container engine can
# be installed here, said, not failed.
check-container: all static
	@BUILD=$(CURDIR)/$(BUILD) tests/container/run.sh; rc=$$?; \
	if [ $$rc -eq 77 ]; then echo "check-container: skipped (see above)"; exit 0; fi; exit $$rc

check-man:
	tests/man/check.sh

# Fuzzing (tests/fuzz/): libFuzzer targets built with clang under ASan and
# UBSan in their own tree, and a live fuzzer against otpd built as for the
# unit tests (build/san).  A crash, leak, timeout or broken invariant fails
# the run and names the reproducer.
FUZZ_SECONDS ?= 600
FUZZ_BUILD ?= build/fuzz
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# Warnings clang has and gcc (the build of record) does not.
FUZZ_NOWARN := -Wno-format-nonliteral -Wno-missing-field-initializers

fuzz-bins:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang OPT="-O1 -g" \
		EXTRA_CFLAGS="$(FUZZ_SAN) -fsanitize=fuzzer-no-link $(FUZZ_NOWARN)" \
		EXTRA_LDFLAGS="$(FUZZ_SAN) -fsanitize=fuzzer" \
		$(foreach t,$(FUZZ_TARGETS),$(FUZZ_BUILD)/fuzz/fuzz_$(t))

# Each target links only the layers it drives, as the unit suites do.
FUZZ_LIBS_config = $(LIBCFG) $(LIBCG) $(LIBSUP) $(LIBUTIL)
FUZZ_LIBS_ctl = $(LIBIPC) $(LIBUTIL)
FUZZ_LIBS_notify = $(LIBIPC) $(LIBUTIL)
FUZZ_LIBS_mailbox = $(BUILD)/libotp_mailbox.a
define fuzz_template
$(BUILD)/fuzz/fuzz_$(1): $(BUILD)/tests/fuzz/fuzz_$(1).o $(or $(FUZZ_LIBS_$(1)),$(LIBS_ALL))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS_ALL) -o $$@ $$^ $$(PKG_LIBS) -lpthread
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_template,$(t))))

san-otpd: all
	$(MAKE) BUILD=$(SANBUILD) OPT="-O1 -g" EXTRA_CFLAGS="$(SAN)" EXTRA_LDFLAGS="$(SAN)" \
		$(SANBUILD)/otpd

fuzz: fuzz-bins
	FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

check-fuzz: fuzz-bins san-otpd
	FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/run.sh 20 $(FUZZ_TARGETS)
	python3 tests/fuzz/live.py --otpd $(SANBUILD)/otpd --otpctl $(BUILD)/otpctl \
		--worker $(BUILD)/helpers/tworker --seconds 30

# Soak/chaos (tests/soak/): kills, restart storms, reloads, freezes,
# clients and mailbox calls at once, invariants checked throughout.
SOAK_MINUTES ?= 10

soak: all
	python3 tests/soak/soak.py --build $(BUILD) --seconds $$(( $(SOAK_MINUTES) * 60 ))

check-soak: all
	python3 tests/soak/soak.py --build $(BUILD) --seconds 60

demo: all
	BUILD=$(BUILD) scripts/demo.sh

bench: all static
	$(MAKE) BUILD=$(BUILD) bench-bins
	BUILD=$(BUILD) bench/run.sh $(BENCH_ARGS)

bench-bins: $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c)) \
	$(patsubst bench/helpers/%.c,$(BUILD)/bench/%,$(wildcard bench/helpers/*.c))
$(BUILD)/bench/%: bench/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Werror -o $@ $<
$(BUILD)/bench/%: bench/%.c $(LIBS_ALL) $(BUILD)/libotp_mailbox.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

# Installs everything; /etc/otp/otp.conf only when there is none yet (an
# empty tree: etc/otp-default.conf), so a reinstall never clobbers it.
# The unit and the .pc file are written here, with the installed paths.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBEXECDIR)/otpd $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/otp/otp.d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
		$(DESTDIR)$(FISHCOMPDIR)
	install -m 0755 $(BUILD)/otpd $(DESTDIR)$(SBINDIR)/otpd
	install -m 0755 $(BUILD)/otpctl $(DESTDIR)$(BINDIR)/otpctl
	install -m 0644 man/otpctl.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/otp.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/otpd.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(BUILD)/libotp_mailbox.a $(DESTDIR)$(LIBDIR)/
	install -m 0644 ipc/otp_mailbox.h $(DESTDIR)$(INCLUDEDIR)/
	printf 'prefix=%s\nlibdir=%s\nincludedir=%s\n\nName: otp_mailbox\nDescription: gen_server mailboxes for otpd workers\nVersion: %s\nLibs: -L$${libdir} -lotp_mailbox\nCflags: -I$${includedir}\n' \
		'$(PREFIX)' '$(LIBDIR)' '$(INCLUDEDIR)' '$(VERSION)' > $(DESTDIR)$(LIBDIR)/pkgconfig/otp_mailbox.pc
	install -m 0755 $(BUILD)/examples/counter $(DESTDIR)$(LIBEXECDIR)/otpd/
	install -m 0644 $(BUILD)/completions/otpctl.bash $(DESTDIR)$(BASHCOMPDIR)/otpctl
	install -m 0644 $(BUILD)/completions/_otpctl $(DESTDIR)$(ZSHCOMPDIR)/_otpctl
	install -m 0644 $(BUILD)/completions/otpctl.fish $(DESTDIR)$(FISHCOMPDIR)/otpctl.fish
	sed -e 's|@sbindir@|$(SBINDIR)|g' -e 's|@bindir@|$(BINDIR)|g' etc/otpd.service.in \
		> $(DESTDIR)$(UNITDIR)/otpd.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/otp/otp.conf ] || \
		install -m 0644 etc/otp-default.conf $(DESTDIR)$(SYSCONFDIR)/otp/otp.conf

# --- packages ------------------------------------------------------------------
# Debian packages, from a build tree of their own (PREFIX=/usr, the
# distribution's hardening link flags): pkg/deb.sh stages, writes the
# control files and runs dpkg-deb.  Needs dpkg-dev (dpkg-shlibdeps).
DEB_BUILD := $(BUILD)/deb
deb:
	rm -rf $(DEB_BUILD)/root
	$(MAKE) BUILD=$(DEB_BUILD)/obj PREFIX=/usr LIBDIR=/usr/lib/$(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null) \
		UNITDIR=/lib/systemd/system ZSHCOMPDIR=/usr/share/zsh/vendor-completions \
		DESTDIR=$(CURDIR)/$(DEB_BUILD)/root install
	VERSION=$(VERSION) OUT=$(BUILD) pkg/deb.sh $(DEB_BUILD)
lintian: deb
	lintian -E --pedantic --info $(BUILD)/otpd_$(VERSION)_*.deb $(BUILD)/libotp-mailbox-dev_$(VERSION)_*.deb

# A static otpd and otpctl (static-pie: libseccomp and inih from Debian's
# -dev .a files, glibc's libc.a), stripped, for an image with nothing else
# in it (otpd writes its sd_notify datagrams itself: no libsystemd);
# --version says what is left out (NSS beyond /etc/passwd and /etc/group).
STATIC_BUILD := $(BUILD)/static
static:
	$(MAKE) BUILD=$(STATIC_BUILD)/obj EXTRA_CFLAGS=-DOTPD_STATIC EXTRA_LDFLAGS=-static-pie \
		PKG_LIBS="$(STATIC_LIBS)" OTPD_LIBS="$(STATIC_LIBS)" \
		$(STATIC_BUILD)/obj/otpd $(STATIC_BUILD)/obj/otpctl
	@for f in otpd otpctl; do \
		strip -o $(STATIC_BUILD)/$$f $(STATIC_BUILD)/obj/$$f || exit 1; \
		if readelf -d $(STATIC_BUILD)/$$f | grep -q NEEDED; then \
			echo "static: $(STATIC_BUILD)/$$f still needs shared libraries" >&2; exit 1; fi; \
	done
	@echo "static: $(STATIC_BUILD)/otpd $(STATIC_BUILD)/otpctl"
STATIC_LIBS = $(shell pkg-config --static --libs libseccomp inih)

clean:
	rm -rf build

.PHONY: all helpers check check-layering check-unit unit-bins check-integration check-otp check-vm check-container \
	check-man demo bench bench-bins install deb lintian static clean fuzz fuzz-bins check-fuzz san-otpd soak \
	check-soak

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
