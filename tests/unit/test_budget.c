/*  test_budget.c - broker/budget: a burst at once, then the rate; what is
    refused spends nothing; a long pause fills up to the burst, never
    beyond. The clock is passed in.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fshare.h"
#include "budget.h"

static void
test_burst_then_rate (void **state)
{
    (void) state;
    budget_t budget;
    budget_init (&budget, 1000, 4000, 100);
    for (int i = 0; i < 4; i++)
        assert_true (budget_spend (&budget, 1000, 100));
    assert_false (budget_spend (&budget, 1, 100));
    //  Half a second brings half the rate; a cost above it waits
    assert_false (budget_spend (&budget, 501, 600));
    assert_true (budget_spend (&budget, 500, 600));
    assert_false (budget_spend (&budget, 1, 600));
    //  Refusals spent nothing: a second later the whole rate is there
    assert_true (budget_spend (&budget, 1000, 1600));
}

static void
test_fills_to_burst (void **state)
{
    (void) state;
    budget_t budget;
    budget_init (&budget, 1000, 4000, 0);
    assert_true (budget_spend (&budget, 4000, 0));
    //  An hour later: the burst, not an hour's worth
    int64_t later = 3600 * 1000;
    assert_true (budget_spend (&budget, 4000, later));
    assert_false (budget_spend (&budget, 1, later));
    //  A clock that goes back changes nothing
    assert_false (budget_spend (&budget, 1, later - 5000));
    assert_true (budget_spend (&budget, 1000, later + 1000));
}

//  Many looks a millisecond apart lose nothing to rounding at a rate that
//  is a whole number of units a millisecond
static void
test_small_steps (void **state)
{
    (void) state;
    budget_t budget;
    budget_init (&budget, 16000, 16000, 0);
    assert_true (budget_spend (&budget, 16000, 0));
    for (int64_t ms = 1; ms <= 1000; ms++)
        assert_true (budget_spend (&budget, 16, ms));
    assert_false (budget_spend (&budget, 1, 1000));
}

//  No rate: the burst and nothing more; a huge rate does not overflow
static void
test_extremes (void **state)
{
    (void) state;
    budget_t budget;
    budget_init (&budget, 0, 10, 0);
    assert_true (budget_spend (&budget, 10, 0));
    assert_false (budget_spend (&budget, 1, 1000000));
    budget_init (&budget, UINT64_MAX / 2, UINT64_MAX / 2, 0);
    assert_true (budget_spend (&budget, UINT64_MAX / 2, 0));
    assert_true (budget_spend (&budget, UINT64_MAX / 4, INT64_MAX / 2));
    budget_init (&budget, 3, UINT64_MAX, 0);
    assert_true (budget_spend (&budget, UINT64_MAX, 0));
    assert_true (budget_spend (&budget, UINT64_MAX / 2, INT64_MAX));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_burst_then_rate),
        cmocka_unit_test (test_fills_to_burst),
        cmocka_unit_test (test_small_steps),
        cmocka_unit_test (test_extremes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
