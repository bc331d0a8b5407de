/*  event.h - the event stream: topics, sending, receiving, printing.

    Every event travels as two frames, topic then protobuf Event. The plain
    and JSON renderings here are the ones fshare-tap and `fshare-ctl events`
    print, so both tools say the same thing (SPEC 5.1).
*/
#ifndef FSH_EVENT_H_INCLUDED
#define FSH_EVENT_H_INCLUDED

//  "presence", "files" or "stats"; NULL for an unknown type.
const char *fsh_event_topic (Fshare__EventType type);

//  "join", "leave", "file_added", ... ; NULL for an unknown type.
const char *fsh_event_type_name (Fshare__EventType type);

//  Publish one event. 0 or -1.
int fsh_event_send (const Fshare__Event *event, zsock_t *pub);

//  Receive one event from a SUB socket: NULL when interrupted or when the
//  frames are not a valid event (logged, rate-limited by the caller).
Fshare__Event *fsh_event_recv (zsock_t *sub);

//  Check an event's fields (names, paths, type vs topic). NULL when valid.
const char *fsh_event_check (const Fshare__Event *event);

void fsh_event_destroy (Fshare__Event **event_p);

//  One JSON object on one line, no newline. Caller frees.
char *fsh_event_json (const Fshare__Event *event);

//  A file's digest as SPEC 5.1 prints it: lower-case hex, or null while
//  the owner has not hashed it (a new jansson reference).
struct json_t;
struct json_t *fsh_sha256_json (const Fshare__FileInfo *file);

//  One line for people, with newline.
void fsh_event_print (const Fshare__Event *event, FILE *out);

//  An event as the tools print their streams (SPEC 5.1): one JSON object
//  per line (json) or one line for people. Not flushed: the caller flushes
//  after each event, so a pipe sees each as it comes (standard output with
//  fsh_output_flush, which keeps why a write failed).
void fsh_event_write (const Fshare__Event *event, bool json, FILE *out);

//  ISO-8601 UTC with milliseconds into buf (at least 32 bytes).
void fsh_iso_time (int64_t time_ms, char *buf, size_t size);

//  "1.5 MiB" style into buf.
void fsh_human_size (uint64_t bytes, char *buf, size_t size);

#endif
