; inherits: c
;
; Highlights of async-C: what it adds to C's. The line above makes Neovim and
; Helix load their C queries before these; the tree-sitter CLI loads
; tree-sitter-c's highlights.scm before this file (tree-sitter.json). Where
; two patterns capture the same node the later one wins, so these override
; C's (`acc_sleep` is a builtin, not just a function).

; The two keywords of async-C.
(async_specifier) @keyword.coroutine
"await" @keyword.coroutine

; The runtime, <acc.h>: acc_* calls (acc_run, acc_sleep, acc_gather ...),
; its types (acc_task, acc_event, acc_awaitable ...) and constants
; (ACC_READABLE, ACC_WRITABLE), and the macro __ACC__.
(call_expression
  function: (identifier) @function.builtin
  (#match? @function.builtin "^acc_"))

((type_identifier) @type.builtin
  (#match? @type.builtin "^acc_"))

((identifier) @constant.builtin
  (#match? @constant.builtin "^(ACC_[A-Z0-9_]+|__ACC__)$"))
