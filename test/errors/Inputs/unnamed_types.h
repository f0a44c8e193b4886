/* tr_unnamed_entry_type.acc: async functions whose result or parameter
 * type is a struct without a tag, which the generated C cannot name. */
#pragma once
async struct { int a; } *unnamed_result(int);
async int unnamed_param(struct { int b; } *p);
