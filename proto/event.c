/*  event.c - the event stream. See event.h. */
#include "fshare.h"
#include "escape.h"
#include <jansson.h>

const char *
fsh_event_topic (Fshare__EventType type)
{
    switch (type) {
        case FSHARE__EVENT_TYPE__EVENT_JOIN:
        case FSHARE__EVENT_TYPE__EVENT_LEAVE:
            return "presence";
        case FSHARE__EVENT_TYPE__EVENT_FILE_ADDED:
        case FSHARE__EVENT_TYPE__EVENT_FILE_CHANGED:
        case FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED:
        case FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED:
            return "files";
        case FSHARE__EVENT_TYPE__EVENT_STATS:
            return "stats";
        default:
            return NULL;
    }
}

const char *
fsh_event_type_name (Fshare__EventType type)
{
    switch (type) {
        case FSHARE__EVENT_TYPE__EVENT_JOIN:         return "join";
        case FSHARE__EVENT_TYPE__EVENT_LEAVE:        return "leave";
        case FSHARE__EVENT_TYPE__EVENT_FILE_ADDED:   return "file_added";
        case FSHARE__EVENT_TYPE__EVENT_FILE_CHANGED: return "file_changed";
        case FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED: return "file_removed";
        case FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED: return "file_renamed";
        case FSHARE__EVENT_TYPE__EVENT_STATS:        return "stats";
        default:                                     return NULL;
    }
}

int
fsh_event_send (const Fshare__Event *event, zsock_t *pub)
{
    const char *topic = fsh_event_topic (event->type);
    if (!topic)
        return -1;
    void *handle = zsock_resolve (pub);
    if (zmq_send (handle, topic, strlen (topic), ZMQ_SNDMORE) == -1)
        return -1;
    return fsh_pack_send (&event->base, pub, NULL);
}

const char *
fsh_event_check (const Fshare__Event *event)
{
    if (!fsh_event_type_name (event->type))
        return "unknown event type";
    if (!fsh_text_valid (event->broker, 64))
        return "bad broker id";
    if (event->type == FSHARE__EVENT_TYPE__EVENT_STATS)
        return event->stats? NULL: "stats event without stats";
    const char *error = fsh_user_check (event->user);
    if (error)
        return error;
    if (event->type == FSHARE__EVENT_TYPE__EVENT_JOIN) {
        for (size_t i = 0; i < event->n_files; i++)
            if ((error = fsh_listed_check (event->files [i])))
                return error;
        return NULL;
    }
    if (event->type == FSHARE__EVENT_TYPE__EVENT_LEAVE)
        return NULL;
    if ((error = fsh_listed_check (event->file)))
        return error;
    if (event->type == FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED)
        return fsh_path_check (event->from);
    return NULL;
}

Fshare__Event *
fsh_event_recv (zsock_t *sub)
{
    zmsg_t *msg = zmsg_recv (sub);
    if (!msg)
        return NULL;
    Fshare__Event *event = NULL;
    if (zmsg_size (msg) == 2) {
        zframe_t *topic = zmsg_first (msg);
        zframe_t *body = zmsg_next (msg);
        event = (Fshare__Event *) fsh_unpack (&fshare__event__descriptor,
                                              zframe_data (body), zframe_size (body));
        //  Unknown fields cannot be re-encoded faithfully (libprotobuf-c
        //  keeps even field number 0): such an event is not ours.
        if (event && event->base.n_unknown_fields)
            fsh_event_destroy (&event);
        const char *expected = event? fsh_event_topic (event->type): NULL;
        if (event && (!expected || !zframe_streq (topic, expected) || fsh_event_check (event)))
            fsh_event_destroy (&event);
    }
    zmsg_destroy (&msg);
    return event;
}

void
fsh_event_destroy (Fshare__Event **event_p)
{
    if (*event_p) {
        fshare__event__free_unpacked (*event_p, NULL);
        *event_p = NULL;
    }
}

void
fsh_iso_time (int64_t time_ms, char *buf, size_t size)
{
    //  Floor division: -1 ms is 23:59:59.999 of the day before.
    int64_t millis = time_ms % 1000;
    time_t secs = (time_t) (time_ms / 1000);
    if (millis < 0) {
        millis += 1000;
        secs--;
    }
    struct tm tm;
    gmtime_r (&secs, &tm);
    char base [32];
    strftime (base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (buf, size, "%s.%03dZ", base, (int) millis);
}

void
fsh_human_size (uint64_t bytes, char *buf, size_t size)
{
    const char *units [] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double value = (double) bytes;
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        unit++;
    }
    if (unit == 0)
        snprintf (buf, size, "%" PRIu64 " B", bytes);
    else
        snprintf (buf, size, "%.1f %s", value, units [unit]);
}

json_t *
fsh_sha256_json (const Fshare__FileInfo *file)
{
    if (file->sha256.len != 32)
        return json_null ();
    char hex [65];
    for (int i = 0; i < 32; i++)
        snprintf (hex + 2 * i, 3, "%02x", file->sha256.data [i]);
    return json_string (hex);
}

