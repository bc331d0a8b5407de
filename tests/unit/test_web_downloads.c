/*  test_web_downloads.c - fshare-web's table of downloads (downloads.c):
    the order items start in (oldest job first, at most DOWNLOADS_RUNNING
    at once), an item queued again in its place, a cancel, the same click
    twice, the bounds on unfinished work, the tallies a summary shows, and
    a folder of 100,000 files run through from end to end.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fshare.h"
#include "downloads.h"

//  A job of `count` files named <prefix>NNNNNN.
static uint64_t
s_add (downloads_t *table, const char *what, size_t count)
{
    char **paths = (char **) calloc (count? count: 1, sizeof (char *));
    for (size_t i = 0; i < count; i++)
        paths [i] = zsys_sprintf ("%s/%06zu", what, i);
    uint64_t id = downloads_add (table, "alice", what, true, count,
                                 (const char *const *) paths, NULL);
    for (size_t i = 0; i < count; i++)
        zstr_free (&paths [i]);
    free (paths);
    return id;
}

//  The next item to start: its job's id and its path.
static download_item_t *
s_next (downloads_t *table, uint64_t job_id, const char *path)
{
    download_job_t *job = NULL;
    download_item_t *item = downloads_next (table, &job);
    assert_non_null (item);
    assert_int_equal (job->id, job_id);
    assert_string_equal (item->path, path);
    assert_int_equal (item->state, ITEM_RUNNING);
    return item;
}

static void
s_counts_are (download_job_t *job, size_t running, size_t done, size_t failed, size_t cancelled)
{
    size_t r, d, f, c;
    downloads_counts (job, &r, &d, &f, &c);
    assert_int_equal (r, running);
    assert_int_equal (d, done);
    assert_int_equal (f, failed);
    assert_int_equal (c, cancelled);
}

static void
test_order_and_limit (void **state)
{
    (void) state;
    downloads_t *table = downloads_new ();
    uint64_t a = s_add (table, "a", 3), b = s_add (table, "b", 2);
    assert_true (a && b && a != b);
    download_job_t *job_a = downloads_job (table, a), *job_b = downloads_job (table, b);
    uint64_t version = downloads_version (table);
    download_item_t *a0 = s_next (table, a, "a/000000");
    assert_true (downloads_version (table) > version);
    s_next (table, a, "a/000001");
    download_item_t *a2 = s_next (table, a, "a/000002");
    download_item_t *b0 = s_next (table, b, "b/000000");
    //  DOWNLOADS_RUNNING (4) at once
    download_job_t *job = NULL;
    assert_null (downloads_next (table, &job));
    s_counts_are (job_a, 3, 0, 0, 0);
    downloads_item_end (table, job_a, a0, ITEM_DONE);
    downloads_item_end (table, job_a, a2, ITEM_FAILED);
    s_counts_are (job_a, 1, 1, 1, 0);
    s_next (table, b, "b/000001");
    assert_null (downloads_next (table, &job));
    assert_false (downloads_job_over (job_a));
    downloads_item_end (table, job_a, &job_a->items [1], ITEM_DONE);
    assert_true (downloads_job_over (job_a));
    s_counts_are (job_a, 0, 2, 1, 0);
    //  Nothing queued is left, whatever runs
    assert_null (downloads_next (table, &job));
    downloads_item_end (table, job_b, b0, ITEM_DONE);
    downloads_item_end (table, job_b, &job_b->items [1], ITEM_DONE);
    assert_true (downloads_job_over (job_b));
    assert_null (downloads_next (table, &job));
    downloads_destroy (&table);
}

//  An item that could not start (no descriptor) goes back in its place:
//  it starts before the items after it, and before a later job's.
static void
test_requeue (void **state)
{
    (void) state;
    downloads_t *table = downloads_new ();
    uint64_t a = s_add (table, "a", 6);
    download_job_t *job_a = downloads_job (table, a);
    download_item_t *items [4];
    for (int i = 0; i < 4; i++) {
        char path [16];
        snprintf (path, sizeof path, "a/%06d", i);
        items [i] = s_next (table, a, path);
    }
    uint64_t b = s_add (table, "b", 1);
    downloads_requeue (table, job_a, items [1]);
    assert_int_equal (items [1]->state, ITEM_QUEUED);
    s_counts_are (job_a, 6, 0, 0, 0);
    s_next (table, a, "a/000001");
    downloads_item_end (table, job_a, items [0], ITEM_DONE);
    s_next (table, a, "a/000004");
    downloads_item_end (table, job_a, items [2], ITEM_DONE);
    s_next (table, a, "a/000005");
    downloads_item_end (table, job_a, items [3], ITEM_DONE);
    s_next (table, b, "b/000000");
    downloads_destroy (&table);
}

//  A cancel ends what is queued at once; what runs ends as the bridge
//  ends it. A cancelled job starts nothing more, and may be asked anew.
static void
test_cancel (void **state)
{
    (void) state;
    downloads_t *table = downloads_new ();
    uint64_t a = s_add (table, "a", 5);
    download_job_t *job_a = downloads_job (table, a);
    download_item_t *a0 = s_next (table, a, "a/000000");
    download_item_t *a1 = s_next (table, a, "a/000001");
    downloads_item_end (table, job_a, a0, ITEM_DONE);
    uint64_t b = s_add (table, "b", 1);
    assert_true (downloads_cancel (table, a));
    assert_true (job_a->cancelled);
    s_counts_are (job_a, 1, 1, 0, 3);
    assert_int_equal (job_a->items [4].state, ITEM_CANCELLED);
    //  The next to start is the later job's
    s_next (table, b, "b/000000");
    download_job_t *job = NULL;
    assert_null (downloads_next (table, &job));
    assert_false (downloads_job_over (job_a));
    downloads_item_end (table, job_a, a1, ITEM_CANCELLED);
    assert_true (downloads_job_over (job_a));
    s_counts_are (job_a, 0, 1, 0, 4);
    //  Over: no second cancel; no such job: none either
    assert_false (downloads_cancel (table, a));
    assert_false (downloads_cancel (table, 12345));
    //  Asked anew, it is a new job
    uint64_t again = s_add (table, "a", 5);
    assert_true (again && again != a && again != b);
    downloads_destroy (&table);
}

//  The same download while it is unfinished is that job (a double click);
//  distinct ones are bounded in jobs and in files.
static void
test_same_and_bounds (void **state)
{
    (void) state;
    downloads_t *table = downloads_new ();
    uint64_t first = s_add (table, "same", 2);
    assert_int_equal (s_add (table, "same", 2), first);
    assert_non_null (downloads_unfinished (table, "alice", "same", true));
    assert_null (downloads_unfinished (table, "alice", "same", false));
    for (int i = 1; i < DOWNLOADS_PENDING; i++) {
        char what [16];
        snprintf (what, sizeof what, "job%d", i);
        assert_true (s_add (table, what, 1) > 0);
    }
    assert_int_equal (s_add (table, "one-too-many", 1), 0);
    assert_null (downloads_job (table, 0));
    downloads_destroy (&table);

    table = downloads_new ();
    assert_true (s_add (table, "big", DOWNLOADS_ITEMS - 1) > 0);
    assert_int_equal (s_add (table, "two", 2), 0);
    assert_true (s_add (table, "one", 1) > 0);
    assert_int_equal (s_add (table, "more", 1), 0);
    downloads_destroy (&table);
    table = downloads_new ();
    assert_int_equal (s_add (table, "huge", DOWNLOADS_ITEMS + 1), 0);
    downloads_destroy (&table);
}

//  A folder of 100,000 files (SPEC 9) from first to last, four at a time:
//  every file starts once, in order, and the tallies end right. (Each
//  start used to walk every item twice: some 10^10 item reads here.)
static void
test_many (void **state)
{
    (void) state;
    size_t count = 100000;
    downloads_t *table = downloads_new ();
    uint64_t id = s_add (table, "many", count);
    download_job_t *job = downloads_job (table, id);
    download_item_t *running [DOWNLOADS_RUNNING];
    size_t started = 0, ended = 0, slot = 0;
    for (int i = 0; i < DOWNLOADS_RUNNING; i++) {
        download_job_t *which = NULL;
        running [i] = downloads_next (table, &which);
        assert_ptr_equal (running [i], &job->items [started++]);
    }
    while (ended < count) {
        downloads_item_end (table, job, running [slot],
                            ended % 1000 == 7? ITEM_FAILED: ITEM_DONE);
        ended++;
        download_job_t *which = NULL;
        running [slot] = downloads_next (table, &which);
        if (started < count)
            assert_ptr_equal (running [slot], &job->items [started++]);
        else
            assert_null (running [slot]);
        slot = (slot + 1) % DOWNLOADS_RUNNING;
    }
    assert_int_equal (started, count);
    assert_true (downloads_job_over (job));
    s_counts_are (job, 0, count - count / 1000, count / 1000, 0);
    downloads_destroy (&table);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_order_and_limit),
        cmocka_unit_test (test_requeue),
        cmocka_unit_test (test_cancel),
        cmocka_unit_test (test_same_and_bounds),
        cmocka_unit_test (test_many),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
