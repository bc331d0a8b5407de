/*  idtable.c - hash tables keyed by a 64-bit id. See idtable.h. */
#include "idtable.h"

static size_t
s_hash (const void *key)
{
    uint64_t id = *(const uint64_t *) key;
    return (size_t) (id ^ (id >> 32));
}

static int
s_compare (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return (x > y) - (x < y);
}

zhashx_t *
fsh_idtable_new (zhashx_destructor_fn *destructor)
{
    zhashx_t *table = zhashx_new ();
    zhashx_set_key_hasher (table, s_hash);
    zhashx_set_key_comparator (table, s_compare);
    zhashx_set_key_duplicator (table, NULL);
    zhashx_set_key_destructor (table, NULL);
    if (destructor)
        zhashx_set_destructor (table, destructor);
    return table;
}

zlistx_t *
fsh_idtable_turn (zhashx_t *table, fsh_idtable_wants_fn *wants, size_t max, uint64_t *turn)
{
    size_t count = 0;
    for (void *item = zhashx_first (table); item; item = zhashx_next (table))
        count += wants (item);
    zlistx_t *list = zlistx_new ();
    if (count == 0 || max == 0)
        return list;
    size_t take = max < count? max: count;
    size_t start = (size_t) (*turn % count);
    *turn += take;
    //  Positions start .. start + take - 1 among those that want, wrapped
    size_t index = 0;
    for (void *item = zhashx_first (table); item; item = zhashx_next (table)) {
        if (!wants (item))
            continue;
        size_t from_start = (index + count - start) % count;
        if (from_start < take)
            zlistx_add_end (list, item);
        index++;
    }
    return list;
}

zlistx_t *
fsh_idtable_items (zhashx_t *table)
{
    zlistx_t *list = zlistx_new ();
    for (void *item = zhashx_first (table); item; item = zhashx_next (table))
        zlistx_add_end (list, item);
    return list;
}
