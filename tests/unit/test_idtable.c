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

static bool
s_odd (void *item)
{
    return ((id_item_t *) item)->id % 2 == 1;
}

//  fsh_idtable_turn: at most max of the items that want work, the next
//  ones each call, every one reached in turn; nothing when none wants
static void
test_turn (void **state)
{
    (void) state;
    int freed = 0;
    zhashx_t *table = fsh_idtable_new (s_id_item_destroy);
    for (uint64_t id = 1; id <= 20; id++) {
        id_item_t *item = s_item (id, &freed);
        assert_int_equal (zhashx_insert (table, &item->id, item), 0);
    }
    //  10 odd ids, 3 a turn: after 10 turns each was served 3 times
    int served [21] = { 0 };
    uint64_t turn = 0;
    for (int round = 0; round < 10; round++) {
        zlistx_t *list = fsh_idtable_turn (table, s_odd, 3, &turn);
        assert_int_equal (zlistx_size (list), 3);
        for (id_item_t *item = (id_item_t *) zlistx_first (list); item;
             item = (id_item_t *) zlistx_next (list)) {
            assert_true (item->id % 2 == 1);
            served [item->id]++;
        }
        zlistx_destroy (&list);
    }
    for (uint64_t id = 1; id <= 20; id++)
        assert_int_equal (served [id], id % 2 == 1? 3: 0);
    //  More room than items: each once
    zlistx_t *list = fsh_idtable_turn (table, s_odd, 100, &turn);
    assert_int_equal (zlistx_size (list), 10);
    zlistx_destroy (&list);
    //  The list owns nothing
    zhashx_destroy (&table);
    assert_int_equal (freed, 20);
    table = fsh_idtable_new (NULL);
    list = fsh_idtable_turn (table, s_odd, 3, &turn);
    assert_int_equal (zlistx_size (list), 0);
    zlistx_destroy (&list);
    zhashx_destroy (&table);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_by_value),
        cmocka_unit_test (test_many),
        cmocka_unit_test (test_no_destructor),
        cmocka_unit_test (test_items),
        cmocka_unit_test (test_turn),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
