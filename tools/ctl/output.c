/*  output.c - what fshare-ctl prints: aligned columns and human sizes for
    people, the stable JSON of SPEC 5.1 for scripts. See ctl.h.

    Everything that came from the agent is checked before it is printed: a
    malformed entry is skipped and counted, a text that is no valid UTF-8
    shows as "(unreadable text)".
*/
#include "ctl.h"
#include "digest.h"
#include <ctype.h>

void
ctl_print_failure (ctl_t *self, fsh_err_t code, const char *text)
{
    if (!self->json)
        return;
    json_t *failure = json_pack ("{s:s, s:s}", "error", text, "code", fsh_err_name (code));
    if (!failure) {
        //  A text that JSON cannot carry (no UTF-8) is said as on stderr,
        //  escaped: the reason stays, not only the code's own words
        char *shown = fsh_text_escape (text);
        failure = json_pack ("{s:s, s:s}", "error", shown? shown: fsh_err_text (code),
                             "code", fsh_err_name (code));
        free (shown);
    }
    ctl_json_print (failure);
}

void
ctl_fail (ctl_t *self, fsh_err_t code, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    //  For people: whatever the text quotes (names, the agent's words) escaped
    char *shown = fsh_text_escape (text? text: format);
    fprintf (stderr, "fshare-ctl: %s\n", shown? shown: format);
    free (shown);
    ctl_print_failure (self, code, text? text: format);
    zstr_free (&text);
}

void
ctl_fail_plain (const char *owner, const char *path, const char *why)
{
    char *text = zsys_sprintf ("get %s %s: %s", owner, path, why);
    char *shown = fsh_text_escape (text? text: why);
    fprintf (stderr, "fshare-ctl: %s\n", shown? shown: "?");
    free (shown);
    zstr_free (&text);
}

int
ctl_command_error (ctl_t *self, const char *command, const char *fmt, const char *arg)
{
    char *what = zsys_sprintf (fmt, arg);
    //  `arg` is a word of the command line or of the shell: escaped
    fsh_error_line (PROGRAM, "%s: %s%s", command, what? what: fmt,
                    self->in_shell? " (type help)": "");
    if (!self->in_shell)
        fprintf (stderr, "try 'fshare-ctl --help'\n");
    if (self->json) {
        char *text = zsys_sprintf ("%s: %s", command, what? what: fmt);
        ctl_print_failure (self, FSH_ERR_BAD_REQUEST, text? text: fmt);
        zstr_free (&text);
    }
    zstr_free (&what);
    return 2;
}

//  Text from the agent, safe to print.
const char *
ctl_text (const char *text)
{
    return fsh_text_valid (text, 1024)? text: "(unreadable text)";
}

static int
s_max (int a, int b)
{
    return a > b? a: b;
}

static void
s_local_time (int64_t seconds, const char *format, char *buf, size_t size)
{
    time_t when = (time_t) seconds;
    struct tm tm;
    if (!localtime_r (&when, &tm) || !strftime (buf, size, format, &tm))
        snprintf (buf, size, "%" PRId64, seconds);
}

static json_t *
s_json_text (const char *text)
{
    json_t *value = text? json_string (text): NULL;
    return value? value: json_string ("");
}

void
ctl_json_print (json_t *json)
{
    char *dumped = json_dumps (json, JSON_COMPACT | JSON_PRESERVE_ORDER);
    //  Others' names may be read on a terminal: no raw C1 or bidi (escape.h)
    char *text = dumped? fsh_json_unhide (dumped): NULL;
    free (dumped);
    if (text)
        printf ("%s\n", text);
    free (text);
    json_decref (json);
    fsh_output_flush ();
}

//  One line of a file listing; the strings belong to the replies.
typedef struct {
    const char *user;
    const Fshare__FileInfo *file;
} file_row_t;

static void
s_row_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

//  The valid file entries of all replies, in order, as file_row_t.
zlistx_t *
ctl_collect_files (zlistx_t *replies, const char *default_user, const char *exclude_user)
{
    zlistx_t *files = zlistx_new ();
    zlistx_set_destructor (files, s_row_free);
    size_t skipped = 0;
    for (Fshare__CtlReply *reply = (Fshare__CtlReply *) zlistx_first (replies); reply;
         reply = (Fshare__CtlReply *) zlistx_next (replies))
        for (size_t i = 0; i < reply->n_files; i++) {
            const Fshare__UserFile *entry = reply->files [i];
            //  own files may come without a user name
            const char *user = *entry->user || !default_user? entry->user: default_user;
            if (fsh_listed_check (entry->file) || (*user && fsh_user_check (user)))
                skipped++;
            else
            if (!exclude_user || !streq (user, exclude_user)) {
                file_row_t *row = (file_row_t *) zmalloc (sizeof (file_row_t));
                row->user = user;
                row->file = entry->file;
                zlistx_add_end (files, row);
            }
        }
    if (skipped)
        fprintf (stderr, "fshare-ctl: skipped %zu malformed entries\n", skipped);
    return files;
}

