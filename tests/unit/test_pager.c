/*  test_pager.c - cutting file lists into pages (proto/pager.c): an
    entry's size is exactly what it adds to the encoded message, no page
    goes over its budget, a page always takes its first entry, and the
    pages together hold every entry once, in order.
*/
#include "pager.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#define ENTRIES 1000

static void
s_fill (Fshare__FileInfo *infos, char paths [][64], size_t count)
{
    for (size_t i = 0; i < count; i++) {
        infos [i] = (Fshare__FileInfo) FSHARE__FILE_INFO__INIT;
        //  Sizes of every varint length, paths of several lengths
        snprintf (paths [i], 64, "d/%.*s%zu", (int) (i % 30), "abcdefghijklmnopqrstuvwxyzabcd", i);
        infos [i].path = paths [i];
        infos [i].size = (uint64_t) i << (i % 50);
        infos [i].mtime = (int64_t) i * 1000;
    }
}

static void
test_entry_size_is_exact (void **state)
{
    (void) state;
    Fshare__FileInfo infos [ENTRIES];
    static char paths [ENTRIES][64];
    s_fill (infos, paths, ENTRIES);
    Fshare__FileInfo *list [ENTRIES];
    size_t sum = 0;
    for (size_t i = 0; i < ENTRIES; i++) {
        list [i] = &infos [i];
        sum += fsh_pager_entry_size (&infos [i]);
    }
    Fshare__Publish publish = FSHARE__PUBLISH__INIT;
    publish.files = list;
    publish.n_files = ENTRIES;
    assert_int_equal (fshare__publish__get_packed_size (&publish), sum);
}

static void
test_pages_keep_the_budget (void **state)
{
    (void) state;
    Fshare__FileInfo infos [ENTRIES];
    static char paths [ENTRIES][64];
    s_fill (infos, paths, ENTRIES);
    size_t budget = 1500;
    fsh_pager_t *pager = fsh_pager_new (budget);
    size_t next = 0, pages = 0;
    for (size_t i = 0; i <= ENTRIES; i++) {
        if (i == ENTRIES || fsh_pager_full (pager, &infos [i])) {
            //  Every entry once, in order, the page within its budget
            assert_true (fsh_pager_bytes (pager) <= budget);
            for (size_t j = 0; j < fsh_pager_count (pager); j++)
                assert_ptr_equal (fsh_pager_files (pager) [j], &infos [next++]);
            //  Not needlessly small: the next entry would not have fit
            if (i < ENTRIES)
                assert_true (fsh_pager_bytes (pager) + fsh_pager_entry_size (&infos [i]) > budget);
            pages++;
            fsh_pager_reset (pager);
            assert_int_equal (fsh_pager_count (pager), 0);
            assert_int_equal (fsh_pager_bytes (pager), 0);
        }
        if (i < ENTRIES)
            fsh_pager_add (pager, &infos [i]);
    }
    assert_int_equal (next, ENTRIES);
    assert_true (pages > 10);
    fsh_pager_destroy (&pager);
    assert_null (pager);
}

static void
test_first_entry_always_fits (void **state)
{
    (void) state;
    Fshare__FileInfo info = FSHARE__FILE_INFO__INIT;
    info.path = "a-path-longer-than-the-budget";
    fsh_pager_t *pager = fsh_pager_new (4);
    assert_false (fsh_pager_full (pager, &info));
    fsh_pager_add (pager, &info);
    assert_int_equal (fsh_pager_count (pager), 1);
    assert_true (fsh_pager_full (pager, &info));
    fsh_pager_destroy (&pager);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_entry_size_is_exact),
        cmocka_unit_test (test_pages_keep_the_budget),
        cmocka_unit_test (test_first_entry_always_fits),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
