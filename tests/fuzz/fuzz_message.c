/*  fuzz_message.c - libFuzzer target: a request-socket frame.

    What the broker and the agents do with every frame they receive:
    fsh_msg_decode, then the name, path and file checks on every string and
    FileInfo of the decoded message (walked through the descriptors, so the
    download messages and any later ones are covered as the schema grows).
    Properties: decoding never crashes or leaks; a decoded message passes
    protobuf-c's own check, has a kind for the logs, and encodes back to
    bytes that decode to the same message (what fsh_msg_send writes,
    fsh_msg_decode takes back).
*/
#include "fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    Fshare__Message *msg = fsh_msg_decode (data, size);
    if (!msg)
        return 0;
    FUZZ_ASSERT (protobuf_c_message_check (&msg->base));
    FUZZ_ASSERT (fsh_msg_kind (msg));
    fuzz_walk (&msg->base, fuzz_check_field, NULL);
    fuzz_round_trip (&msg->base);
    fsh_msg_destroy (&msg);
    FUZZ_ASSERT (msg == NULL);
    return 0;
}
