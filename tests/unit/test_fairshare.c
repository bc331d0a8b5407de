/*  test_fairshare.c - an owner's full slots: a requester below its share
    takes one from the requester holding the most, never from one within
    its share, and the hog gives up its newest idle transfer first. */
#include "fixture.h"
#include "fairshare.h"

static const char alice [] = "alice", bob [] = "bob", carol [] = "carol";

static void
test_below_share_takes_from_hog (void **state)
{
    (void) state;
    //  4 slots, bob holds all: alice's share is 4 / 2 = 2
    fairshare_slot_t slots [] = {
        { bob, 1, true }, { bob, 2, true }, { bob, 3, false }, { bob, 4, true },
    };
    size_t share = 0;
    assert_int_equal (fairshare_victim (slots, 4, alice, 4, &share), 2);
    assert_int_equal (share, 2);
    //  Without an idle one, bob's newest goes
    slots [2].moved = true;
    assert_int_equal (fairshare_victim (slots, 4, alice, 4, NULL), 3);
    //  Of two idle ones, the newer
    slots [0].moved = false;
    slots [2].moved = false;
    assert_int_equal (fairshare_victim (slots, 4, alice, 4, NULL), 2);
}

static void
test_at_share_waits (void **state)
{
    (void) state;
    //  alice already holds her share of 2: she waits, bob keeps his
    fairshare_slot_t slots [] = {
        { alice, 1, true }, { alice, 2, true }, { bob, 3, false }, { bob, 4, false },
    };
    size_t share = 0;
    assert_int_equal (fairshare_victim (slots, 4, alice, 4, &share), -1);
    assert_int_equal (share, 2);
    //  carol's share is 4 / 3 = 1; alice and bob hold 2 each, above it:
    //  the first met of them gives up her newest (both of hers moved)
    int victim = fairshare_victim (slots, 4, carol, 4, &share);
    assert_int_equal (share, 1);
    assert_true (victim >= 0);
    assert_ptr_equal (slots [victim].requester, alice);
    assert_int_equal (victim, 1);
}

static void
test_share_is_at_least_one (void **state)
{
    (void) state;
    //  1 slot, held by bob: 1 / 2 requesters rounds to 0, taken as 1;
    //  bob holds 1, not above the share, so alice waits
    fairshare_slot_t slots [] = { { bob, 1, false } };
    size_t share = 0;
    assert_int_equal (fairshare_victim (slots, 1, alice, 1, &share), -1);
    assert_int_equal (share, 1);
    //  A requester already holding slots asks for more: not below share
    fairshare_slot_t many [] = {
        { bob, 1, false }, { bob, 2, false }, { alice, 3, false },
    };
    assert_int_equal (fairshare_victim (many, 3, bob, 3, &share), -1);
    assert_int_equal (fairshare_victim (many, 3, alice, 3, &share), -1);
    assert_int_equal (fairshare_victim (many, 3, carol, 3, &share), 1);
}

//  The rule as written in fairshare.h, the plain quadratic way
static int
s_reference (const fairshare_slot_t *slots, size_t count, const void *requester,
             size_t capacity)
{
    size_t mine = 0, distinct = 0;
    for (size_t i = 0; i < count; i++) {
        mine += slots [i].requester == requester;
        size_t first = 0;
        while (slots [first].requester != slots [i].requester)
            first++;
        distinct += first == i;
    }
    size_t share = capacity / (distinct + (mine == 0));
    share = share? share: 1;
    if (mine >= share)
        return -1;
    const void *hog = NULL;
    size_t most = share;
    for (size_t i = 0; i < count; i++) {
        size_t held = 0;
        for (size_t j = 0; j < count; j++)
            held += slots [j].requester == slots [i].requester;
        if (held > most) {
            most = held;
            hog = slots [i].requester;
        }
    }
    int victim = -1;
    for (size_t i = 0; hog && i < count; i++) {
        if (slots [i].requester != hog)
            continue;
        if (victim < 0 || (!slots [i].moved && slots [victim].moved)
        ||  (slots [i].moved == slots [victim].moved && slots [i].id > slots [victim].id))
            victim = (int) i;
    }
    return victim;
}

//  Random owners' tables against the reference: the same victim, always
static void
test_matches_the_rule (void **state)
{
    (void) state;
    static const char names [6][8] = { "a", "b", "c", "d", "e", "f" };
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (int round = 0; round < 5000; round++) {
        fairshare_slot_t slots [40];
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t count = 1 + (size_t) (seed >> 33) % 40;
        size_t people = 1 + (size_t) (seed >> 20) % 6;
        for (size_t i = 0; i < count; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            slots [i].requester = names [(seed >> 33) % people];
            slots [i].id = (seed >> 40) * 64 + i;          //  unique
            slots [i].moved = (seed >> 13) & 1;
        }
        const void *asking = names [(seed >> 7) % 6];
        assert_int_equal (fairshare_victim (slots, count, asking, count, NULL),
                          s_reference (slots, count, asking, count));
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_below_share_takes_from_hog),
        cmocka_unit_test (test_at_share_waits),
        cmocka_unit_test (test_share_is_at_least_one),
        cmocka_unit_test (test_matches_the_rule),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
