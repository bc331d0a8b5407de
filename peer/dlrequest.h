/*  dlrequest.h - a ctl's "get", checked, and where its file is to go.

    OWNER and PATH must pass the protocol's own checks (a request the
    broker would refuse is refused here, with the reason). The file goes
    where -o says: into an existing directory under the path's base name,
    or as the absolute file name given (its directory is checked when the
    file is written). Without -o it goes into the downloads directory,
    re-created when it went missing, under the path's base name.
*/
#ifndef DLREQUEST_H_INCLUDED
#define DLREQUEST_H_INCLUDED

#include "fshare.h"
#include "errcode.h"

typedef struct {
    char *owner;
    char *path;
    char *dir;          //  destination directory
    char *name;         //  and the file's name there
    bool named;         //  -o chose the file's name: no "already there" search
    bool again;         //  --again: fetch even when the content is here
} dlrequest_t;

//  The request checked against the downloads directory: a new request, or
//  NULL with *code (bad_request) and *error, a new string for the ctl.
//  `user` names the agent in the log.
dlrequest_t *dlrequest_new (const Fshare__CtlRequest *request, const char *downloads_dir,
                            const char *user, fsh_err_t *code, char **error);
void dlrequest_destroy (dlrequest_t **self_p);

#endif