static json_t *
s_file_json (const Fshare__FileInfo *file)
{
    return json_pack ("{s:s, s:I, s:I, s:o}", "path", file->path,
                      "size", (json_int_t) file->size, "mtime", (json_int_t) file->mtime,
                      "sha256", fsh_sha256_json (file));
}

char *
fsh_event_json (const Fshare__Event *event)
{
    char when [40];
    fsh_iso_time (event->time_ms, when, sizeof when);
    json_t *obj = json_pack ("{s:I, s:s, s:s, s:s}",
                             "seq", (json_int_t) event->seq, "broker", event->broker,
                             "time", when, "type", fsh_event_type_name (event->type));
    if (event->type == FSHARE__EVENT_TYPE__EVENT_STATS) {
        Fshare__Stats *stats = event->stats;
        json_object_set_new (obj, "peers", json_integer ((json_int_t) stats->peers));
        json_object_set_new (obj, "files", json_integer ((json_int_t) stats->files));
        json_object_set_new (obj, "transfers", json_integer ((json_int_t) stats->transfers));
        json_object_set_new (obj, "bytes_relayed", json_integer ((json_int_t) stats->bytes_relayed));
    }
    else
        json_object_set_new (obj, "user", json_string (event->user));
    if (event->type == FSHARE__EVENT_TYPE__EVENT_JOIN) {
        json_t *files = json_array ();
        for (size_t i = 0; i < event->n_files; i++)
            json_array_append_new (files, s_file_json (event->files [i]));
        json_object_set_new (obj, "files", files);
        if (event->page || event->more) {
            json_object_set_new (obj, "page", json_integer (event->page));
            json_object_set_new (obj, "more", json_boolean (event->more));
        }
    }
    if (event->file && event->type >= FSHARE__EVENT_TYPE__EVENT_FILE_ADDED
    &&  event->type <= FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED) {
        json_object_set_new (obj, "path", json_string (event->file->path));
        json_object_set_new (obj, "size", json_integer ((json_int_t) event->file->size));
        json_object_set_new (obj, "mtime", json_integer ((json_int_t) event->file->mtime));
        json_object_set_new (obj, "sha256", fsh_sha256_json (event->file));
        if (event->type == FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED)
            json_object_set_new (obj, "from", json_string (event->from));
    }
    char *dumped = json_dumps (obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (obj);
    //  Others' names may be read on a terminal: no raw C1 or bidi (escape.h)
    char *text = dumped? fsh_json_unhide (dumped): NULL;
    free (dumped);
    return text;
}

void
fsh_event_print (const Fshare__Event *event, FILE *out)
{
    char when [40];
    fsh_iso_time (event->time_ms, when, sizeof when);
    const char *type = fsh_event_type_name (event->type);
    char size [32] = "";
    if (event->file)
        fsh_human_size (event->file->size, size, sizeof size);
    //  Names from other users, shown to people: escaped (escape.h)
    char *user = fsh_text_escape (event->user);
    char *path = fsh_text_escape (event->file? event->file->path: "");
    char *from = fsh_text_escape (event->from);
    switch (event->type) {
        case FSHARE__EVENT_TYPE__EVENT_JOIN:
            fprintf (out, "%s #%-6" PRIu64 " %-12s %s (%zu files%s)\n", when, event->seq, type,
                     user, event->n_files, event->more? ", more follow": "");
            break;
        case FSHARE__EVENT_TYPE__EVENT_LEAVE:
            fprintf (out, "%s #%-6" PRIu64 " %-12s %s\n", when, event->seq, type, user);
            break;
        case FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED:
            fprintf (out, "%s #%-6" PRIu64 " %-12s %s: %s -> %s\n", when, event->seq, type,
                     user, from, path);
            break;
        case FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED:
            fprintf (out, "%s #%-6" PRIu64 " %-12s %s: %s\n", when, event->seq, type,
                     user, path);
            break;
        case FSHARE__EVENT_TYPE__EVENT_STATS:
            fprintf (out, "%s #%-6" PRIu64 " %-12s %" PRIu64 " peers, %" PRIu64 " files, %"
                     PRIu64 " transfers, %" PRIu64 " bytes relayed\n", when, event->seq, type,
                     event->stats->peers, event->stats->files, event->stats->transfers,
                     event->stats->bytes_relayed);
            break;
        default:
            fprintf (out, "%s #%-6" PRIu64 " %-12s %s: %s (%s)\n", when, event->seq, type,
                     user, path, size);
    }
    free (user);
    free (path);
    free (from);
}

void
fsh_event_write (const Fshare__Event *event, bool json, FILE *out)
{
    if (json) {
        char *line = fsh_event_json (event);
        if (line)
            fprintf (out, "%s\n", line);
        free (line);
    }
    else
        fsh_event_print (event, out);
}
