/*  test_settle.c - the settle queue, with times passed in: deadlines,
    a path that keeps its earlier deadline, cancelling, renames below a
    directory, and the timeout the event loop waits for.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "settle.h"

static void
s_expect_due (settle_t *settle, int64_t now, const char *path)
{
    char *due = settle_take_due (settle, now);
    if (!path) {
        assert_null (due);
        return;
    }
    assert_non_null (due);
    assert_string_equal (due, path);
    free (due);
}

static void
test_deadlines (void **state)
{
    (void) state;
    settle_t *settle = settle_new (100);
    assert_int_equal (settle_delay (settle), 100);
    assert_int_equal (settle_timeout (settle, 0), -1);
    s_expect_due (settle, 1000000, NULL);

    settle_add (settle, "a", 1000);
    settle_add (settle, "b", 1030);
    settle_add (settle, "a", 1060);         //  keeps its deadline, 1100
    assert_int_equal (settle_size (settle), 2);
    assert_true (settle_has (settle, "a"));
    assert_int_equal (settle_timeout (settle, 1000), 100);
    assert_int_equal (settle_timeout (settle, 1099), 1);
    s_expect_due (settle, 1099, NULL);
    s_expect_due (settle, 1100, "a");
    assert_false (settle_has (settle, "a"));
    assert_int_equal (settle_timeout (settle, 1100), 30);
    assert_int_equal (settle_timeout (settle, 2000), 0);    //  overdue
    s_expect_due (settle, 2000, "b");
    s_expect_due (settle, 2000, NULL);
    assert_int_equal (settle_size (settle), 0);

    //  Cancelled: never due; added again: a new deadline
    settle_add (settle, "c", 3000);
    settle_add (settle, "d", 3010);
    assert_true (settle_cancel (settle, "c"));
    assert_false (settle_cancel (settle, "c"));
    assert_int_equal (settle_timeout (settle, 3000), 110);
    settle_add (settle, "c", 3050);
    s_expect_due (settle, 3110, "d");
    s_expect_due (settle, 3110, NULL);
    s_expect_due (settle, 3150, "c");
    settle_destroy (&settle);
    assert_null (settle);
}

static void
test_zero_delay (void **state)
{
    (void) state;
    settle_t *settle = settle_new (0);
    settle_add (settle, "x", 500);
    assert_int_equal (settle_timeout (settle, 500), 0);
    s_expect_due (settle, 500, "x");
    settle_destroy (&settle);
}

static void
test_rename (void **state)
{
    (void) state;
    settle_t *settle = settle_new (100);
    settle_add (settle, "d/x", 0);
    settle_add (settle, "d/sub/y", 10);
    settle_add (settle, "dd/z", 20);        //  not below d
    settle_add (settle, "e/x", 30);         //  where d/x goes: one entry stays
    settle_rename (settle, "d", "e");
    assert_false (settle_has (settle, "d/x"));
    assert_true (settle_has (settle, "e/sub/y"));
    assert_true (settle_has (settle, "dd/z"));
    assert_true (settle_has (settle, "e/x"));
    assert_int_equal (settle_size (settle), 3);
    //  Deadlines kept, in order
    s_expect_due (settle, 110, "e/sub/y");
    s_expect_due (settle, 120, "dd/z");
    s_expect_due (settle, 130, "e/x");
    s_expect_due (settle, 1000, NULL);
    //  A path equal to the directory itself moves too
    settle_add (settle, "f", 0);
    settle_rename (settle, "f", "g/h");
    s_expect_due (settle, 100, "g/h");
    settle_destroy (&settle);
}

static void
test_many (void **state)
{
    (void) state;
    settle_t *settle = settle_new (50);
    char path [32];
    for (int index = 0; index < 20000; index++) {
        snprintf (path, sizeof path, "f%05d", index);
        settle_add (settle, path, index / 100);
    }
    for (int index = 0; index < 20000; index += 2) {
        snprintf (path, sizeof path, "f%05d", index);
        assert_true (settle_cancel (settle, path));
    }
    int count = 0;
    char *due;
    while ((due = settle_take_due (settle, 1000))) {
        count++;
        free (due);
    }
    assert_int_equal (count, 10000);
    assert_int_equal (settle_size (settle), 0);
    settle_destroy (&settle);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_deadlines),
        cmocka_unit_test (test_zero_delay),
        cmocka_unit_test (test_rename),
        cmocka_unit_test (test_many),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
