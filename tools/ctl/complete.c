/*  complete.c - words for shell completion, from the running agent.
    See complete.h.

    Paths come from the agent's view (`ls --all --user OWNER`), filtered by
    the agent itself with globs built from the prefix (PREFIX* for files,
    PREFIX* + "/<two stars>" for what is below directories: ls's `*` stays
    within one component), so that a TAB after a few letters moves only the paths
    that can match. Below the prefix,
    each path is cut after its next '/', and the cuts are printed once:
    10,000 files in a few folders complete as a few words.
*/
#include "complete.h"
#include "escape.h"

//  One word on its line; with `quote`, as the shell must read it: a
//  backslash before each ASCII byte that is not plain (bytes of UTF-8 stay,
//  control characters never reach here: s_offerable).
static void
s_print (const char *word, bool quote)
{
    if (!quote) {
        puts (word);
        return;
    }
    for (const char *in = word; *in; in++) {
        unsigned char c = (unsigned char) *in;
        if (c < 0x80 && !isalnum (c) && !strchr ("._/+,:@%=-", c))
            putchar ('\\');
        putchar (c);
    }
    putchar ('\n');
}

//  Whether a word from the agent may go to the shell: bash lists the
//  candidates raw on a double TAB, so a name that escaping would change
//  (C1 controls, bidirectional overrides: escape.h) is not offered, as
//  an escaped word would not name the file. A word that is no valid
//  user name or path (the agent's replies are checked like any other
//  party's) is not offered either.
static bool
s_offerable (const char *word, bool is_path)
{
    if (is_path? fsh_path_check (word) != NULL: fsh_user_check (word) != NULL)
        return false;
    char *shown = fsh_text_escape (word);
    bool same = shown && streq (shown, word);
    free (shown);
    return same;
}

static bool
s_starts_with (const char *text, const char *prefix)
{
    return strncmp (text, prefix, strlen (prefix)) == 0;
}

//  PREFIX* as a glob (fsh_glob_match, ls's), the prefix's own *?[\ escaped;
//  with `below`, PREFIX*/**: what lies in the directories it begins (a
//  `*` stays within one component, so one glob cannot say both).
static char *
s_prefix_glob (const char *prefix, bool below)
{
    char *glob = (char *) zmalloc (2 * strlen (prefix) + 5);
    char *out = glob;
    for (const char *in = prefix; *in; in++) {
        if (strchr ("*?[\\", *in))
            *out++ = '\\';
        *out++ = *in;
    }
    strcpy (out, below? "*/**": "*");
    return glob;
}

//  One request; its replies, or NULL when it failed in any way.
static zlistx_t *
s_call (fsh_ctlclient_t *client, const Fshare__CtlRequest *request)
{
    if (fsh_ctlclient_find (client, NULL) != FSH_CTL_OK)
        return NULL;
    zlistx_t *replies = fsh_ctl_replies_new ();
    fsh_ctl_result_t result = fsh_ctlclient_call (client, request, CTL_COMPLETE_TIMEOUT_MS,
                                                  replies);
    Fshare__CtlReply *last = (Fshare__CtlReply *) zlistx_last (replies);
    if (result != FSH_CTL_OK || !last || last->status != FSHARE__STATUS__STATUS_OK)
        zlistx_destroy (&replies);
    return replies;
}

static int
s_agents (const char *prefix, bool quote)
{
    zlistx_t *running = fsh_ctl_running_agents ();
    int printed = 0;
    for (const char *user = (const char *) zlistx_first (running); user;
         user = (const char *) zlistx_next (running))
        if (s_starts_with (user, prefix)) {
            s_print (user, quote);
            printed++;
        }
    zlistx_destroy (&running);
    return printed? 0: 1;
}

//  The online users that begin with `prefix`; the agent's own only `with_me`
static int
s_users (fsh_ctlclient_t *client, const char *prefix, bool with_me, bool quote)
{
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "peers";
    zlistx_t *replies = s_call (client, &request);
    if (!replies)
        return 1;
    const char *me = with_me? NULL: fsh_ctlclient_user (client);
    int printed = 0;
    for (Fshare__CtlReply *reply = (Fshare__CtlReply *) zlistx_first (replies); reply;
         reply = (Fshare__CtlReply *) zlistx_next (replies))
        for (size_t index = 0; index < reply->n_peers; index++) {
            const char *user = reply->peers [index]->user;
            if (s_offerable (user, false) && (!me || !streq (user, me))
            &&  s_starts_with (user, prefix)) {
                s_print (user, quote);
                printed++;
            }
        }
    zlistx_destroy (&replies);
    return printed? 0: 1;
}

//  Prints `path` cut after the first '/' below the prefix, once per cut.
static int
s_path_word (zhashx_t *seen, const char *path, size_t prefix_len, bool quote)
{
    const char *slash = strchr (path + prefix_len, '/');
    char *word = slash? strndup (path, (size_t) (slash - path) + 1): strdup (path);
    int printed = 0;
    if (zhashx_insert (seen, word, (void *) 1) == 0) {
        s_print (word, quote);
        printed = 1;
    }
    free (word);
    return printed;
}

//  The words of OWNER's paths matching one glob (s_prefix_glob) into
//  `seen`; -1 when the request failed.
static int
s_paths_of (fsh_ctlclient_t *client, const char *owner, const char *prefix, bool below,
            bool quote, zhashx_t *seen)
{
    char *glob = s_prefix_glob (prefix, below);
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "ls";
    request.all = true;
    request.user = (char *) owner;
    request.glob = glob;
    zlistx_t *replies = s_call (client, &request);
    zstr_free (&glob);
    if (!replies)
        return -1;
    size_t prefix_len = strlen (prefix);
    int printed = 0;
    for (Fshare__CtlReply *reply = (Fshare__CtlReply *) zlistx_first (replies); reply;
         reply = (Fshare__CtlReply *) zlistx_next (replies))
        for (size_t index = 0; index < reply->n_files; index++) {
            const Fshare__FileInfo *file = reply->files [index]->file;
            if (file && s_offerable (file->path, true) && s_starts_with (file->path, prefix))
                printed += s_path_word (seen, file->path, prefix_len, quote);
        }
    zlistx_destroy (&replies);
    return printed;
}

//  OWNER's files that begin with the prefix, then its directories that do
static int
s_paths (fsh_ctlclient_t *client, const char *owner, const char *prefix, bool quote)
{
    if (fsh_user_check (owner))
        return 1;
    zhashx_t *seen = zhashx_new ();
    int files = s_paths_of (client, owner, prefix, false, quote, seen);
    int below = files < 0? -1: s_paths_of (client, owner, prefix, true, quote, seen);
    zhashx_destroy (&seen);
    return files > 0 || below > 0? 0: 1;
}

int
ctl_complete (fsh_ctlclient_t *client, int argc, char **argv)
{
    bool quote = argc > 0 && streq (argv [0], "--quote");
    if (quote) {
        argc--;
        argv++;
    }
    const char *kind = argc > 0? argv [0]: "";
    if (streq (kind, "agents") && argc <= 2)
        return s_agents (argc > 1? argv [1]: "", quote);
    if ((streq (kind, "users") || streq (kind, "owners")) && argc <= 2)
        return s_users (client, argc > 1? argv [1]: "", streq (kind, "owners"), quote);
    if (streq (kind, "paths") && argc >= 2 && argc <= 3)
        return s_paths (client, argv [1], argc > 2? argv [2]: "", quote);
    return 2;
}
