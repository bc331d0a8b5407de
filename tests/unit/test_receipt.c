/*  test_receipt.c - receipts: stable under one key, bound to the transfer
    and the offset, and unknown to anyone without the key. */
#include "fixture.h"
#include "receipt.h"

static void
test_receipts (void **state)
{
    (void) state;
    receipt_t *receipts = receipt_new ();
    uint64_t one = receipt_of (receipts, 7, 1024 * 1024);
    assert_int_equal (receipt_of (receipts, 7, 1024 * 1024), one);
    assert_true (receipt_check (receipts, 7, 1024 * 1024, one));
    //  Another offset or another transfer has another receipt
    assert_false (receipt_check (receipts, 7, 1024 * 1024 + 1, one));
    assert_false (receipt_check (receipts, 8, 1024 * 1024, one));
    assert_false (receipt_check (receipts, 7, 1024 * 1024, one ^ 1));
    assert_false (receipt_check (receipts, 7, 1024 * 1024, 0));
    //  Another broker (key) gives another receipt
    receipt_t *other = receipt_new ();
    assert_false (receipt_check (other, 7, 1024 * 1024, one));
    receipt_destroy (&other);
    receipt_destroy (&receipts);
    assert_null (receipts);
    receipt_destroy (&receipts);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_receipts),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
