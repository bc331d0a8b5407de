/*  catalog.c - what a session may publish. See catalog.h. */
#include "catalog.h"
#include "bounds.h"

//  Whether `extra` more bytes keep the session within both budgets.
static const char *
s_over_budget (session_t *session, const catalog_limits_t *limits, uint64_t extra)
{
    if (session_list_bytes (session) + extra > limits->max_bytes)
        return "file list too large";
    if (extra > limits->total_left)
        return "the broker holds all the file lists it may";
    return NULL;
}

fsh_err_t
catalog_publish (session_t *session, const Fshare__Publish *publish,
                 const catalog_limits_t *limits, fsh_ratelog_t *ratelog, const char **reason)
{
    uint64_t before = session_list_bytes (session);
    for (size_t i = 0; i < publish->n_files; i++) {
        const Fshare__FileInfo *file = publish->files [i];
        const char *error = fsh_file_check (file);
        if (error) {
            fsh_ratelog_warning (ratelog, "broker", "%s published a bad file: %s",
                                 session_user (session), error);
            *reason = "invalid file list";
            return FSH_ERR_BAD_REQUEST;
        }
        //  Valid, but beyond this broker's own limits (--max-path,
        //  --max-depth): that file is not published, the others are
        error = fsh_path_check_bounded (file->path, limits->max_path, limits->max_depth);
        if (error) {
            fsh_ratelog_warning (ratelog, "broker", "%s: '%.80s' not published: %s",
                                 session_user (session), file->path, error);
            continue;
        }
        session_put_file (session, file);
    }
    if (session_file_count (session) > limits->max_files) {
        fsh_ratelog_warning (ratelog, "broker", "%s publishes more than %zu files",
                             session_user (session), limits->max_files);
        *reason = "too many files";
        return FSH_ERR_TOO_LARGE;
    }
    //  What this page added, against what the lists may still take
    *reason = s_over_budget (session, limits, 0);
    if (!*reason && session_list_bytes (session) - before > limits->total_left)
        *reason = "the broker holds all the file lists it may";
    if (*reason) {
        fsh_ratelog_warning (ratelog, "broker", "%s's file list refused: %s (%" PRIu64
                             " bytes)", session_user (session), *reason,
                             session_list_bytes (session));
        return FSH_ERR_TOO_LARGE;
    }
    return FSH_ERR_NONE;
}

//  The reason a change is refused, or NULL; *code says which kind.
static const char *
s_change_check (session_t *session, const Fshare__Change *change,
                const catalog_limits_t *limits, fsh_err_t *code)
{
    *code = FSH_ERR_BAD_REQUEST;
    const char *reason = session_online (session)
        ? fsh_file_check_bounded (change->file, limits->max_path, limits->max_depth)
        : "files not published yet";
    if (!reason && change->kind == FSHARE__CHANGE_KIND__CHANGE_RENAMED)
        reason = fsh_path_check (change->from);
    if (!reason && change->kind == FSHARE__CHANGE_KIND__CHANGE_NONE)
        reason = "no change kind";
    //  protobuf-c keeps enum values it does not know
    if (!reason && (unsigned) change->kind > FSHARE__CHANGE_KIND__CHANGE_RENAMED)
        reason = "unknown change kind";
    if (reason || change->kind == FSHARE__CHANGE_KIND__CHANGE_REMOVED
    ||  session_file (session, change->file->path))
        return reason;
    *code = FSH_ERR_TOO_LARGE;
    if (session_file_count (session) >= limits->max_files)
        return "too many files";
    return s_over_budget (session, limits, session_file_bytes (change->file->path));
}

fsh_err_t
catalog_change (session_t *session, const Fshare__Change *change,
                const catalog_limits_t *limits, publisher_t *publisher,
                fsh_ratelog_t *ratelog, const char **reason)
{
    fsh_err_t code;
    *reason = s_change_check (session, change, limits, &code);
    if (*reason) {
        fsh_ratelog_warning (ratelog, "broker", "bad change from %s: %s",
                             session_user (session), *reason);
        return code;
    }
    Fshare__FileInfo *file = change->file;
    if (change->kind == FSHARE__CHANGE_KIND__CHANGE_REMOVED) {
        if (session_remove_file (session, file->path))
            publisher_file (publisher, FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED, session,
                            file->path, NULL);
        return FSH_ERR_NONE;
    }
    if (change->kind == FSHARE__CHANGE_KIND__CHANGE_RENAMED
    &&  session_remove_file (session, change->from)) {
        session_put_file (session, file);
        publisher_file (publisher, FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED, session,
                        file->path, change->from);
        return FSH_ERR_NONE;
    }
    //  The broker's own table decides added versus changed: it is what
    //  every view was built from.
    Fshare__ChangeKind kind = session_put_file (session, file);
    if (kind == FSHARE__CHANGE_KIND__CHANGE_ADDED)
        publisher_file (publisher, FSHARE__EVENT_TYPE__EVENT_FILE_ADDED, session,
                        file->path, NULL);
    else
    if (kind == FSHARE__CHANGE_KIND__CHANGE_CHANGED)
        publisher_file (publisher, FSHARE__EVENT_TYPE__EVENT_FILE_CHANGED, session,
                        file->path, NULL);
    return FSH_ERR_NONE;
}
