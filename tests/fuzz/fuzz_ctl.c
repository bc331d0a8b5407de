/*  fuzz_ctl.c - libFuzzer target: the control socket's two messages.

    The agent unpacks a CtlRequest from fshare-ctl, fshare-ctl unpacks
    CtlReply messages from the agent: each input is tried as both. Every
    string and FileInfo of a decoded message goes through the receivers'
    checks, and an event carried by a reply (`fshare-ctl events`) through
    fsh_event_check and, when accepted, the JSON renderer. Properties:
    nothing crashes or leaks, decoded messages pass protobuf-c's check and
    encode back to the same message.
*/
#include "fuzz.h"

static void
s_try (const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t size)
{
    ProtobufCMessage *msg = fsh_unpack (desc, data, size);
    if (!msg)
        return;
    FUZZ_ASSERT (protobuf_c_message_check (msg));
    fuzz_walk (msg, fuzz_check_field, NULL);
    fuzz_round_trip (msg);
    if (desc == &fshare__ctl_reply__descriptor) {
        Fshare__Event *event = ((Fshare__CtlReply *) msg)->event;
        if (event && !fsh_event_check (event)) {
            char *json = fsh_event_json (event);
            FUZZ_ASSERT (json);
            free (json);
        }
    }
    protobuf_c_message_free_unpacked (msg, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_try (&fshare__ctl_request__descriptor, data, size);
    s_try (&fshare__ctl_reply__descriptor, data, size);
    return 0;
}
