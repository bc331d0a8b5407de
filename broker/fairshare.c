/*  fairshare.c - who gives up an owner's serving slot when all are taken.
    See fairshare.h.

    The owner's transfers are counted per requester over a sorted copy of
    their requesters, so a Get that finds every slot taken costs
    O(n log n) in the owner's transfers (at most --max-serving, 4,096):
    Gets are the requesters' to send, as many as they like.
*/
#include "fairshare.h"
#include <stdlib.h>

typedef struct {
    const void *requester;
    size_t held;                //  slots it holds
} holder_t;

static int
s_compare (const void *a, const void *b)
{
    uintptr_t left = (uintptr_t) ((const holder_t *) a)->requester;
    uintptr_t right = (uintptr_t) ((const holder_t *) b)->requester;
    return left < right? -1: left > right? 1: 0;
}

//  Every requester holding slots, once, with how many it holds, sorted by
//  requester for s_held. NULL when memory runs out.
static holder_t *
s_holders (const fairshare_slot_t *slots, size_t count, size_t *distinct)
{
    holder_t *holders = (holder_t *) calloc (count? count: 1, sizeof (holder_t));
    if (!holders)
        return NULL;
    for (size_t index = 0; index < count; index++)
        holders [index].requester = slots [index].requester;
    qsort (holders, count, sizeof (holder_t), s_compare);
    size_t kept = 0;
    for (size_t index = 0; index < count; index++) {
        if (kept && holders [kept - 1].requester == holders [index].requester)
            holders [kept - 1].held++;
        else
            holders [kept++] = (holder_t) { holders [index].requester, 1 };
    }
    *distinct = kept;
    return holders;
}

static size_t
s_held (const holder_t *holders, size_t distinct, const void *requester)
{
    holder_t key = { requester, 0 };
    const holder_t *found = (const holder_t *) bsearch (&key, holders, distinct,
                                                        sizeof (holder_t), s_compare);
    return found? found->held: 0;
}

//  Of the hog's transfers: the newest that has moved no byte, else its newest
static int
s_victim_of (const fairshare_slot_t *slots, size_t count, const void *hog)
{
    int victim = -1;
    for (size_t index = 0; index < count; index++) {
        const fairshare_slot_t *slot = &slots [index];
        if (slot->requester != hog)
            continue;
        const fairshare_slot_t *best = victim < 0? NULL: &slots [victim];
        if (!best || (!slot->moved && best->moved)
        ||  (slot->moved == best->moved && slot->id > best->id))
            victim = (int) index;
    }
    return victim;
}

int
fairshare_victim (const fairshare_slot_t *slots, size_t count, const void *requester,
                  size_t capacity, size_t *share_p)
{
    size_t distinct;
    holder_t *holders = s_holders (slots, count, &distinct);
    if (!holders)
        return -1;
    size_t mine = s_held (holders, distinct, requester);
    size_t share = capacity / (distinct + (mine == 0));
    share = share? share: 1;
    if (share_p)
        *share_p = share;
    //  The hog: the first met of those holding most, above the share
    const void *hog = NULL;
    size_t most = share;
    for (size_t index = 0; mine < share && index < count; index++) {
        size_t held = s_held (holders, distinct, slots [index].requester);
        if (held > most) {
            most = held;
            hog = slots [index].requester;
        }
    }
    free (holders);
    return hog? s_victim_of (slots, count, hog): -1;
}
