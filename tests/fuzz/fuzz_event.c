/*  fuzz_event.c - libFuzzer target: the body frame of an event.

    What fsh_event_recv, fshare-tap and `fshare-ctl events` do with an event
    from the network: unpack it, fsh_event_check it, and render an accepted
    one as JSON and as a line of text. Properties: nothing crashes or leaks;
    every event the check accepts has a topic, renders (the renderers trust
    the check: a file event has its file, a stats event its stats), and its
    JSON parses back with the right type, user and sequence number.
*/
#include "fuzz.h"
#include <jansson.h>

//  Where fsh_event_print writes: opened once, as the tools open stdout once.
static FILE *s_null;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    s_null = fopen ("/dev/null", "w");
    FUZZ_ASSERT (s_null);
    return 0;
}

static void
s_check_json (const Fshare__Event *event)
{
    char *text = fsh_event_json (event);
    FUZZ_ASSERT (text);
    FUZZ_ASSERT (!strchr (text, '\n'));
    json_error_t error;
    json_t *json = json_loads (text, 0, &error);
    FUZZ_ASSERT (json);
    FUZZ_ASSERT (streq (json_string_value (json_object_get (json, "type")),
                        fsh_event_type_name (event->type)));
    FUZZ_ASSERT ((uint64_t) json_integer_value (json_object_get (json, "seq")) == event->seq);
    if (event->type != FSHARE__EVENT_TYPE__EVENT_STATS)
        FUZZ_ASSERT (streq (json_string_value (json_object_get (json, "user")), event->user));
    json_decref (json);
    free (text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    Fshare__Event *event = (Fshare__Event *) fsh_unpack (&fshare__event__descriptor,
                                                         data, size);
    if (!event)
        return 0;
    FUZZ_ASSERT (protobuf_c_message_check (&event->base));
    fuzz_walk (&event->base, fuzz_check_field, NULL);
    fuzz_round_trip (&event->base);
    if (!fsh_event_check (event)) {
        FUZZ_ASSERT (fsh_event_topic (event->type));
        s_check_json (event);
        fsh_event_print (event, s_null);
    }
    fsh_event_destroy (&event);
    FUZZ_ASSERT (event == NULL);
    return 0;
}
