/*  fileset.h - a set of published files: path -> size and mtime.

    The host directory's current truth, and the unit that file-list pages
    are cut from. Paths are relative, '/'-separated.
*/
#ifndef FILESET_H_INCLUDED
#define FILESET_H_INCLUDED

#include "fshare.h"

typedef struct {
    char *path;
    uint64_t size;
    int64_t mtime;
} fileset_file_t;

typedef struct _fileset_t fileset_t;

fileset_t *fileset_new (void);
void fileset_destroy (fileset_t **self_p);
size_t fileset_size (fileset_t *self);
const fileset_file_t *fileset_lookup (fileset_t *self, const char *path);

//  Insert or update. Returns FSHARE__CHANGE_KIND__CHANGE_ADDED for a new
//  path, ..._CHANGED when size or mtime differ, ..._NONE when identical.
Fshare__ChangeKind fileset_put (fileset_t *self, const char *path, uint64_t size, int64_t mtime);

//  Remove a path. True when it was there.
bool fileset_remove (fileset_t *self, const char *path);

//  Every file, sorted by path: a new list of const fileset_file_t *
//  owned by the set (valid until the set changes). Caller destroys the list.
zlistx_t *fileset_sorted (fileset_t *self);

//  Paths under directory `dir` (i.e. starting with "dir/"), sorted, same
//  ownership rules as fileset_sorted.
zlistx_t *fileset_under (fileset_t *self, const char *dir);

#endif
