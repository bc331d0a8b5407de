/*  mounts.h - file systems mounted or unmounted inside the host directory.

    inotify says nothing when a file system is mounted over a watched
    directory (its files are hidden, the mount's shown) or unmounted: the
    host directory's watches go on watching what is no longer there.
    This watches the mount table instead (/proc/self/mountinfo, which the
    kernel marks changed for poll(2)) and tells when the mount points at
    or below the root differ from the last look, so a rescan can bring
    the published files in line with what the disk shows.
*/
#ifndef MOUNTS_H_INCLUDED
#define MOUNTS_H_INCLUDED

#include "fshare.h"

typedef struct _mounts_t mounts_t;

//  Watch the mount points at or below `root`. NULL when the mount table
//  cannot be read (no /proc): nothing is reported then.
mounts_t *mounts_new (const char *root);
void mounts_destroy (mounts_t **self_p);

//  True when a mount point at or below the root appeared or went since
//  the last call (or mounts_new). Cheap when the table did not change: a
//  poll(2) with no wait.
bool mounts_changed (mounts_t *self);

#endif