static bool
s_has_digest (const Fshare__FileInfo *file)
{
    return file->sha256.len == 32;
}

void
ctl_files_keep_content (zlistx_t *files, const uint8_t sha256 [32])
{
    file_row_t *entry = (file_row_t *) zlistx_first (files);
    while (entry) {
        void *handle = zlistx_cursor (files);
        bool other = !s_has_digest (entry->file)
                  || memcmp (entry->file->sha256.data, sha256, 32) != 0;
        entry = (file_row_t *) zlistx_next (files);
        if (other)
            zlistx_delete (files, handle);
    }
}

static void
s_print_files_json (zlistx_t *files)
{
    json_t *array = json_array ();
    for (file_row_t *entry = (file_row_t *) zlistx_first (files); entry;
         entry = (file_row_t *) zlistx_next (files))
        json_array_append_new (array, json_pack ("{s:s, s:s, s:I, s:I, s:o}",
            "user", entry->user, "path", entry->file->path,
            "size", (json_int_t) entry->file->size, "mtime", (json_int_t) entry->file->mtime,
            "sha256", fsh_sha256_json (entry->file)));
    ctl_json_print (array);
}

//  How many rows carry the same content as `entry` (itself included).
static size_t
s_copies (zhashx_t *counts, const Fshare__FileInfo *file)
{
    if (!s_has_digest (file))
        return 1;
    char key [DIGEST_HEX_SIZE];
    digest_hex (file->sha256.data, key);
    return (size_t) (uintptr_t) zhashx_lookup (counts, key);
}

static zhashx_t *
s_count_copies (zlistx_t *files)
{
    zhashx_t *counts = zhashx_new ();
    for (file_row_t *entry = (file_row_t *) zlistx_first (files); entry;
         entry = (file_row_t *) zlistx_next (files)) {
        if (!s_has_digest (entry->file))
            continue;
        char key [DIGEST_HEX_SIZE];
        digest_hex (entry->file->sha256.data, key);
        size_t count = (size_t) (uintptr_t) zhashx_lookup (counts, key);
        zhashx_update (counts, key, (void *) (uintptr_t) (count + 1));
    }
    return counts;
}

static void
s_print_files_plain (zlistx_t *files, bool with_user)
{
    int user_width = 4, size_width = 4;
    char size [32], when [32];
    for (file_row_t *entry = (file_row_t *) zlistx_first (files); entry;
         entry = (file_row_t *) zlistx_next (files)) {
        fsh_human_size (entry->file->size, size, sizeof size);
        size_width = s_max (size_width, (int) strlen (size));
        user_width = s_max (user_width, (int) strlen (entry->user));
    }
    //  Team listings mark content that exists more than once
    zhashx_t *counts = with_user? s_count_copies (files): NULL;
    bool marked = false;
    if (with_user)
        printf ("%-*s  ", user_width, "USER");
    printf ("%*s  %-16s  %s\n", size_width, "SIZE", "MODIFIED", "PATH");
    for (file_row_t *entry = (file_row_t *) zlistx_first (files); entry;
         entry = (file_row_t *) zlistx_next (files)) {
        fsh_human_size (entry->file->size, size, sizeof size);
        s_local_time (entry->file->mtime, "%Y-%m-%d %H:%M", when, sizeof when);
        bool copies = with_user && s_copies (counts, entry->file) > 1;
        marked |= copies;
        if (with_user)
            printf ("%-*s  ", user_width, entry->user);
        char *path = fsh_text_escape (entry->file->path);
        printf ("%*s  %-16s  %s%s\n", size_width, size, when, path? path: "?",
                copies? "  (=)": "");
        free (path);
    }
    if (marked)
        printf ("(=): the same content is published more than once (ls --all --sha256 HEX)\n");
    zhashx_destroy (&counts);
    fsh_output_flush ();
}

void
ctl_print_files (ctl_t *self, zlistx_t *files, bool with_user, const char *empty)
{
    if (self->json)
        s_print_files_json (files);
    else
    if (zlistx_size (files) == 0)
        printf ("%s\n", empty);
    else
        s_print_files_plain (files, with_user);
    fsh_output_flush ();
}

//  A notification is about to print over the shell's prompt line.
void
ctl_clear_prompt (ctl_t *self)
{
    if (self->prompting && !self->prompt_cleared) {
        printf ("\r\033[K");
        fsh_output_flush ();
        self->prompt_cleared = true;
    }
}

void
ctl_print_event (ctl_t *self, const Fshare__Event *event)
{
    if (fsh_event_check (event)) {
        if (self->verbose)
            fprintf (stderr, "fshare-ctl: skipped a malformed event\n");
        return;
    }
    ctl_clear_prompt (self);
    fsh_event_write (event, self->json, stdout);
    fsh_output_flush ();
}


