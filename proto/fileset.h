/*  fileset.h - a set of published files: path -> size, mtime, digest.

    The one file table of fshare: the host directory's truth in the agent,
    each user's files in the agent's view and in the broker's sessions.

    The host directory's current truth, and the unit that file-list pages
    are cut from. A file is one allocation (the record and its path) in a
    table of pointers of the set's own (open addressing): the broker holds
    every user's files, so what a file costs there is what a login storm
    costs. Paths are relative, '/'-separated. Files the host
    directory puts with their stat also carry what it needs to notice every
    change (the mtime's nanoseconds, the inode: a file replaced by another
    one is a change even when size and mtime look the same) and are indexed
    by inode, so that every name of a hard-linked file can be found.
*/
#ifndef FILESET_H_INCLUDED
#define FILESET_H_INCLUDED

#include "fshare.h"
#include <string.h>
#include <sys/stat.h>

typedef struct _fileset_file_t fileset_file_t;
struct _fileset_file_t {
    char *path;                 //  in the same allocation as the record
    uint64_t size;
    int64_t mtime;
    uint32_t mode;              //  permission bits as published (0: unknown)
    bool has_sha256;            //  the owner has told (or we know) its digest
    uint8_t sha256 [32];
    //  The host-directory fields: only in a set made by fileset_new. The
    //  records of a compact set (fileset_new_compact) end here, so these
    //  must never be read from its files.
    int64_t mtime_ns;           //  within that second; 0 when unknown
    uint64_t dev, ino;          //  0, 0 when unknown
    int64_t ctime_ns;           //  status change time, ns since the epoch; 0 when unknown
    fileset_file_t *same_inode; //  private: the next name of the inode
};

//  A time as one number for equality tests: nanoseconds since the epoch
//  where that fits in 64 bits (1677 to 2262), and beyond, the same sum
//  taken modulo 2^64, so that a file dated 2300 or 1500 (touch -d, an
//  archive's mtime) still gets one number per time (two times 584 years
//  apart share one) instead of a signed overflow, which is undefined and
//  aborts a sanitized build.
static inline int64_t
fileset_time_ns (const struct timespec *ts)
{
    uint64_t sum = (uint64_t) (int64_t) ts->tv_sec * UINT64_C (1000000000)
                 + (uint64_t) (int64_t) ts->tv_nsec;
    int64_t value;
    memcpy (&value, &sum, sizeof value);
    return value;
}

//  The bytes of a compact set's record before its path
#define FILESET_COMPACT_BYTES   offsetof (fileset_file_t, mtime_ns)

typedef struct _fileset_t fileset_t;

fileset_t *fileset_new (void);
//  A set whose files carry none of the host-directory fields (mtime_ns,
//  dev, ino, ctime_ns: only the agent's own host directory needs them),
//  for the broker's sessions and the views, where every user's files are
//  held: a record then costs about half. fileset_put_file and
//  fileset_put_stat keep only size, mtime and the digest there (a change
//  is then one of size or mtime), and fileset_links finds nothing.
fileset_t *fileset_new_compact (void);
void fileset_destroy (fileset_t **self_p);
size_t fileset_size (fileset_t *self);
//  The bytes the set holds for its files (records, paths and its table,
//  as asked of malloc): what a file costs, for budgets and benches.
size_t fileset_memory (fileset_t *self);
//  Occupied slots stepped over by every lookup, insert and resize so far,
//  beyond each one's first: about one per operation in a healthy table,
//  and what paths chosen to collide would make grow as n^2.
uint64_t fileset_probes (fileset_t *self);
const fileset_file_t *fileset_lookup (fileset_t *self, const char *path);

//  Insert or update. Returns FSHARE__CHANGE_KIND__CHANGE_ADDED for a new
//  path, ..._CHANGED when size or mtime differ, ..._NONE when identical.
Fshare__ChangeKind fileset_put (fileset_t *self, const char *path, uint64_t size, int64_t mtime);

//  Insert or update from a file's stat: ..._CHANGED also when the mtime's
//  nanoseconds, the device or the inode differ (the digest is then
//  forgotten: another version).
Fshare__ChangeKind fileset_put_stat (fileset_t *self, const char *path, const struct stat *st);

//  Insert or update with the fields of `with` (path included; compared as
//  fileset_put_stat does; its digest, when it has one, is taken).
Fshare__ChangeKind fileset_put_file (fileset_t *self, const fileset_file_t *with);

//  Every name of the inode (files put with their stat): a new list of
//  const fileset_file_t * owned by the set. Caller destroys the list.
zlistx_t *fileset_links (fileset_t *self, uint64_t dev, uint64_t ino);

//  Insert or update from a published FileInfo (size, mtime, digest when
//  it has 32 bytes, mode). ADDED, CHANGED when anything differs, or NONE.
Fshare__ChangeKind fileset_put_info (fileset_t *self, const Fshare__FileInfo *info);

//  Set the digest and permission bits of a path's current version. True
//  when either was not known or different (worth publishing); false also
//  when the path is not in the set.
bool fileset_set_digest (fileset_t *self, const char *path, const uint8_t sha256 [32],
                         uint32_t mode);

//  A FileInfo describing `file`, pointing into it (valid while the entry
//  lives): for pages and events.
void fileset_info (const fileset_file_t *file, Fshare__FileInfo *info);

//  Iterate in no particular order (the set must not change meanwhile).
const fileset_file_t *fileset_first (fileset_t *self);
const fileset_file_t *fileset_next (fileset_t *self);

//  Remove a path. True when it was there.
bool fileset_remove (fileset_t *self, const char *path);

//  Every file, sorted by path: a new list of const fileset_file_t *
//  owned by the set (valid until the set changes). Caller destroys the list.
zlistx_t *fileset_sorted (fileset_t *self);

//  Paths under directory `dir` (i.e. starting with "dir/"), sorted, same
//  ownership rules as fileset_sorted.
zlistx_t *fileset_under (fileset_t *self, const char *dir);

#endif
