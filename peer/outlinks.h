/*  outlinks.h - files of the host directory that are also linked from
    outside it (SPEC 4.2: a write through another hard link is a change).

    inotify reports a write under the name it was made through, in the
    directory that name is in: a file that has a hard link outside the
    host directory can change without any event here. Such files are
    found when published (more links than names inside) and looked at
    again on a timer, a bounded number per look, oldest look first. Kept
    by inode, so a rename inside keeps it watched. The caller (hostdir)
    does the looking; this is the queue.
*/
#ifndef OUTLINKS_H_INCLUDED
#define OUTLINKS_H_INCLUDED

#include "fshare.h"

typedef struct _outlinks_t outlinks_t;

outlinks_t *outlinks_new (void);
void outlinks_destroy (outlinks_t **self_p);

//  The inode was published: queued (at the end, if not queued already)
//  when `outside` (it has links the host directory does not hold), else
//  forgotten.
void outlinks_note (outlinks_t *self, uint64_t dev, uint64_t ino, bool outside);

//  The inode looked at least recently, taken off the queue (its look
//  notes it again if it is still linked from outside). False when none.
bool outlinks_take (outlinks_t *self, uint64_t *dev, uint64_t *ino);

size_t outlinks_size (outlinks_t *self);

#endif
