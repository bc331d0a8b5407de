/*  watches.h - the host directory's inotify watches: one per directory,
    mapped both ways (watch descriptor <-> relative path), so that a
    renamed directory can carry the paths of every watch below it.
*/
#ifndef WATCHES_H_INCLUDED
#define WATCHES_H_INCLUDED

#include "fshare.h"

typedef struct _watches_t watches_t;

//  Watches on the inotify descriptor given (not owned), asking the kernel
//  for the events in mask.
watches_t *watches_new (int inotify, uint32_t mask);
void watches_destroy (watches_t **self_p);

//  Watch the directory open on fd, at path ("" for the root) below root.
//  Through /proc/self/fd the watch lands on exactly the directory the
//  caller opened (reached without following any symlink); without /proc,
//  the path is used, not following its end. The watch is marked as seen
//  by `generation`. 0, or -1 with errno (ENOSPC: the watch table is full).
int watches_add (watches_t *self, const char *root, const char *path, int fd,
                 uint64_t generation);

//  The path watched by wd, or NULL.
const char *watches_path (watches_t *self, int wd);
bool watches_has (watches_t *self, const char *path);
size_t watches_size (watches_t *self);

//  The kernel dropped wd (IN_IGNORED): forget it.
void watches_forget (watches_t *self, int wd);

//  Drop every watch at or under dir ("" for all).
void watches_drop_under (watches_t *self, const char *dir);

//  Every watch at or under from now watches the same place under to.
void watches_rename (watches_t *self, const char *from, const char *to);

//  The identity (device, inode) of the directory watched at path, as it
//  was when watched; false when path is not watched or it is unknown.
bool watches_inode (watches_t *self, const char *path, uint64_t *dev, uint64_t *ino);

//  The directories at a and at b swapped places (RENAME_EXCHANGE): every
//  watch at or under one now watches the same place under the other.
//  Neither may be below the other.
void watches_exchange (watches_t *self, const char *a, const char *b);

//  Drop the watches not seen by `generation` (their directories are gone).
void watches_drop_unseen (watches_t *self, uint64_t generation);

//  Tests: refuse watches beyond `limit` in all, as a full kernel watch
//  table would; 0 lifts the limit.
void watches_set_limit (watches_t *self, size_t limit);

#endif
