/* A header whose plain functions await and call an async function: acc
 * translates only the .acc file, so both are errors. */
async int fetch(int x);

static inline int plain_await(void)
{
    return await fetch(1);
}

static inline int plain_call(void)
{
    return fetch(2) != 0;
}
