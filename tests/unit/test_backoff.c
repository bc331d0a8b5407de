/*  test_backoff.c - proto/backoff: waits double from the first to the
    cap, a reset starts again, and a bounded backoff gives up once its
    next try would fall past the total. The clock is passed in.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fshare.h"
#include "backoff.h"

static void
test_doubles_to_cap (void **state)
{
    (void) state;
    fsh_backoff_t backoff;
    fsh_backoff_init (&backoff, 250, 4000, 0);
    assert_false (fsh_backoff_active (&backoff));
    int expect [] = { 250, 500, 1000, 2000, 4000, 4000, 4000 };
    int64_t now = 1000;
    for (size_t i = 0; i < sizeof expect / sizeof expect [0]; i++) {
        assert_int_equal (fsh_backoff_next (&backoff, now), expect [i]);
        now += 100000;          //  unbounded: never gives up
    }
    assert_true (fsh_backoff_active (&backoff));
    fsh_backoff_reset (&backoff);
    assert_false (fsh_backoff_active (&backoff));
    assert_int_equal (fsh_backoff_next (&backoff, now), 250);
}

//  A cap that is not a power of two times the first is reached, not passed
static void
test_odd_cap (void **state)
{
    (void) state;
    fsh_backoff_t backoff;
    fsh_backoff_init (&backoff, 8000, 60000, 0);
    int expect [] = { 8000, 16000, 32000, 60000, 60000 };
    for (size_t i = 0; i < sizeof expect / sizeof expect [0]; i++)
        assert_int_equal (fsh_backoff_next (&backoff, 5), expect [i]);
}

//  Bounded at 1 s: tries at 0 (+100), 100 (+200), 300 (+400); the one at
//  700 would wait 800 and land past 1000 after the first refusal
static void
test_gives_up (void **state)
{
    (void) state;
    fsh_backoff_t backoff;
    fsh_backoff_init (&backoff, 100, 4000, 1000);
    int64_t now = 50000;
    assert_int_equal (fsh_backoff_next (&backoff, now), 100);
    assert_int_equal (fsh_backoff_next (&backoff, now + 100), 200);
    assert_int_equal (fsh_backoff_next (&backoff, now + 300), 400);
    assert_int_equal (fsh_backoff_next (&backoff, now + 700), -1);
    //  Giving up changes nothing: asked again, still no
    assert_int_equal (fsh_backoff_next (&backoff, now + 700), -1);
    //  A success in between starts a new run of refusals
    fsh_backoff_reset (&backoff);
    assert_int_equal (fsh_backoff_next (&backoff, now + 5000), 100);
}

//  Nonsense settings are made sane rather than dividing or looping
static void
test_bad_settings (void **state)
{
    (void) state;
    fsh_backoff_t backoff;
    fsh_backoff_init (&backoff, 0, -5, -1);
    assert_int_equal (fsh_backoff_next (&backoff, 0), 1);
    assert_int_equal (fsh_backoff_next (&backoff, 0), 1);
    assert_true (fsh_backoff_active (&backoff));    //  a clock at 0 still counts
    fsh_backoff_init (&backoff, 1 << 30, INT32_MAX, 0);
    assert_int_equal (fsh_backoff_next (&backoff, 0), 1 << 30);
    assert_int_equal (fsh_backoff_next (&backoff, 0), INT32_MAX);   //  no overflow
    assert_int_equal (fsh_backoff_next (&backoff, 0), INT32_MAX);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_doubles_to_cap),
        cmocka_unit_test (test_odd_cap),
        cmocka_unit_test (test_gives_up),
        cmocka_unit_test (test_bad_settings),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
