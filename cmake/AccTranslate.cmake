# AccTranslate.cmake: the command of each translation that
# acc_target_sources() (AccTargetSources.cmake) sets up:
#
#   cmake -DACC=<acc> -DARGS_FILE=<out>.args -P AccTranslate.cmake -- <acc arguments>...
#
# runs `acc <options> <acc arguments>...`, with <options> the preprocessor
# options of a C compile of the target that acc takes, read from
# <out>.args (written by file(GENERATE), one item a line: D:<definition>,
# I:<directory>, O:<compiler option>, O:SHELL:<command line fragment>,
# S:<C_STANDARD>:<C_EXTENSIONS>:<COMPILE_FEATURES>:<the compiler's
# default standard> of the target).
# A script rather than generator expressions on the command line, because
# only file(GENERATE) evaluates $<COMPILE_LANGUAGE:C> as the C compile does,
# and keeping `-include FILE` but not `-o FILE` needs to look at pairs.
cmake_minimum_required(VERSION 3.20)

# The arguments after `--`, for acc as they are.
set(acc_args "")
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
  if(seen_dashes)
    string(REPLACE ";" "\\;" arg "${CMAKE_ARGV${i}}")
    list(APPEND acc_args "${arg}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(seen_dashes ON)
  endif()
endforeach()

# Each loop starts by escaping the `;` of its item, which CMake lists would
# take for separators (as in -DSEP=';').
# The C standards in order (90 is older than 11).
set(c_std_rank_90 1)
set(c_std_rank_99 2)
set(c_std_rank_11 3)
set(c_std_rank_17 4)
set(c_std_rank_23 5)

file(STRINGS "${ARGS_FILE}" lines ENCODING UTF-8)
set(options "")
set(words "")
foreach(line IN LISTS lines)
  string(REPLACE ";" "\\;" line "${line}")
  if(line MATCHES "^([DI]):(.+)")
    list(APPEND options "-${CMAKE_MATCH_1}${CMAKE_MATCH_2}")
  elseif(line MATCHES "^S:([0-9]*):([^:]*):([^:]*):([0-9]*)$")
    # CMake's -std= for C_STANDARD, or for a compile feature c_std_NN that
    # asks for more than it and than the compiler's default: GNU's dialect
    # unless C_EXTENSIONS is set and false; 23 is clang 14's c2x.
    set(std "${CMAKE_MATCH_1}")
    set(extensions "${CMAKE_MATCH_2}")
    set(features "${CMAKE_MATCH_3}")
    set(default "${CMAKE_MATCH_4}")
    set(floor "${std}")
    if(floor STREQUAL "")
      set(floor "${default}")
    endif()
    string(REGEX MATCHALL "c_std_[0-9]+" wanted "${features}")
    foreach(feature IN LISTS wanted)
      string(SUBSTRING "${feature}" 6 -1 level)
      if(floor STREQUAL "" OR c_std_rank_${level} GREATER c_std_rank_${floor})
        set(std "${level}")
        set(floor "${level}")
      endif()
    endforeach()
    if(std STREQUAL "23")
      set(std "2x")
    endif()
    if(std STREQUAL "")
      # no standard asked for: acc's default
    elseif(NOT extensions STREQUAL "" AND NOT extensions)
      list(APPEND words "-std=c${std}")
    else()
      list(APPEND words "-std=gnu${std}")
    endif()
  elseif(line MATCHES "^O:SHELL:(.*)")
    separate_arguments(fragment UNIX_COMMAND "${CMAKE_MATCH_1}")
    foreach(word IN LISTS fragment)
      string(REPLACE ";" "\\;" word "${word}")
      list(APPEND words "${word}")
    endforeach()
  elseif(line MATCHES "^O:(.+)")
    list(APPEND words "${CMAKE_MATCH_1}")
  endif()
endforeach()

# The compiler options, in order: acc gets those it takes, in its
# spelling (it takes -include and -isystem only apart from their
# argument); the argument of a dropped option is dropped with it.
set(pending "")
foreach(word IN LISTS words)
  string(REPLACE ";" "\\;" word "${word}")
  if(pending STREQUAL "drop")
    set(pending "")
  elseif(pending)
    list(APPEND options "${pending}" "${word}")
    set(pending "")
  elseif(word MATCHES "^-(I|D|U|include|isystem)$")
    set(pending "${word}")
  elseif(word STREQUAL "-iquote")
    set(pending "-I")
  elseif(word STREQUAL "-idirafter")
    set(pending "-isystem")
  elseif(word MATCHES "^-(imacros|include-pch|isysroot|iprefix|iwithprefix|iwithprefixbefore|Xclang|Xpreprocessor|MF|MT|MQ|o|x|target|-param)$")
    set(pending "drop")
  elseif(word MATCHES "^-[IDU]." OR word MATCHES "^-std=")
    list(APPEND options "${word}")
  elseif(word MATCHES "^-(include|isystem)(.+)")
    list(APPEND options "-${CMAKE_MATCH_1}" "${CMAKE_MATCH_2}")
  elseif(word MATCHES "^-iquote(.+)")
    list(APPEND options "-I${CMAKE_MATCH_1}")
  elseif(word MATCHES "^-idirafter(.+)")
    list(APPEND options "-isystem" "${CMAKE_MATCH_1}")
  endif()
endforeach()

execute_process(COMMAND "${ACC}" ${options} ${acc_args} RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  # acc has said why; the status of a script is 0 or 1.
  message(FATAL_ERROR "translation failed (acc: ${status})")
endif()
