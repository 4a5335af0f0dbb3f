# Weave Sync server. See README.md; `make run` serves, `make check` tests.

CXX      ?= g++
CXXSTD   := -std=c++20
WARNINGS := -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual \
            -Wimplicit-fallthrough -Wundef -Werror
OPT      := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
SANITIZE_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
                  -fno-omit-frame-pointer -D_GLIBCXX_ASSERTIONS
# The unit tests' own files are compiled at -O0 (the code they exercise, the server's, stays
# at -O1): Boost.Test's macros take 2.4 times as long to compile optimised (9 s against 3.8 s
# for a test file here), and the test files were a third of the sanitizer build's time.
SANITIZE_TEST_OPT := -O0
# Optional drivers (redis-style build switches): WITH_MYSQL=0 and WITH_LDAP=0 leave out the
# MySQL/MariaDB driver and the LDAP back end, their sources, tests and libraries. Each
# flavour builds in its own folder (build, build-nomysql, build-noldap,
# build-nomysql-noldap), so switching back and forth rebuilds nothing needlessly.
WITH_MYSQL ?= 1
WITH_LDAP  ?= 1
# WITH_CACHE=0 leaves out the memcached and Redis clients (libmemcached, hiredis).
WITH_CACHE ?= 1
# WITH_SYSTEMD=0 leaves out libsystemd (readiness notification, the journal's fields).
WITH_SYSTEMD ?= 1
FLAVOUR  := $(if $(filter 1,$(WITH_MYSQL)),,-nomysql)$(if $(filter 1,$(WITH_LDAP)),,-noldap)$(if $(filter 1,$(WITH_CACHE)),,-nocache)$(if $(filter 1,$(WITH_SYSTEMD)),,-nosystemd)
LIBS     := -lfcgi++ -lfcgi -lyaml-cpp -lsqlite3 -lcurl -lssl -lcrypto -lcrypt -lctemplate
ifeq ($(WITH_LDAP),1)
LIBS     += -lldap -llber
endif
ifeq ($(WITH_MYSQL),1)
LIBS     += -lmysqlcppconn
endif
ifeq ($(WITH_CACHE),1)
LIBS     += -lmemcached -lhiredis
endif
ifeq ($(WITH_SYSTEMD),1)
LIBS     += -lsystemd
endif

DATA   ?= $(CURDIR)/var
PORT   ?= 8080
CONFIG ?=
DB     ?= sqlite
# make bench: none, memcached or redis
CACHE  ?= none
AUTH   ?= sql

# Override BUILD to keep parallel builds (several checkouts or helpers) apart.
BUILD      ?= build$(FLAVOUR)
ASAN_BUILD ?= $(BUILD)/asan
GEN        := $(BUILD)/gen

