/*  reserve.h - fshare-bench relay: memory kept warm for the receiving side
    of a timed transfer, handed back to the kernel as the received file
    grows.

    On a virtual machine whose host takes free memory back (free page
    reporting), the first write to a page the host has taken costs the
    writer up to ten times the write itself, billed as its own kernel CPU.
    A warm-up freed all at once just before a run covers only the first
    seconds of it: the kernel reports free memory to the host about two
    seconds after it is freed, so a slower path (CURVE, a disk) would write
    its later part into taken-back pages. A reserve holds the warm memory
    through the run and frees it a little ahead of the writer instead.
*/
#ifndef RESERVE_H_INCLUDED
#define RESERVE_H_INCLUDED

#include <stdint.h>

typedef struct _reserve_t reserve_t;

//  Writes `size` bytes of memory (a memfd) and holds them; NULL if the
//  memory cannot be had (the run then goes without).
reserve_t *reserve_new (uint64_t size);
void reserve_destroy (reserve_t **self_p);
//  CPU seconds per GiB that filling the reserve took (about 0.3 on warm
//  memory here; more says the host had taken it back).
double reserve_fill_cost (reserve_t *self);
//  Bytes still held.
uint64_t reserve_held (reserve_t *self);
//  Frees the reserve up to a lead past the bytes `path` holds now (its
//  allocated blocks); all of it once `path`, having existed, is gone (a
//  partial file renamed into place). Nothing before `path` exists.
void reserve_follow (reserve_t *self, const char *path);

#endif
