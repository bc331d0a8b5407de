/*  test_idtable.c - proto/idtable: hash tables keyed by a 64-bit id that
    lives inside the item. Keys are compared by value (a different pointer
    to the same id finds the item), never copied nor freed; items are
    freed by the destructor, or not at all without one.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "idtable.h"

typedef struct {
    uint64_t id;
    int *freed;
} id_item_t;

static void
s_id_item_destroy (void **item_p)
{
    id_item_t *item = (id_item_t *) *item_p;
    (*item->freed)++;
    free (item);
    *item_p = NULL;
}

static id_item_t *
s_item (uint64_t id, int *freed)
{
    id_item_t *item = (id_item_t *) zmalloc (sizeof (id_item_t));
    item->id = id;
    item->freed = freed;
    return item;
}

static void
test_by_value (void **state)
{
    (void) state;
    int freed = 0;
    zhashx_t *table = fsh_idtable_new (s_id_item_destroy);
    uint64_t ids [] = { 0, 1, 1ULL << 32, (1ULL << 32) + 1, UINT64_MAX, UINT64_MAX - 1 };
    size_t count = sizeof ids / sizeof ids [0];
    for (size_t i = 0; i < count; i++) {
        id_item_t *item = s_item (ids [i], &freed);
        assert_int_equal (zhashx_insert (table, &item->id, item), 0);
    }
    assert_int_equal (zhashx_size (table), count);
    for (size_t i = 0; i < count; i++) {
        uint64_t key = ids [i];         //  a copy: another address, same value
        id_item_t *item = (id_item_t *) zhashx_lookup (table, &key);
        assert_non_null (item);
        assert_true (item->id == ids [i]);
    }
    uint64_t missing = 2;
    assert_null (zhashx_lookup (table, &missing));
    //  The same id twice is refused; the first item stays, nothing freed
    int spare_freed = 0;
    id_item_t *twin = s_item (1, &spare_freed);
    assert_int_equal (zhashx_insert (table, &twin->id, twin), -1);
    uint64_t one = 1;
    assert_ptr_not_equal (zhashx_lookup (table, &one), twin);
    assert_int_equal (spare_freed, 0);
    free (twin);
    //  Keys are the items' own: not copied
    for (id_item_t *item = (id_item_t *) zhashx_first (table); item;
         item = (id_item_t *) zhashx_next (table))
        assert_ptr_equal (zhashx_cursor (table), &item->id);
    uint64_t gone = 1ULL << 32;
    zhashx_delete (table, &gone);
    assert_int_equal (freed, 1);
    assert_int_equal (zhashx_size (table), count - 1);
    assert_null (zhashx_lookup (table, &gone));
    assert_non_null (zhashx_lookup (table, &(uint64_t) { (1ULL << 32) + 1 }));
    zhashx_destroy (&table);
    assert_int_equal (freed, (int) count);
}

//  Many ids that differ only in their high or only in their low bits,
//  through the table's growth
static void
test_many (void **state)
{
    (void) state;
    int freed = 0;
    zhashx_t *table = fsh_idtable_new (s_id_item_destroy);
    for (uint64_t i = 0; i < 2000; i++) {
        id_item_t *low = s_item (i, &freed);
        id_item_t *high = s_item (i << 32, &freed);
        assert_int_equal (zhashx_insert (table, &low->id, low), 0);
        if (i)
            assert_int_equal (zhashx_insert (table, &high->id, high), 0);
        else
            free (high);
    }
    assert_int_equal (zhashx_size (table), 3999);
    for (uint64_t i = 0; i < 2000; i++) {
        uint64_t low = i, high = i << 32;
        id_item_t *item = (id_item_t *) zhashx_lookup (table, &low);
        assert_non_null (item);
        assert_true (item->id == low);
        item = (id_item_t *) zhashx_lookup (table, &high);
        assert_non_null (item);
        assert_true (item->id == high);
    }
    zhashx_destroy (&table);
    assert_int_equal (freed, 3999);
}

//  No destructor: the table never frees an item (ASan sees a double free
//  if it did)
static void
test_no_destructor (void **state)
{
    (void) state;
    int freed = 0;
    zhashx_t *table = fsh_idtable_new (NULL);
    id_item_t *item = s_item (7, &freed);
    assert_int_equal (zhashx_insert (table, &item->id, item), 0);
    zhashx_delete (table, &item->id);
    assert_int_equal (zhashx_size (table), 0);
    assert_int_equal (zhashx_insert (table, &item->id, item), 0);
    zhashx_destroy (&table);
    assert_int_equal (item->id, 7);
    free (item);
}

//  fsh_idtable_items: a list that owns nothing, to walk while deleting
//  from the table: each item freed once, by the table
static void
test_items (void **state)
{
    (void) state;
    int freed = 0;
    zhashx_t *table = fsh_idtable_new (s_id_item_destroy);
    for (uint64_t id = 1; id <= 3; id++) {
        id_item_t *item = s_item (id, &freed);
        assert_int_equal (zhashx_insert (table, &item->id, item), 0);
    }
    zlistx_t *items = fsh_idtable_items (table);
    assert_int_equal (zlistx_size (items), 3);
    for (id_item_t *item = (id_item_t *) zlistx_first (items); item;
         item = (id_item_t *) zlistx_next (items))
        if (item->id != 2)
            zhashx_delete (table, &item->id);
    assert_int_equal (freed, 2);
    zlistx_destroy (&items);
    assert_int_equal (freed, 2);
    assert_int_equal (zhashx_size (table), 1);
    zhashx_destroy (&table);
    assert_int_equal (freed, 3);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_by_value),
        cmocka_unit_test (test_many),
        cmocka_unit_test (test_no_destructor),
        cmocka_unit_test (test_items),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
