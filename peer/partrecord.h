/*  partrecord.h - what a partial file is a part of.

    A download's `.NAME.fshare-part` carries the record of its source in
    an extended attribute of its own (user.fshare.source): owner, path,
    the version (size, mtime) and, when it was known, the content's
    digest. A later get finds the partial file it may resume by it, and
    nothing else can be taken for one: a file without a readable record
    is nobody's partial file. A value, read and written through the
    partial file's descriptor.
*/
#ifndef PARTRECORD_H_INCLUDED
#define PARTRECORD_H_INCLUDED

#include "fshare.h"
#include "digest.h"

typedef struct {
    char owner [FSH_USER_MAX + 1];
    char path [FSH_PATH_MAX + 1];
    uint64_t size;
    int64_t mtime;
    bool has_sha256;
    uint8_t sha256 [DIGEST_SIZE];
} partrecord_t;

//  The record of the file open at fd: 0, or -1 when it has none or one
//  that does not parse (damaged, too long, of an unknown version).
int partrecord_read (int fd, partrecord_t *record);

//  Records it on the file open at fd; 0, or -1 with errno (a file system
//  without user extended attributes: the download is then not resumable).
int partrecord_write (int fd, const partrecord_t *record);

//  Takes the record off the file (it is complete).
void partrecord_remove (int fd);

#endif
