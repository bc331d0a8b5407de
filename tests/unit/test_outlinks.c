/*  test_outlinks.c - the queue of files also linked from outside the host
    directory (peer/outlinks.c): noted once however often, taken in look
    order, noted again at the end, forgotten when no longer linked outside.
    What the host directory does with it is test_hostdir.c's.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "outlinks.h"

static void
s_expect_take (outlinks_t *queue, uint64_t dev, uint64_t ino)
{
    uint64_t got_dev = 0, got_ino = 0;
    assert_true (outlinks_take (queue, &got_dev, &got_ino));
    assert_int_equal (got_dev, dev);
    assert_int_equal (got_ino, ino);
}

static void
test_queue (void **state)
{
    (void) state;
    outlinks_t *queue = outlinks_new ();
    uint64_t dev, ino;
    assert_false (outlinks_take (queue, &dev, &ino));
    outlinks_note (queue, 1, 10, true);
    outlinks_note (queue, 1, 11, true);
    outlinks_note (queue, 1, 10, true);         //  queued already: stays first
    outlinks_note (queue, 2, 10, false);        //  never queued: nothing
    assert_int_equal (outlinks_size (queue), 2);
    s_expect_take (queue, 1, 10);
    outlinks_note (queue, 1, 10, true);         //  looked at, still linked: last
    s_expect_take (queue, 1, 11);
    outlinks_note (queue, 1, 12, true);
    outlinks_note (queue, 1, 10, false);        //  its outside link is gone
    s_expect_take (queue, 1, 12);
    assert_false (outlinks_take (queue, &dev, &ino));
    //  Large numbers survive the key
    outlinks_note (queue, UINT64_MAX, UINT64_MAX - 1, true);
    s_expect_take (queue, UINT64_MAX, UINT64_MAX - 1);
    outlinks_note (queue, 3, 3, true);
    outlinks_destroy (&queue);                  //  with one queued
    assert_null (queue);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_queue),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
