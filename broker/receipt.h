/*  receipt.h - proof that a requester read the chunks the broker relayed.

    Credit alone does not show that a requester takes the data: one that
    grants credit and never reads would have the broker queue the whole
    file for it. So each chunk the broker relays carries a receipt, a keyed
    hash (SipHash, a key of the broker's own drawn at start) of the
    transfer and the chunk's end offset, and the relay forwards credit
    only up to one window beyond the last receipt returned. Only a reader
    of the chunk learns its receipt; the key never leaves the broker.
*/
#ifndef RECEIPT_H_INCLUDED
#define RECEIPT_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

typedef struct _receipt_t receipt_t;

//  A fresh random key.
receipt_t *receipt_new (void);
void receipt_destroy (receipt_t **self_p);

//  The receipt of the chunk of `transfer` that ends at `end`.
uint64_t receipt_of (receipt_t *self, uint64_t transfer, uint64_t end);

//  Whether `receipt` is that chunk's.
bool receipt_check (receipt_t *self, uint64_t transfer, uint64_t end, uint64_t receipt);

#endif
