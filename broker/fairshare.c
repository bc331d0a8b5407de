/*  fairshare.c - who gives up an owner's serving slot when all are taken.
    See fairshare.h.

    Counting is quadratic in the owner's transfers on purpose: they are at
    most --max-serving (4,096), counted only when a Get finds every slot
    taken, and a plain loop needs no table of its own.
*/
#include "fairshare.h"

static size_t
s_held_by (const fairshare_slot_t *slots, size_t count, const void *requester)
{
    size_t held = 0;
    for (size_t index = 0; index < count; index++)
        held += slots [index].requester == requester;
    return held;
}

//  Different requesters among the slots, `requester` counted in
static size_t
s_requesters (const fairshare_slot_t *slots, size_t count, const void *requester)
{
    size_t distinct = s_held_by (slots, count, requester) == 0;
    for (size_t index = 0; index < count; index++) {
        size_t first = 0;
        while (slots [first].requester != slots [index].requester)
            first++;
        distinct += first == index;
    }
    return distinct;
}

int
fairshare_victim (const fairshare_slot_t *slots, size_t count, const void *requester,
                  size_t capacity, size_t *share_p)
{
    size_t share = capacity / s_requesters (slots, count, requester);
    share = share? share: 1;
    if (share_p)
        *share_p = share;
    if (s_held_by (slots, count, requester) >= share)
        return -1;
    const void *hog = NULL;
    size_t most = share;
    for (size_t index = 0; index < count; index++) {
        size_t held = s_held_by (slots, count, slots [index].requester);
        if (held > most) {
            most = held;
            hog = slots [index].requester;
        }
    }
    int victim = -1;
    for (size_t index = 0; hog && index < count; index++) {
        const fairshare_slot_t *slot = &slots [index];
        if (slot->requester != hog)
            continue;
        if (victim < 0) {
            victim = (int) index;
            continue;
        }
        const fairshare_slot_t *best = &slots [victim];
        if ((!slot->moved && best->moved) || (slot->moved == best->moved && slot->id > best->id))
            victim = (int) index;
    }
    return victim;
}
