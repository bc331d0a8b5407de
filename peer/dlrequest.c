/*  dlrequest.c - a ctl's "get", checked, and where its file is to go.
    See dlrequest.h.
*/
#include "dlrequest.h"
#include "validate.h"
#include "endpoint.h"
#include <sys/stat.h>

//  (dir, name) from -o, else the downloads directory and the base name;
//  -1 with *error.
static int
s_destination (dlrequest_t *self, const char *output, bool exact, const char *downloads_dir,
               const char *user, char **error)
{
    const char *slash = strrchr (self->path, '/');
    const char *base = slash? slash + 1: self->path;
    if (!output || !*output) {
        struct stat st;
        if (lstat (downloads_dir, &st) == -1 && errno == ENOENT
        &&  fsh_mkdirs (downloads_dir, 0755) == 0)
            zsys_notice ("%s: downloads directory %s was missing: created it",
                         user, downloads_dir);
        self->dir = strdup (downloads_dir);
        self->name = strdup (base);
        return 0;
    }
    //  Each its own words: an absolute path that is no text is no
    //  "not an absolute path"
    if (output [0] != '/') {
        *error = strdup ("-o: not an absolute path");
        return -1;
    }
    if (strnlen (output, FSH_PATH_MAX + 1) > FSH_PATH_MAX) {
        *error = zsys_sprintf ("-o: a path longer than %d bytes", FSH_PATH_MAX);
        return -1;
    }
    if (!fsh_text_valid (output, FSH_PATH_MAX)) {
        *error = strdup ("-o: a path that is not valid UTF-8 or holds a control character");
        return -1;
    }
    //  A folder's member names its own place: a directory that stands
    //  there (a hostile list holding "d/a" and "d/a/b") is a name taken,
    //  as a file would be, not a place to save into
    struct stat st;
    if (!exact && stat (output, &st) == 0 && S_ISDIR (st.st_mode)) {
        self->dir = strdup (output);
        self->name = strdup (base);
        return 0;
    }
    slash = strrchr (output, '/');
    if (!slash [1]) {
        *error = zsys_sprintf ("-o %s: no such directory", output);
        return -1;
    }
    self->dir = slash == output? strdup ("/"):
                zsys_sprintf ("%.*s", (int) (slash - output), output);
    self->name = strdup (slash + 1);
    self->named = true;
    return 0;
}

dlrequest_t *
dlrequest_new (const Fshare__CtlRequest *request, const char *downloads_dir,
               const char *user, fsh_err_t *code, char **error)
{
    *code = FSH_ERR_BAD_REQUEST;
    *error = NULL;
    if (request->n_args != 2) {
        *error = strdup ("get needs OWNER and PATH");
        return NULL;
    }
    const char *problem = fsh_user_check (request->args [0]);
    if (!problem)
        problem = fsh_path_check (request->args [1]);
    if (problem) {
        *error = zsys_sprintf ("invalid request: %s", problem);
        return NULL;
    }
    //  Never published, so unknown, as the broker says: asked of a broker
    //  that serves one anyway, the download would land under that name
    if (fsh_path_is_partial (request->args [1])) {
        *code = FSH_ERR_UNKNOWN_FILE;
        *error = strdup (fsh_err_text (*code));
        return NULL;
    }
    dlrequest_t *self = (dlrequest_t *) zmalloc (sizeof (dlrequest_t));
    self->owner = strdup (request->args [0]);
    self->path = strdup (request->args [1]);
    self->again = request->again;
    if (s_destination (self, request->output, request->output_exact, downloads_dir, user,
                       error))
        dlrequest_destroy (&self);
    return self;
}

void
dlrequest_destroy (dlrequest_t **self_p)
{
    if (*self_p) {
        dlrequest_t *self = *self_p;
        free (self->owner);
        free (self->path);
        free (self->dir);
        free (self->name);
        free (self);
        *self_p = NULL;
    }
}
