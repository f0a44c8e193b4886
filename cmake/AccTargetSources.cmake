# AccTargetSources.cmake: acc_target_sources(), the CMake side of acc, as
# bison_target() is bison's. Read by accConfig.cmake (find_package(acc)) and
# by acc's own CMakeLists.txt (add_subdirectory(acc)); either way the
# targets acc::acc (the translator) and acc::runtime (libacc) exist.
#
#   acc_target_sources(<target> [SOURCES <file.acc>...] [OPTIONS <acc option>...])
#
# For each .acc source of <target> (those listed in add_executable() or
# add_library(), plus SOURCES), a custom command runs
#
#   acc <-I and -D of the target> <OPTIONS> -MD -MF <out>.d FILE.acc -o <out>
#
# with <out> = ${CMAKE_CURRENT_BINARY_DIR}/acc-generated/<target>/<FILE>.c
# (<FILE> relative to the source directory, each `..` of it written `__`,
# as CMake names the objects of such sources), and the generated C
# replaces the .acc file in the target's compilation. The
# depfile's target is <out>, escaped for make (no -MT, which is taken
# literally, as gcc takes it: a space in the build path would split it);
# it lists every header acc read, so touching a header re-translates
# the .acc files that include it, and only those. The generated C is
# compiled with -iquote <the .acc file's directory>: `#include "x.h"` finds
# x.h beside the source, as it does for acc, and `#include <x.h>` does not,
# as it does not for acc nor for plain C. <target> links acc::runtime (a
# static library target passes it on to its users).
#
# Call it in the directory that creates <target>, after the target's .acc
# sources are known. The target's include directories and compile
# definitions (with those of what it links) are given to acc too, read at
# generate time, so later target_include_directories() calls count. (A
# definition or include directory written with $<COMPILE_LANGUAGE:...>
# cannot be evaluated for a custom command: pass what acc needs in OPTIONS
# instead.) Do not also give the .acc files LANGUAGE C on the same target:
# that is the other way, `acc cc` as the C compiler launcher.
include_guard(GLOBAL)

cmake_policy(PUSH)
# Paths in the depfile are absolute; let the Ninja generator translate them.
if(POLICY CMP0116)
  cmake_policy(SET CMP0116 NEW)
endif()

function(acc_target_sources target)
  cmake_parse_arguments(PARSE_ARGV 1 ACC "" "" "SOURCES;OPTIONS")
  if(ACC_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "acc_target_sources: unknown arguments: ${ACC_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "acc_target_sources: no target named '${target}'")
  endif()
  if(NOT TARGET acc::acc OR NOT TARGET acc::runtime)
    message(FATAL_ERROR "acc_target_sources: the targets acc::acc and acc::runtime "
                        "are missing (find_package(acc) or add_subdirectory(acc) first)")
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
  if(ACC_SOURCES)
    target_sources(${target} PRIVATE ${ACC_SOURCES})
  endif()

  # What the target's own compilation would see, for acc's parse.
  set(incs "$<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>")
  set(defs "$<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>")

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
    set(out "${outdir}/${rel_c}")
    get_filename_component(outparent "${out}" DIRECTORY)
    get_filename_component(accdir "${abs}" DIRECTORY)
    file(MAKE_DIRECTORY "${outparent}")

    add_custom_command(
      OUTPUT "${out}"
      COMMAND acc::acc
              "$<$<BOOL:${incs}>:-I$<JOIN:${incs},;-I>>"
              "$<$<BOOL:${defs}>:-D$<JOIN:${defs},;-D>>"
              ${ACC_OPTIONS}
              -MD -MF "${out}.d" "${abs}" -o "${out}"
      DEPENDS "${abs}" acc::acc
      DEPFILE "${out}.d"
      COMMENT "acc: translating ${rel}"
      COMMAND_EXPAND_LISTS
      VERBATIM)
    target_sources(${target} PRIVATE "${out}")
    set_property(SOURCE "${out}" APPEND PROPERTY COMPILE_OPTIONS "-iquote${accdir}")
  endforeach()
  set_property(TARGET ${target} PROPERTY ACC_TRANSLATED_SOURCES "${done}")

  # Link the runtime once. Through the properties, not
  # target_link_libraries(), so that either signature of that command stays
  # open to the caller.
  get_target_property(linked ${target} ACC_LINKS_RUNTIME)
  if(NOT linked)
    set_property(TARGET ${target} APPEND PROPERTY LINK_LIBRARIES acc::runtime)
    if(type STREQUAL "STATIC_LIBRARY" OR type STREQUAL "OBJECT_LIBRARY")
      set_property(TARGET ${target} APPEND PROPERTY
        INTERFACE_LINK_LIBRARIES "$<LINK_ONLY:acc::runtime>")
    endif()
    set_property(TARGET ${target} PROPERTY ACC_LINKS_RUNTIME ON)
  endif()
endfunction()

cmake_policy(POP)
