/*  already.h - "already there" (SPEC 4.3): is the content asked for
    already saved in the downloads directory?

    already_t remembers the SHA-256 of files the agent saved or hashed,
    keyed by device, inode, size, mtime and ctime (in nanoseconds), so a
    file that did not change is never read twice; it lives in memory (a
    restarted agent hashes again, and only files whose size matches).
    already_search_t looks for one content in one directory: it lists the
    regular files of the right size (partial files aside) and hashes those
    it does not know, in steps, so the agent's loop keeps turning.
*/
#ifndef ALREADY_H_INCLUDED
#define ALREADY_H_INCLUDED

#include "fshare.h"
#include "digest.h"
#include <sys/stat.h>

typedef struct _already_t already_t;
typedef struct _already_search_t already_search_t;

already_t *already_new (void);
void already_destroy (already_t **self_p);

//  Remember the digest of the file that `st` describes.
void already_add (already_t *self, const struct stat *st, const uint8_t sha256 [DIGEST_SIZE]);
//  The digest of the file that `st` describes, if known: true and *out.
bool already_lookup (already_t *self, const struct stat *st, uint8_t out [DIGEST_SIZE]);
size_t already_size (already_t *self);

//  Look in `dir` for a file of `size` bytes with digest `sha256`.
already_search_t *already_search_new (already_t *index, const char *dir, uint64_t size,
                                      const uint8_t sha256 [DIGEST_SIZE]);
void already_search_destroy (already_search_t **self_p);

//  Hash up to `budget` bytes of candidates through buf. 1: found
//  (already_search_found), 0: more to do, -1: not there.
int already_search_step (already_search_t *self, void *buf, size_t buf_size, size_t budget);

//  The identical file's path (dir/name), after step returned 1.
const char *already_search_found (already_search_t *self);

#endif