LIB_SRC   := $(filter-out src/server/main.cpp src/admin/%,$(shell find src -name '*.cpp' | sort))
ifneq ($(WITH_MYSQL),1)
LIB_SRC   := $(filter-out src/db/mysql_%,$(LIB_SRC))
endif
ifneq ($(WITH_CACHE),1)
LIB_SRC   := $(filter-out src/cache/memcached_% src/cache/redis_%,$(LIB_SRC))
endif
ifneq ($(WITH_LDAP),1)
# src/core/config_loader.cpp still calls ldap_text's checks (plain text, no libldap): that
# file stays while the include does (scripts/check-layers.py reports the include).
LDAP_STILL_USED := $(if $(shell grep -ls '"auth/ldap/ldap_text.h"' src/core/*.cpp),src/auth/ldap/ldap_text.cpp)
LIB_SRC   := $(filter-out $(filter-out $(LDAP_STILL_USED),$(wildcard src/auth/ldap/*.cpp)),$(LIB_SRC))
endif
# Unit tests and fuzz targets that include a left-out driver's headers are left out too.
OFF_INCLUDES := $(if $(filter 1,$(WITH_LDAP)),,auth/ldap/) $(if $(filter 1,$(WITH_MYSQL)),,db/mysql_) \
                $(if $(filter 1,$(WITH_CACHE)),,cache/memcached_ cache/redis_)
empty :=
space := $(empty) $(empty)
OFF_TESTS := $(if $(strip $(OFF_INCLUDES)),$(shell grep -lE \
               'include "($(subst $(space),|,$(strip $(OFF_INCLUDES))))' tests/unit/*.cpp tests/fuzz/*.cpp))
TEST_SRC  := $(filter-out $(OFF_TESTS),$(sort $(wildcard tests/unit/*.cpp)))
FUZZ_SRC  := $(filter-out $(OFF_TESTS),$(sort $(wildcard tests/fuzz/fuzz_*.cpp)))
FUZZ_NAMES := $(patsubst tests/fuzz/%.cpp,%,$(FUZZ_SRC))
GENERATED := $(GEN)/sqlite_schema.inc $(GEN)/mysql_schema.inc $(GEN)/version.h \
             $(GEN)/builtin_templates.inc
VERSION    := $(shell cat VERSION)

CPPFLAGS := -Isrc -MMD -MP
# The build switches and the generated files' folder go only on the command lines of the
# files that use them (a WITH_ test, an include of version.h or of a generated .inc): every other
# file compiles with the same command line in every flavour and build folder, so ccache
# (.ci/run's second build) gives its object back in direct mode, without preprocessing it.
# -Wundef makes a WITH_ test in any other file (a header's, say) an error, not a silent 0.
SWITCH_FLAGS := -I$(GEN) -DWITH_MYSQL=$(WITH_MYSQL) -DWITH_LDAP=$(WITH_LDAP) \
                -DWITH_CACHE=$(WITH_CACHE) -DWITH_SYSTEMD=$(WITH_SYSTEMD)
SWITCHED_SRC := $(shell grep -rlE --include='*.cpp' \
                  'WITH_(MYSQL|LDAP|CACHE|SYSTEMD)|"(version\.h|[a-z_]+\.inc)"' src tests)
$(SWITCHED_SRC:%.cpp=$(BUILD)/obj/%.o) $(SWITCHED_SRC:%.cpp=$(ASAN_BUILD)/obj/%.o): \
  CPPFLAGS += $(SWITCH_FLAGS)

.PHONY: all install uninstall deb deps deps-run deps-test check check-build unit fuzz-replay functional fuzz run bench \
        bench-report bench-tools bench-statements bench-migrate \
        bench-selftest soak soak-move format \
        format-check tidy compdb clean

MAN_PAGES := $(BUILD)/man/weave-server.8 $(BUILD)/man/weave-admin.8 $(BUILD)/man/weave.yaml.5

all: $(BUILD)/weave-server $(BUILD)/weave-admin $(MAN_PAGES)

# Debian packages (scripts/install-deps.sh: as root it installs, otherwise it prints the
# apt-get line and stops make). Every compile waits for the build step (an order-only
# prerequisite), so -j never starts compiling before the libraries are there; the test
# step (make check) comes after it and installs no compiler input.
DEPS_ENV := WITH_MYSQL=$(WITH_MYSQL) WITH_LDAP=$(WITH_LDAP) WITH_CACHE=$(WITH_CACHE) \
            WITH_SYSTEMD=$(WITH_SYSTEMD)
deps:
	@$(DEPS_ENV) sh scripts/install-deps.sh build
deps-run: deps
	@$(DEPS_ENV) DB=$(DB) AUTH=$(AUTH) sh scripts/install-deps.sh run
deps-test: deps
	@$(DEPS_ENV) sh scripts/install-deps.sh test

# The build's switches and compiler, rewritten only when they change: every object
# depends on it, so building another flavour into the same BUILD folder rebuilds it all.
FLAGS_STAMP := $(BUILD)/flags
FLAGS_LINE  := CXX=$(CXX) WITH_MYSQL=$(WITH_MYSQL) WITH_LDAP=$(WITH_LDAP) WITH_CACHE=$(WITH_CACHE) \
               WITH_SYSTEMD=$(WITH_SYSTEMD)$(if \
               $(CXXFLAGS)$(LDFLAGS), CXXFLAGS=$(CXXFLAGS) LDFLAGS=$(LDFLAGS))
$(FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(FLAGS_LINE)' | cmp -s - $@ || echo '$(FLAGS_LINE)' > $@
FORCE:

# The schema is compiled in, so a binary never runs against a schema file of another version.
$(GEN)/%_schema.inc: sql/%/schema.sql
	@mkdir -p $(dir $@)
	@{ printf 'R"SQL('; cat $<; printf ')SQL"\n'; } > $@

# The built-in page and mail templates (templates/), so a server never lacks a page.
TEMPLATE_FILES := $(shell find templates -type f \( -name '*.html' -o -name '*.txt' \) | sort)
$(GEN)/builtin_templates.inc: $(TEMPLATE_FILES) scripts/embed-templates.py
	@mkdir -p $(dir $@)
	@python3 scripts/embed-templates.py templates > $@.tmp && mv $@.tmp $@

# The release number (the file VERSION), for --version; rewritten only when it changes.
$(GEN)/version.h: VERSION
	@mkdir -p $(dir $@)
	@printf '#define WEAVE_VERSION "%s"\n' "$(VERSION)" > $@

# --- release objects (CXXFLAGS and LDFLAGS from the environment are added, as
# dpkg-buildflags sets them for the Debian package: hardening, file prefix maps)
$(BUILD)/obj/%.o: %.cpp $(GENERATED) $(FLAGS_STAMP) | deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(WARNINGS) $(OPT) $(CXXFLAGS) $(CPPFLAGS) -c $< -o $@

# --- sanitizer objects (tests and functional runs); the last -O given wins
$(ASAN_BUILD)/obj/%.o: %.cpp $(GENERATED) $(FLAGS_STAMP) | deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(WARNINGS) $(SANITIZE_FLAGS) $(TEST_OPT) $(CPPFLAGS) -DBOOST_TEST_DYN_LINK \
	  -c $< -o $@
$(ASAN_BUILD)/obj/tests/unit/%.o: TEST_OPT := $(SANITIZE_TEST_OPT)

LIB_OBJ      := $(LIB_SRC:%.cpp=$(BUILD)/obj/%.o)
ASAN_LIB_OBJ := $(LIB_SRC:%.cpp=$(ASAN_BUILD)/obj/%.o)
ADMIN_SRC    := $(sort $(wildcard src/admin/*.cpp))

$(BUILD)/weave-server: $(LIB_OBJ) $(BUILD)/obj/src/server/main.o
	$(CXX) $(OPT) $(CXXFLAGS) $(LDFLAGS) $^ -o $@ $(LIBS)
$(BUILD)/weave-admin: $(LIB_OBJ) $(ADMIN_SRC:%.cpp=$(BUILD)/obj/%.o)
	$(CXX) $(OPT) $(CXXFLAGS) $(LDFLAGS) $^ -o $@ $(LIBS)

$(ASAN_BUILD)/weave-server: $(ASAN_LIB_OBJ) $(ASAN_BUILD)/obj/src/server/main.o
	$(CXX) $(SANITIZE_FLAGS) $^ -o $@ $(LIBS)
$(ASAN_BUILD)/weave-admin: $(ASAN_LIB_OBJ) $(ADMIN_SRC:%.cpp=$(ASAN_BUILD)/obj/%.o)
	$(CXX) $(SANITIZE_FLAGS) $^ -o $@ $(LIBS)
$(ASAN_BUILD)/unit_tests: $(ASAN_LIB_OBJ) $(TEST_SRC:%.cpp=$(ASAN_BUILD)/obj/%.o)
	$(CXX) $(SANITIZE_FLAGS) $^ -o $@ $(LIBS) -lboost_unit_test_framework
# g++ has no libFuzzer: each target is linked with a small main that replays corpus files.
$(ASAN_BUILD)/%_replay: $(ASAN_LIB_OBJ) $(ASAN_BUILD)/obj/tests/fuzz/%.o \
                        $(ASAN_BUILD)/obj/tests/fuzz/replay_main.o
	$(CXX) $(SANITIZE_FLAGS) $^ -o $@ $(LIBS)

# check-build: everything make check runs, built (CI builds it first, then compiles other
# things in the background while the suites run). run_all.sh skips the MySQL and LDAP
# suites of a build without them.
check-build: deps-test $(ASAN_BUILD)/unit_tests $(ASAN_BUILD)/weave-server \
             $(ASAN_BUILD)/weave-admin $(FUZZ_NAMES:%=$(ASAN_BUILD)/%_replay)
check: check-build
	@ASAN_BUILD=$(ASAN_BUILD) BENCH_TOOLS=$(BENCH_DIR) $(DEPS_ENV) sh tests/run_all.sh

unit: $(ASAN_BUILD)/unit_tests
	$(ASAN_BUILD)/unit_tests

functional: deps-run $(ASAN_BUILD)/weave-server $(ASAN_BUILD)/weave-admin
	@sh tests/functional/run.sh $(ASAN_BUILD)

# libFuzzer builds with clang, run for FUZZ_SECONDS each; new findings land in the corpus.
FUZZ_SECONDS ?= 60
fuzz: deps-test $(GENERATED)
	@sh tests/fuzz/run_fuzzers.sh $(FUZZ_SECONDS)

# NODES=N: a registration server on PORT and N storage nodes on PORT+1... (SQLite, in
# DATA/nodes), behind one nginx; REGISTRATION=open|invite|closed for its sign-ups.
NODES ?=
run: all deps-run
	@if [ -n "$(NODES)" ]; then REGISTRATION="$(REGISTRATION)" sh scripts/run-nodes.sh \
	  "$(DATA)/nodes" "$(PORT)" "$(NODES)" "$(BUILD)"; \
	else sh scripts/run.sh "$(DATA)" "$(PORT)" "$(CONFIG)" "$(DB)" "$(AUTH)"; fi

# --- manual pages (scdoc); weave.yaml(5) takes its key list from README.md's table
$(BUILD)/man/weave.yaml.5: doc/weave.yaml.5.scd README.md scripts/man-config.py | deps
	@mkdir -p $(dir $@)
	python3 scripts/man-config.py $< README.md | scdoc > $@
$(BUILD)/man/%: doc/%.scd | deps
	@mkdir -p $(dir $@)
	scdoc < $< > $@

# --- make install (GNU directory variables; DESTDIR for staging, as packages do).
# INSTALL_FROM: the folder whose binaries are installed (the tests install the sanitizer
# build they already have). The configuration is installed only where none exists yet, and
# the systemd units are rewritten to name the installed binary and WEAVE_USER (the
# Debian package installs them into systemdunitdir=/lib/systemd/system, for _weave).
PREFIX        ?= /usr/local
prefix        ?= $(PREFIX)
exec_prefix   ?= $(prefix)
bindir        ?= $(exec_prefix)/bin
datarootdir   ?= $(prefix)/share
datadir       ?= $(datarootdir)
mandir        ?= $(datarootdir)/man
docdir        ?= $(datarootdir)/doc/weave-server
sysconfdir    ?= $(if $(filter /usr,$(prefix)),/etc,$(prefix)/etc)
localstatedir ?= /var
systemdunitdir ?= $(datadir)/weave/systemd
WEAVE_USER    ?= weave
INSTALL       ?= install
INSTALL_FROM  ?= $(BUILD)
SHARE         := $(DESTDIR)$(datadir)/weave
install: $(INSTALL_FROM)/weave-server $(INSTALL_FROM)/weave-admin $(MAN_PAGES)
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(mandir)/man8 $(DESTDIR)$(mandir)/man5 \
	  $(SHARE)/nginx $(SHARE)/apache $(DESTDIR)$(systemdunitdir) $(SHARE)/sql/sqlite $(SHARE)/sql/mysql \
	  $(SHARE)/ldap $(SHARE)/examples $(DESTDIR)$(docdir) $(DESTDIR)$(sysconfdir)/weave \
	  $(addprefix $(SHARE)/,$(sort $(dir $(TEMPLATE_FILES))))
	$(INSTALL) -m 755 $(INSTALL_FROM)/weave-server $(INSTALL_FROM)/weave-admin $(DESTDIR)$(bindir)/
	$(INSTALL) -m 644 $(filter %.8,$(MAN_PAGES)) $(DESTDIR)$(mandir)/man8/
	$(INSTALL) -m 644 $(filter %.5,$(MAN_PAGES)) $(DESTDIR)$(mandir)/man5/
	$(INSTALL) -m 644 conf/nginx/*.conf $(SHARE)/nginx/
	$(INSTALL) -m 644 conf/apache/*.conf $(SHARE)/apache/
	$(INSTALL) -m 644 sql/sqlite/*.sql $(SHARE)/sql/sqlite/
	$(INSTALL) -m 644 sql/mysql/*.sql $(SHARE)/sql/mysql/
	$(INSTALL) -m 644 ldap/*.ldif $(SHARE)/ldap/
	$(INSTALL) -m 644 conf/*.yaml $(SHARE)/examples/
	for file in $(TEMPLATE_FILES); do $(INSTALL) -m 644 "$$file" "$(SHARE)/$$file"; done
	for unit in conf/systemd/*; do \
	  sed -e 's|/usr/bin/weave-|$(bindir)/weave-|g' -e 's|/etc/weave/|$(sysconfdir)/weave/|g' \
	    -e 's|/var/lib/weave|$(localstatedir)/lib/weave|g' \
	    -e 's/^\(User\|Group\)=weave$$/\1=$(WEAVE_USER)/' "$$unit" > $(DESTDIR)$(systemdunitdir)/$${unit##*/}; \
	done
	$(INSTALL) -m 644 README.md $(DESTDIR)$(docdir)/
	test -e $(DESTDIR)$(sysconfdir)/weave/weave.yaml || \
	  sed -e 's|/var/lib/weave|$(localstatedir)/lib/weave|g' -e 's|/etc/weave/|$(sysconfdir)/weave/|g' \
	    conf/weave.yaml | \
	  $(INSTALL) -m 640 /dev/stdin $(DESTDIR)$(sysconfdir)/weave/weave.yaml

# Removes what install put there, except the configuration (it may hold local changes).
uninstall:
	rm -f $(DESTDIR)$(bindir)/weave-server $(DESTDIR)$(bindir)/weave-admin \
	  $(DESTDIR)$(mandir)/man8/weave-server.8 $(DESTDIR)$(mandir)/man8/weave-admin.8 \
	  $(DESTDIR)$(mandir)/man5/weave.yaml.5 $(DESTDIR)$(docdir)/README.md
	rm -f $(addprefix $(DESTDIR)$(systemdunitdir)/,$(notdir $(wildcard conf/systemd/*)))
	rm -rf $(SHARE)

# --- the Debian package (debian/), built in a copy of the checkout under DEB_DIR
DEB_DIR ?= $(BUILD)/deb
deb:
	sh scripts/build-deb.sh $(DEB_DIR) 2

# --- benchmark (bench/): the load tool and the ceiling responders (fixed body; one SELECT
# on SQLite, and on MariaDB for DB=mysql)
BENCH_DIR      := $(BUILD)/bench
BENCH_LOAD_SRC := $(sort $(wildcard bench/load/*.cpp))
BENCH_BINS     := $(BENCH_DIR)/weave-load $(BENCH_DIR)/ceiling-fixed \
                  $(BENCH_DIR)/ceiling-sqlite_pk $(if $(filter 1,$(WITH_MYSQL)),$(BENCH_DIR)/ceiling-mysql_pk)
# The MariaDB ceiling links the server's MySQL client library, with the server's flags.
BENCH_MYSQL_LIBS := $(filter -lmysql%,$(LIBS))
# make check runs the benchmark's self-test (a server that drops writes must fail it).
check-build: $(BENCH_BINS)

$(BENCH_DIR)/obj/%.o: %.cpp | deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(WARNINGS) -O2 -g -MMD -MP -c $< -o $@
$(BENCH_DIR)/weave-load: $(BENCH_LOAD_SRC:%.cpp=$(BENCH_DIR)/obj/%.o)
	$(CXX) -O2 -g $^ -o $@
$(BENCH_DIR)/ceiling-%: bench/ceiling/%.cpp bench/ceiling/prefork.h | deps
	@mkdir -p $(dir $@)
	$(CXX) -O2 -std=c++20 -Wall -Wextra -Werror $< -o $@ -lfcgi -lsqlite3
$(BENCH_DIR)/ceiling-mysql_pk: bench/ceiling/mysql_pk.cpp bench/ceiling/prefork.h | deps
	@mkdir -p $(dir $@)
	$(CXX) -O2 -std=c++20 -Wall -Wextra -Werror $< -o $@ -lfcgi $(BENCH_MYSQL_LIBS)

bench-tools: $(BENCH_BINS)

# Seed, replay the load mix for BENCH_SECONDS, measure both ceilings; DB=mysql runs the
# server (and the one-SELECT ceiling) on a throwaway MariaDB; CACHE=memcached or redis puts
# a throwaway cache in front; URL=... targets a running server instead (see bench/run.sh).
# USERS=N OBJECTS=M: accounts and records per account (BENCH_USERS, BENCH_RECORDS);
# PROFILE=1: perf profile of the workers during the mix. Appends to bench/history.jsonl.
bench: all $(BENCH_BINS)
	@BUILD=$(BUILD) DB=$(DB) CACHE=$(CACHE) $(if $(USERS),BENCH_USERS=$(USERS)) \
	  $(if $(OBJECTS),BENCH_RECORDS=$(OBJECTS)) $(if $(PROFILE),BENCH_PROFILE=$(PROFILE)) \
	  sh bench/run.sh

# The trend across commits from bench/history.jsonl: bench/report.html and a text summary.
bench-report:
	@python3 bench/report.py

# Statements per request type, counted by the database (DB=mysql: a throwaway MariaDB).
bench-statements: $(ASAN_BUILD)/unit_tests
	@DB=$(DB) UNIT_TESTS=$(ASAN_BUILD)/unit_tests sh bench/statements.sh

# A fault campaign under the benchmark's verified load (bench/soak.py): SOAK_S seconds
# (default 600) of the mix while workers are killed, the server reloaded, the disk filled
# (as root) and, with DB=mysql, MariaDB restarted; SOAK_AUTH=ldap: accounts in a throwaway
# slapd, paused and restarted too; ends with
# "soak: A acknowledged, L lost, F faults, E unexpected errors".
soak: all $(BENCH_BINS)
	@BUILD=$(BUILD) DB=$(DB) SOAK_AUTH=$(SOAK_AUTH) python3 bench/soak.py

# Live moves between two storage nodes under the same verified load (bench/move_soak.py):
# SOAK_S seconds (default 120; DB=mysql: on MariaDB) of the mix while users are moved and
# nodes evacuated; ends with "move: A acknowledged, U moved users (M moves, V evacuations),
# L lost, E unexpected errors".
soak-move: all $(BENCH_BINS)
	@BUILD=$(BUILD) DB=$(DB) python3 bench/move_soak.py

# weave-admin export and import of MIGRATE_RECORDS records (default 600000; DB=mysql adds
# MariaDB): time, records/s and peak RSS per step, and the same at a tenth of the size.
bench-migrate: $(BUILD)/weave-admin
	@DB=$(DB) sh bench/migrate.sh $(BUILD) $(or $(MIGRATE_RECORDS),600000)

# The benchmark must fail against a server that acknowledges writes it drops.
bench-selftest: all $(BENCH_BINS)
	@BUILD=$(BUILD) sh bench/test_broken.sh

format:
	clang-format -i $$(find src tests bench tools -name '*.cpp' -o -name '*.h' 2>/dev/null)

format-check:
	clang-format --dry-run -Werror $$(find src tests bench tools -name '*.cpp' -o -name '*.h' 2>/dev/null)

compdb:
	$(MAKE) clean
	bear --output compile_commands.json -- $(MAKE) $(BUILD)/weave-server $(BUILD)/weave-admin

# No compilation database: each file gets the release build's -std/-I/-D flags after "--".
tidy: $(GENERATED) | deps
	@printf '%s\n' $(LIB_SRC) src/server/main.cpp $(ADMIN_SRC) | xargs -P2 -I{} \
	  clang-tidy --quiet $(if $(TIDY_CHECKS),--checks='$(TIDY_CHECKS)') {} -- $(CXXSTD) \
	  $(filter -I% -D%,$(CPPFLAGS) $(SWITCH_FLAGS) $(OPT))

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
