/*  fairshare.h - who gives up an owner's serving slot when all are taken.

    An owner serves at most --max-serving transfers at once (SPEC 4.3).
    Free slots go to anyone; when all are taken, a requester holding less
    than its fair share (slots / requesters, at least 1) gets one from the
    requester holding the most, above its share, so that no one keeps an
    owner from serving others however many Gets it sends. Pure policy: the
    relay lists the owner's transfers, this picks the one to end.
*/
#ifndef FAIRSHARE_H_INCLUDED
#define FAIRSHARE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  One of an owner's transfers, as the policy sees it
typedef struct {
    const void *requester;      //  who holds the slot (compared as a pointer)
    uint64_t id;                //  transfers started later have larger ids
    bool moved;                 //  it has relayed a byte
} fairshare_slot_t;

//  The index in slots [0..count) of the transfer to end so that
//  `requester` may have a slot of an owner with `capacity` slots, or -1
//  when it may not (it holds its share already, or nobody holds more than
//  theirs). Of the hog's transfers the newest that has moved no byte goes
//  first, else its newest. `share` (may be NULL) gets the fair share.
int fairshare_victim (const fairshare_slot_t *slots, size_t count, const void *requester,
                      size_t capacity, size_t *share);

#endif
