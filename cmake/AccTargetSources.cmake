# AccTargetSources.cmake: acc_target_sources(), the CMake side of acc, as
# bison_target() is bison's. Read by accConfig.cmake (find_package(acc)) and
# by acc's own CMakeLists.txt (add_subdirectory(acc)); either way the
# targets acc::acc (the translator), acc::runtime (libacc.a) and
# acc::runtime_shared (libacc.so) exist.
#
#   acc_target_sources(<target> [SHARED_RUNTIME] [SOURCES <file.acc>...]
#                      [OPTIONS <acc option>...])
#
# For each .acc source of <target> (those listed in add_executable() or
# add_library(), plus SOURCES), a custom command runs
#
#   acc <the C compile's preprocessor options> <OPTIONS> -MD -MF <out>.d FILE.acc -o <out>
#
# with <out> = ${CMAKE_CURRENT_BINARY_DIR}/acc-generated/<target>/<FILE>.c
# (<FILE> relative to the source directory, each `..` of it written `__`,
# as CMake names the objects of such sources; under a multi-config
# generator, acc-generated/<target>/<config>/<FILE>.c), and the generated C
# replaces the .acc file in the target's compilation. OPTIONS go to acc
# only.
#
# acc decides the preprocessor conditionals of async bodies, so it must see
# what the C compiler sees: the target's include directories, definitions
# and compile options (with those of what it links), CMAKE_C_FLAGS and
# CMAKE_C_FLAGS_<CONFIG>, and the .acc file's own COMPILE_DEFINITIONS,
# COMPILE_OPTIONS, COMPILE_FLAGS and INCLUDE_DIRECTORIES (which the
# generated C gets too). All of that is evaluated as for a C compile of the
# configuration, $<COMPILE_LANGUAGE:C> included, into <out>.args
# (file(GENERATE)); at build time AccTranslate.cmake keeps the options
# that acc takes (-I, -D, -U, -include, -isystem, -std=; -iquote and
# -idirafter as -I and -isystem, as `acc cc` does) and runs acc. The
# variables and source properties are read at the end of the directory, as
# CMake reads them for the compile. The standard of C_STANDARD and
# C_EXTENSIONS goes to acc as -std=gnuNN or -std=cNN, where CMake puts it:
# after CMAKE_C_FLAGS_<CONFIG>, before the target's options; so does a
# standard that compile features raise above it and above the compiler's
# default (c_std_23 in target_compile_features(), of the target or of
# what it links), as CMake raises the compile's. With neither, acc parses
# as gnu11 unless a -std= option says otherwise.
#
# The depfile's target is <out>, escaped for make (no -MT, which is taken
# literally, as gcc takes it: a space in the build path would split it);
# it lists every header acc read, so touching a header re-translates the
# .acc files that include it, and only those. The generated C is compiled
# with -iquote <the .acc file's directory>: `#include "x.h"` finds x.h
# beside the source, as it does for acc, and `#include <x.h>` does not, as
# it does not for acc nor for plain C.
#
# The runtime: <target> links acc::runtime, the static libacc, unless it
# is a SHARED or MODULE library or SHARED_RUNTIME is given: then
# acc::runtime_shared. The runtime's state (the event loop of a thread) must
# be one per process, so a program that links or loads (dlopen) a shared
# library of async code uses the shared runtime too: SHARED_RUNTIME, or
# target_link_libraries(<plain C target> acc::runtime_shared). The keyword
# sets the target property ACC_SHARED_RUNTIME, which also picks the
# runtime that a STATIC or OBJECT library of async code passes on to each
# target that links it.
#
# Call it in the directory that creates <target>, after the target's .acc
# sources are known. Do not also give the .acc files LANGUAGE C on the same
# target: that is the other way, `acc cc` as the C compiler launcher.
include_guard(GLOBAL)

cmake_policy(PUSH)
# Paths in the depfile are absolute; let the Ninja generator translate them.
if(POLICY CMP0116)
  cmake_policy(SET CMP0116 NEW)
endif()

