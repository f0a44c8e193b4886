/* lang_declarator_lists.acc: a header declaring one of the functions that
 * the .acc file declares again in a list of declarators. */
#pragma once
async int f2(int);
