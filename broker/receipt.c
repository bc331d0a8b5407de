/*  receipt.c - proof that a requester read the chunks. See receipt.h. */
#include "receipt.h"
#include <sodium.h>
#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct _receipt_t {
    uint8_t key [crypto_shorthash_KEYBYTES];
};

receipt_t *
receipt_new (void)
{
    receipt_t *self = (receipt_t *) calloc (1, sizeof (receipt_t));
    assert (self);
    //  Without a random source there is no broker to run
    int rc = sodium_init ();
    assert (rc >= 0);
    (void) rc;
    crypto_shorthash_keygen (self->key);
    return self;
}

void
receipt_destroy (receipt_t **self_p)
{
    if (*self_p) {
        sodium_memzero ((*self_p)->key, sizeof (*self_p)->key);
        free (*self_p);
        *self_p = NULL;
    }
}

uint64_t
receipt_of (receipt_t *self, uint64_t transfer, uint64_t end)
{
    uint8_t in [16], out [crypto_shorthash_BYTES];
    for (int i = 0; i < 8; i++) {
        in [i] = (uint8_t) (transfer >> (8 * i));
        in [8 + i] = (uint8_t) (end >> (8 * i));
    }
    crypto_shorthash (out, in, sizeof in, self->key);
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value |= (uint64_t) out [i] << (8 * i);
    return value;
}

bool
receipt_check (receipt_t *self, uint64_t transfer, uint64_t end, uint64_t receipt)
{
    return receipt_of (self, transfer, end) == receipt;
}
