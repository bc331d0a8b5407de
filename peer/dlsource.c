/*  dlsource.c - what the requester's view says about a download's source.
    See dlsource.h.
*/
#include "dlsource.h"

const fileset_file_t *
dlsource_published (view_t *view, const char *owner, const char *path)
{
    fileset_t *files = view? view_user_files (view, owner): NULL;
    return files? fileset_lookup (files, path): NULL;
}

const char *
dlsource_opened_check (view_t *view, const char *owner, const char *path,
                       const dlsource_asked_t *asked, const Fshare__Opened *opened,
                       fsh_err_t *code)
{
    *code = FSH_ERR_PROTOCOL_ERROR;
    //  The broker checks it too; a broker we should not trust might not
    if (fsh_opened_check (opened))
        return "protocol error: a malformed answer from the owner";
    //  The view may have moved on since we asked: either version will do
    const fileset_file_t *now = dlsource_published (view, owner, path);
    bool as_asked = asked->has_published && opened->size == asked->size
                 && opened->mtime == asked->mtime;
    bool as_now = now && opened->size == now->size && opened->mtime == now->mtime;
    if ((asked->has_published || now) && !as_asked && !as_now) {
        bool same_mtime = (asked->has_published && opened->mtime == asked->mtime)
                       || (now && opened->mtime == now->mtime);
        if (same_mtime)
            return "protocol error: the owner's size disagrees with what it published";
        *code = FSH_ERR_FILE_CHANGED;
        return "the owner's file changed since it was published";
    }
    if (opened->sha256.len == DIGEST_SIZE && asked->has_sha256
    &&  memcmp (opened->sha256.data, asked->sha256, DIGEST_SIZE) != 0) {
        *code = FSH_ERR_FILE_CHANGED;
        return "the owner's file changed since it was published";
    }
    return NULL;
}

//  A file of `size` bytes whose digest is `sha256` in `files`, or NULL.
static const fileset_file_t *
s_find_content (fileset_t *files, const uint8_t sha256 [DIGEST_SIZE], uint64_t size)
{
    for (const fileset_file_t *file = fileset_first (files); file; file = fileset_next (files))
        if (file->has_sha256 && file->size == size
        &&  memcmp (file->sha256, sha256, DIGEST_SIZE) == 0)
            return file;
    return NULL;
}

const fileset_file_t *
dlsource_other (view_t *view, const char *owner, const char *me,
                const uint8_t sha256 [DIGEST_SIZE], uint64_t size, char **user)
{
    *user = NULL;
    if (!view)
        return NULL;
    zlistx_t *users = view_users_sorted (view);
    const fileset_file_t *file = NULL;
    for (const char *name = (const char *) zlistx_first (users); name && !file;
         name = (const char *) zlistx_next (users)) {
        if (streq (name, owner) || streq (name, me))
            continue;
        file = s_find_content (view_user_files (view, name), sha256, size);
        if (file)
            *user = strdup (name);
    }
    zlistx_destroy (&users);
    return file;
}