function(acc_target_sources target)
  cmake_parse_arguments(PARSE_ARGV 1 ACC "SHARED_RUNTIME" "" "SOURCES;OPTIONS")
  if(ACC_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "acc_target_sources: unknown arguments: ${ACC_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "acc_target_sources: no target named '${target}'")
  endif()
  if(NOT TARGET acc::acc OR NOT TARGET acc::runtime OR NOT TARGET acc::runtime_shared)
    message(FATAL_ERROR "acc_target_sources: the targets acc::acc, acc::runtime and "
                        "acc::runtime_shared are missing (find_package(acc) or "
                        "add_subdirectory(acc) first)")
  endif()
  get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  list(FIND languages C c_enabled)
  if(c_enabled EQUAL -1)
    message(FATAL_ERROR "acc_target_sources: the generated sources are C: enable the C "
                        "language (project(... C) or enable_language(C))")
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY" OR type STREQUAL "UTILITY")
    message(FATAL_ERROR "acc_target_sources: '${target}' is a ${type}, it compiles nothing")
  endif()
  get_target_property(srcdir ${target} SOURCE_DIR)
  if(NOT srcdir STREQUAL CMAKE_CURRENT_SOURCE_DIR)
    message(FATAL_ERROR "acc_target_sources: call it in the directory that creates "
                        "'${target}' (${srcdir})")
  endif()
  # The generated C differs between configurations (NDEBUG...), so a
  # multi-config generator gets one file per configuration, and a depfile
  # named with $<CONFIG>.
  get_property(multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
  if(multi_config AND CMAKE_VERSION VERSION_LESS 3.21)
    message(FATAL_ERROR "acc_target_sources: a multi-config generator needs CMake 3.21 or later")
  endif()
  if(ACC_SOURCES)
    target_sources(${target} PRIVATE ${ACC_SOURCES})
  endif()

  get_target_property(sources ${target} SOURCES)
  get_target_property(done ${target} ACC_TRANSLATED_SOURCES)
  if(NOT done)
    set(done "")
  endif()
  set(outdir "${CMAKE_CURRENT_BINARY_DIR}/acc-generated/${target}")
  foreach(src IN LISTS sources)
    if(src MATCHES "^\\$<" OR NOT src MATCHES "\\.acc$")
      continue()
    endif()
    get_filename_component(abs "${src}" ABSOLUTE BASE_DIR "${srcdir}")
    if(abs IN_LIST done)
      continue()
    endif()
    list(APPEND done "${abs}")

    # a/b.acc -> a/b.c, ../c/b.acc -> __/c/b.c: distinct sources, distinct
    # files (CMake names the objects of such sources the same way).
    file(RELATIVE_PATH rel "${srcdir}" "${abs}")
    string(REGEX REPLACE "\\.acc$" ".c" rel_c "${rel}")
    string(REPLACE "../" "__/" rel_c "${rel_c}")
    if(multi_config)
      set(out "${outdir}/$<CONFIG>/${rel_c}")
      set(out_files "")
      foreach(config IN LISTS CMAKE_CONFIGURATION_TYPES)
        list(APPEND out_files "${outdir}/${config}/${rel_c}")
      endforeach()
    else()
      set(out "${outdir}/${rel_c}")
      set(out_files "${out}")
    endif()
    foreach(file IN LISTS out_files)
      get_filename_component(parent "${file}" DIRECTORY)
      file(MAKE_DIRECTORY "${parent}")
    endforeach()

    add_custom_command(
      OUTPUT "${out}"
      COMMAND "${CMAKE_COMMAND}" "-DACC=$<TARGET_FILE:acc::acc>" "-DARGS_FILE=${out}.args"
              -P "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/AccTranslate.cmake" --
              ${ACC_OPTIONS}
              -MD -MF "${out}.d" "${abs}" -o "${out}"
      DEPENDS "${abs}" acc::acc "${out}.args"
              "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/AccTranslate.cmake"
      DEPFILE "${out}.d"
      COMMENT "acc: translating ${rel}"
      COMMAND_EXPAND_LISTS
      VERBATIM)
    target_sources(${target} PRIVATE "${out}")
    get_filename_component(accdir "${abs}" DIRECTORY)
    set_property(SOURCE ${out_files} APPEND PROPERTY COMPILE_OPTIONS "-iquote${accdir}")
    # <out>.args and the rest of the generated C's properties at the end of
    # the directory, when the flags and properties are final.
    cmake_language(EVAL CODE "cmake_language(DEFER CALL _acc_finish_source
      [==[${target}]==] [==[${abs}]==] [==[${out}]==] [==[${out_files}]==])")
  endforeach()
  set_property(TARGET ${target} PROPERTY ACC_TRANSLATED_SOURCES "${done}")
  get_target_property(checked ${target} ACC_CHECKS_LATE_SOURCES)
  if(NOT checked)
    set_property(TARGET ${target} PROPERTY ACC_CHECKS_LATE_SOURCES ON)
    cmake_language(EVAL CODE "cmake_language(DEFER CALL _acc_check_late_sources [==[${target}]==])")
  endif()

  if(ACC_SHARED_RUNTIME OR type STREQUAL "SHARED_LIBRARY" OR type STREQUAL "MODULE_LIBRARY")
    set_property(TARGET ${target} PROPERTY ACC_SHARED_RUNTIME ON)
  endif()
  # Link the runtime once. Through the properties, not
  # target_link_libraries(), so that either signature of that command stays
  # open to the caller. Which runtime is read from ACC_SHARED_RUNTIME of
  # the target that links (for a static library: of each of its users).
  get_target_property(linked ${target} ACC_LINKS_RUNTIME)
  if(NOT linked)
    set(runtime "$<IF:$<BOOL:$<TARGET_PROPERTY:ACC_SHARED_RUNTIME>>,acc::runtime_shared,acc::runtime>")
    set_property(TARGET ${target} APPEND PROPERTY LINK_LIBRARIES "${runtime}")
    if(type STREQUAL "STATIC_LIBRARY" OR type STREQUAL "OBJECT_LIBRARY")
      set_property(TARGET ${target} APPEND PROPERTY
        INTERFACE_LINK_LIBRARIES "$<LINK_ONLY:${runtime}>")
    endif()
    set_property(TARGET ${target} PROPERTY ACC_LINKS_RUNTIME ON)
  endif()
endfunction()

# At the end of the directory of <target>: a .acc source added after the
# last acc_target_sources(<target>) would never be translated (CMake has no
# rule for .acc files), so say so rather than build without it.
function(_acc_check_late_sources target)
  get_target_property(sources ${target} SOURCES)
  get_target_property(done ${target} ACC_TRANSLATED_SOURCES)
  get_target_property(srcdir ${target} SOURCE_DIR)
  foreach(src IN LISTS sources)
    if(src MATCHES "^\\$<" OR NOT src MATCHES "\\.acc$")
      continue()
    endif()
    get_filename_component(abs "${src}" ABSOLUTE BASE_DIR "${srcdir}")
    list(FIND done "${abs}" found)
    if(found EQUAL -1)
      message(FATAL_ERROR "acc_target_sources: '${src}' was added to '${target}' after "
                          "acc_target_sources(${target}); call it once the target's .acc "
                          "sources are known (or call it again)")
    endif()
  endforeach()
endfunction()

# At the end of the directory of <target>: the .acc file's compile
# properties go to the generated C too, and <out>.args gets what acc must
# see of a C compile of the target (see the top of this file): one item a
# line, D:<definition>, I:<directory>, S:<standard>:<extensions> or
# O:<compiler option> (O:SHELL:<a command line fragment>). <out> names the file of each configuration with
# $<CONFIG>; <out_files> are those files.
function(_acc_finish_source target abs out out_files)
  foreach(prop IN ITEMS COMPILE_DEFINITIONS COMPILE_OPTIONS INCLUDE_DIRECTORIES COMPILE_FLAGS)
    get_source_file_property(value "${abs}" ${prop})
    if(value STREQUAL "NOTFOUND")
      set(value "")
    endif()
    set(src_${prop} "${value}")
    if(prop STREQUAL "COMPILE_FLAGS" AND NOT value STREQUAL "")
      set_property(SOURCE ${out_files} APPEND_STRING PROPERTY COMPILE_FLAGS " ${value}")
    elseif(NOT value STREQUAL "")
      set_property(SOURCE ${out_files} APPEND PROPERTY ${prop} "${value}")
    endif()
  endforeach()

  # One line per list item, by replacing the separators (not $<JOIN>): an
  # item of a source property may be a generator expression of its own.
  string(REPLACE ";" "\nD:" src_defs "${src_COMPILE_DEFINITIONS}")
  string(REPLACE ";" "\nI:" src_incs "${src_INCLUDE_DIRECTORIES}")
  string(REPLACE ";" "\nO:" src_opts "${src_COMPILE_OPTIONS}")

  # In the order of CMake's compile line: definitions, include
  # directories, then the flags.
  set(tp "$<TARGET_PROPERTY:${target},")
  set(lines
    "D:$<JOIN:${tp}COMPILE_DEFINITIONS>,\nD:>"
    "D:${src_defs}"
    "I:$<JOIN:${tp}INCLUDE_DIRECTORIES>,\nI:>"
    "I:${src_incs}"
    "O:SHELL:${CMAKE_C_FLAGS}")
  get_property(multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
  if(multi_config)
    set(configs ${CMAKE_CONFIGURATION_TYPES})
  else()
    set(configs ${CMAKE_BUILD_TYPE})
  endif()
  foreach(config IN LISTS configs)
    string(TOUPPER "${config}" CONFIG)
    # A `>` would end the $<CONFIG:...> expression.
    string(REPLACE ">" "$<ANGLE-R>" flags "${CMAKE_C_FLAGS_${CONFIG}}")
    list(APPEND lines "$<$<CONFIG:${config}>:O:SHELL:${flags}>")
  endforeach()
  # S:<C_STANDARD>:<C_EXTENSIONS>:<compile features>:<the compiler's
  # default standard>, for AccTranslate.cmake to spell.
  list(APPEND lines
    "S:${tp}C_STANDARD>:${tp}C_EXTENSIONS>:$<JOIN:${tp}COMPILE_FEATURES>, >:${CMAKE_C_STANDARD_COMPUTED_DEFAULT}"
    "O:$<JOIN:${tp}COMPILE_OPTIONS>,\nO:>"
    "O:SHELL:${src_COMPILE_FLAGS}"
    "O:${src_opts}")
  string(REPLACE ";" "\n" content "${lines}")
  file(GENERATE OUTPUT "${out}.args" CONTENT "${content}\n"
    TARGET ${target} CONDITION "$<COMPILE_LANGUAGE:C>")
endfunction()

cmake_policy(POP)