//  Status as a JSON object (SPEC 5.1 names).
static void
s_print_status_json (const Fshare__AgentStatus *agent)
{
    json_t *obj = json_object ();
    json_object_set_new (obj, "user", s_json_text (agent->user));
    json_object_set_new (obj, "state", s_json_text (agent->state));
    json_object_set_new (obj, "broker", s_json_text (agent->broker));
    json_object_set_new (obj, "broker_id", s_json_text (agent->broker_id));
    json_object_set_new (obj, "seq", json_integer ((json_int_t) agent->seq));
    json_object_set_new (obj, "my_files", json_integer ((json_int_t) agent->my_files));
    json_object_set_new (obj, "peers", json_integer ((json_int_t) agent->peers));
    json_object_set_new (obj, "other_files", json_integer ((json_int_t) agent->other_files));
    json_object_set_new (obj, "dir", s_json_text (agent->dir));
    json_object_set_new (obj, "downloads", s_json_text (agent->downloads));
    json_object_set_new (obj, "pid", json_integer ((json_int_t) agent->pid));
    json_object_set_new (obj, "events", s_json_text (agent->events));
    json_object_set_new (obj, "watching", s_json_text (agent->watching));
    json_object_set_new (obj, "events_problem", agent->events_problem && *agent->events_problem
                                                ? s_json_text (agent->events_problem)
                                                : json_null ());
    json_t *retrying = json_null ();
    if (agent->retrying && *agent->retrying) {
        retrying = json_object ();
        json_object_set_new (retrying, "error", s_json_text (agent->retrying));
        json_object_set_new (retrying, "code", json_string (fsh_err_name (agent->retry_code)));
        json_object_set_new (retrying, "next_ms", json_integer ((json_int_t) agent->retry_in_ms));
    }
    json_object_set_new (obj, "retrying", retrying);
    ctl_json_print (obj);
}

//  One line of the status: the broker names its event endpoint and its
//  id, so the text is others' and shown escaped (escape.h)
static void
s_status_line (const char *label, const char *text)
{
    char *shown = fsh_text_escape (ctl_text (text));
    printf ("%-13s%s\n", label, shown? shown: "");
    free (shown);
}

void
ctl_print_status (ctl_t *self, const Fshare__AgentStatus *agent)
{
    if (self->json) {
        s_print_status_json (agent);
        return;
    }
    s_status_line ("user:", agent->user);
    s_status_line ("state:", agent->state);
    if (agent->retrying && *agent->retrying) {
        //  The agent tries again for ever (SPEC 4.1): say why and when
        char *line = zsys_sprintf ("%s (%s; next try in %.1f s)", agent->retrying,
                                   fsh_err_name (agent->retry_code),
                                   (double) agent->retry_in_ms / 1000);
        s_status_line ("retrying:", line);
        zstr_free (&line);
    }
    s_status_line ("broker:", agent->broker);
    s_status_line ("events:", agent->events);
    if (agent->events_problem && *agent->events_problem)
        s_status_line ("problem:", agent->events_problem);
    s_status_line ("broker id:", agent->broker_id);
    printf ("seq:         %" PRIu64 "\n", agent->seq);
    printf ("my files:    %" PRIu64 "\n", agent->my_files);
    printf ("peers:       %" PRIu64 "\n", agent->peers);
    printf ("other files: %" PRIu64 "\n", agent->other_files);
    s_status_line ("dir:", agent->dir);
    s_status_line ("downloads:", agent->downloads);
    s_status_line ("watching:", agent->watching);
    printf ("pid:         %" PRId64 "\n", agent->pid);
    fsh_output_flush ();
}

void
ctl_print_peers (ctl_t *self, zlistx_t *replies)
{
    json_t *array = json_array ();
    int width = 4;
    for (Fshare__CtlReply *reply = (Fshare__CtlReply *) zlistx_first (replies); reply;
         reply = (Fshare__CtlReply *) zlistx_next (replies))
        for (size_t i = 0; i < reply->n_peers; i++) {
            Fshare__PeerInfo *peer = reply->peers [i];
            if (fsh_user_check (peer->user))
                continue;
            json_array_append_new (array, json_pack ("{s:s, s:I, s:I}", "user", peer->user,
                "files", (json_int_t) peer->files, "since", (json_int_t) peer->since));
            width = s_max (width, (int) strlen (peer->user));
        }
    if (self->json) {
        ctl_json_print (array);
        return;
    }
    printf ("%-*s  %8s  %s\n", width, "USER", "FILES", "SINCE");
    size_t index;
    json_t *peer;
    json_array_foreach (array, index, peer) {
        char since [32];
        s_local_time (json_integer_value (json_object_get (peer, "since")),
                      "%Y-%m-%d %H:%M:%S", since, sizeof since);
        printf ("%-*s  %8" JSON_INTEGER_FORMAT "  %s\n", width,
                json_string_value (json_object_get (peer, "user")),
                json_integer_value (json_object_get (peer, "files")), since);
    }
    json_decref (array);
    fsh_output_flush ();
}
