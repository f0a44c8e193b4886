/* For lang_macro_names_local.acc: a macro in a header that names a local
 * of the async function that invokes it. */
#define BUMP_TOTAL(n) (total += (n))
