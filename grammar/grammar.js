/**
 * @file async-C grammar for tree-sitter: C (tree-sitter-c) plus `async` and `await`.
 * @license MIT
 *
 * async-C is C11 with the GNU extensions, plus two keywords (SPEC.md, section 1):
 *
 *  - `async` is a function specifier. It may stand anywhere among the
 *    declaration specifiers of a declaration or function definition, and
 *    also in a `typedef`, a struct member, a parameter and a type name
 *    (casts, `sizeof`), so that pointers to async functions and async
 *    function types can be written: `async int (*op)(int) = f;`.
 *    It becomes the node `async_specifier`.
 *
 *  - `await` is a prefix unary operator with the precedence of the other
 *    unary operators: `await f(x) + 1` is `(await f(x)) + 1`, and
 *    `await p->f(x)` awaits the call. It becomes the node
 *    `await_expression` with the field `argument`.
 *
 * Nothing else of C changes. Both words are reserved keywords in async-C,
 * so they are no longer identifiers.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

const C = require('tree-sitter-c/grammar');

const PREC = C.PREC;

module.exports = grammar(C, {
  name: 'acc',

  // C's whitespace plus form feed and vertical tab, which real headers
  // contain (tree-sitter 0.20's `\s` is only [ \t\r\n]).
  extras: $ => [
    /[\s\f\v]|\\\r?\n/,
    $.comment,
  ],

  rules: {
    // `async` among the declaration specifiers of any declaration: functions
    // (prototypes and definitions), variables (function pointers), struct
    // members and parameters all go through _declaration_modifiers.
    _declaration_modifiers: ($, original) => choice(
      original,
      $.async_specifier,
    ),

    async_specifier: _ => 'async',

    // `typedef async int (*op_fn)(int);` and `typedef async int coro_fn(int);`
    _type_definition_type: $ => seq(
      repeat(choice($.type_qualifier, $.async_specifier)),
      field('type', $.type_specifier),
      repeat(choice($.type_qualifier, $.async_specifier)),
    ),

    // A type name: `(async int (*)(int))p`, `sizeof(async int (*)(void))`.
    type_descriptor: $ => seq(
      repeat(choice($.type_qualifier, $.async_specifier)),
      field('type', $.type_specifier),
      repeat(choice($.type_qualifier, $.async_specifier)),
      field('declarator', optional($._abstract_declarator)),
    ),

    _expression_not_binary: ($, original) => choice(
      original,
      $.await_expression,
    ),

    // Same precedence and associativity as C's other prefix operators
    // (unary_expression): it binds looser than calls, subscripts and member
    // access and tighter than every binary operator.
    await_expression: $ => prec.left(PREC.UNARY, seq(
      'await',
      field('argument', $.expression),
    )),
  },
});
