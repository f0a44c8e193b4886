# lit configuration for acc's tests.
#
# Every test is one file whose `RUN:` lines say how it runs. The
# substitutions below are the vocabulary those lines share:
#
#   %acc           build/bin/acc, the translator
#   %run F [ARGS]  translate F (.acc), compile it with gcc AND clang
#                  (-std=c11 -Wall -Wextra -Werror) against libacc, run both,
#                  fail unless they agree; prints the output once and exits
#                  with the program's status (test/tools/run.sh)
#   %crun F [ARGS] the same for a plain C file, with no translation
#   %vrun F [ARGS] %run under valgrind: memory errors and leaks fail it
#                  (REQUIRES: valgrind)
#   %expect-status N CMD...
#                  run CMD; succeed only if it exits with status N
#   %FileCheck     FileCheck (plain `FileCheck` and `not` work too: they are
#                  first on PATH)
#   %build         the build tree; %python the Python running lit
#
# Features: `gcc`, `clang` and `valgrind` when those programs exist
# (valgrind not in a sanitized build), `gxx` and `clangxx` for g++ and
# clang++; `sanitize` in a build configured with -DACC_SANITIZE=ON;
# `backend-NAME` when ACC_BACKEND=NAME is in lit's environment (it is
# passed on to the programs); `kqueue-shim` in a build configured with
# -DACC_KQUEUE_SHIM=ON.
#
# The paths of a build tree come from its lit.site.cfg.py, which CMake
# writes; pass `--param acc_site=FILE` to pick one, else <src>/build is used.
import os
import shutil

import lit.formats

config.name = "acc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".acc", ".c", ".test"]
# Helpers and inputs live beside the tests but are not tests themselves.
config.excludes = ["tools", "Inputs", "kqueue", "lit.cfg.py", "lit.site.cfg.py.in",
                   "CMakeLists.txt", "README.md"]
config.test_source_root = os.path.dirname(os.path.abspath(__file__))

if not hasattr(config, "acc_obj_root"):
    site = lit_config.params.get("acc_site") or os.path.join(
        os.path.dirname(config.test_source_root), "build", "test",
        "lit.site.cfg.py")
    if not os.path.exists(site):
        lit_config.fatal("no build tree: %s does not exist (configure with "
                         "cmake first, or pass --param acc_site=FILE)" % site)
    lit_config.load_config(config, site)

config.test_exec_root = config.acc_test_exec_root

build = config.acc_obj_root
tools = os.path.join(config.test_source_root, "tools")

# FileCheck and `not` first on PATH, without putting all of LLVM's bin/ there
# (which would shadow the system's clang with LLVM's).
bindir = os.path.join(config.test_exec_root, "bin")
os.makedirs(bindir, exist_ok=True)
for tool in ("FileCheck", "not", "count"):
    src = os.path.join(config.acc_llvm_tools_dir, tool)
    dst = os.path.join(bindir, tool)
    if os.path.exists(src) and not os.path.lexists(dst):
        os.symlink(src, dst)
config.environment["PATH"] = os.pathsep.join(
    [bindir, os.environ.get("PATH", "/usr/bin:/bin")])
config.environment["ACC_BUILD_DIR"] = build
# Messages from gcc/clang in the C locale, so CHECK lines can quote them.
config.environment["LC_ALL"] = "C"
for var in ("HOME", "TMPDIR"):
    if var in os.environ:
        config.environment[var] = os.environ[var]

# ACC_BACKEND passes through to the programs, so that a whole run can use
# another backend: scripts/test.sh runs test/runtime and test/run with
# ACC_BACKEND=kqueue in a tree configured with -DACC_KQUEUE_SHIM=ON. A RUN
# line's own `env ACC_BACKEND=poll` still wins. Feature `backend-NAME` says
# which one a run uses; `kqueue-shim`, that libacc holds the test emulation
# of kqueue (test/kqueue/).
backend = os.environ.get("ACC_BACKEND", "")
if backend:
    if backend == "kqueue" and not getattr(config, "acc_have_kqueue", ""):
        lit_config.fatal("ACC_BACKEND=kqueue, but this build has no kqueue "
                         "backend (configure with -DACC_KQUEUE_SHIM=ON)")
    config.environment["ACC_BACKEND"] = backend
    config.available_features.add("backend-" + backend)
if getattr(config, "acc_kqueue_shim", ""):
    config.available_features.add("kqueue-shim")

run_sh = os.path.join(tools, "run.sh")
config.substitutions.append(("%acc", os.path.join(build, "bin", "acc")))
config.substitutions.append(("%crun", "bash %s --c" % run_sh))
config.substitutions.append(("%vrun", "bash %s --valgrind" % run_sh))
config.substitutions.append(("%run", "bash %s" % run_sh))
config.substitutions.append(("%expect-status",
                             "bash %s" % os.path.join(tools, "expect_status.sh")))
config.substitutions.append(("%FileCheck",
                             os.path.join(config.acc_llvm_tools_dir, "FileCheck")))
config.substitutions.append(("%build", build))
config.substitutions.append(("%python", config.acc_python))

# A sanitized build (-DACC_SANITIZE=ON): every program is compiled with the
# sanitizers (run.sh reads ACC_SANITIZE_CFLAGS), and valgrind cannot run
# them, so the valgrind tests are unsupported there (ASan checks leaks).
sanitize = getattr(config, "acc_sanitize_cflags", "")
if sanitize:
    config.environment["ACC_SANITIZE_CFLAGS"] = sanitize
    config.available_features.add("sanitize")
    # frames from malloc, so that ASan sees a frame used after its return
    # or leaked (runtime/src/alloc.c; slab blocks are invisible to it)
    config.environment["ACC_FRAME_MALLOC"] = "1"

for prog in ("gcc", "clang", "valgrind"):
    if shutil.which(prog) and not (prog == "valgrind" and sanitize):
        config.available_features.add(prog)
for prog, feature in (("g++", "gxx"), ("clang++", "clangxx")):
    if shutil.which(prog):
        config.available_features.add(feature)
