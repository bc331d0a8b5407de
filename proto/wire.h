/*  wire.h - one protobuf message per ZeroMQ frame.

    Encoding packs straight into a zmq message (no intermediate buffer);
    decoding returns NULL and logs for anything malformed, never aborts.
    The sockets of every fshare program are configured here too, so that
    limits are in place before the first byte arrives.
*/
#ifndef FSH_WIRE_H_INCLUDED
#define FSH_WIRE_H_INCLUDED

//  Apply max message size and high-water marks; ROUTER sockets also get
//  ZMQ_ROUTER_MANDATORY (we want an error, not a silent drop).
void fsh_socket_limits (zsock_t *sock, int max_message);

//  Send one Message as a single frame (DEALER side). Returns 0 or -1.
int fsh_msg_send (const Fshare__Message *msg, zsock_t *sock);

//  Send one Message to a routing id on a ROUTER socket, never blocking.
//  Returns 0, or -1 with errno (EHOSTUNREACH: peer gone, EAGAIN: peer full).
int fsh_msg_send_to (const Fshare__Message *msg, zsock_t *router,
                     zframe_t *routing_id);

//  Make `msg` (initialised with FSHARE__MESSAGE__INIT) an error reply to
//  request `id`: status ERROR, `code`, and `text` (NULL: the code's own
//  text, fsh_err_text). The text is not copied.
void fsh_msg_set_error (Fshare__Message *msg, uint64_t id, fsh_err_t code, const char *text);

//  Make `msg` (initialised with FSHARE__MESSAGE__INIT) request or reply
//  `id` with a body of kind `body_case`: `body` points to that kind's
//  struct (Fshare__Pong for FSHARE__MESSAGE__BODY_PONG, ...; not copied).
//  One call for the envelope every sender builds:
//      Fshare__Pong pong = FSHARE__PONG__INIT;
//      Fshare__Message reply = FSHARE__MESSAGE__INIT;
//      fsh_msg_set_body (&reply, id, FSHARE__MESSAGE__BODY_PONG, &pong);
void fsh_msg_set_body (Fshare__Message *msg, uint64_t id, Fshare__Message__BodyCase body_case,
                       void *body);

//  The code of an error reply: its code, or `fallback` for a reply that
//  carries none; FSH_ERR_NONE when msg is not an error.
fsh_err_t fsh_msg_error_code (const Fshare__Message *msg, fsh_err_t fallback);

//  Decode one frame; NULL when it is not a valid Message, when any of
//  its strings (in sub-messages too) holds a NUL byte (SPEC 6), or when
//  it would take more than FSH_DECODE_ITEMS_MAX allocations.
Fshare__Message *fsh_msg_decode (const byte *data, size_t size);

//  As fsh_msg_decode, but a message whose only fault is a NUL in a string
//  is decoded too (each such string cut at its NUL) and *tainted set: its
//  id and body still say which request or transfer it was, so the
//  receiver can refuse it at once with a code (never act on it) rather
//  than leave the sender waiting for the stall timeout.
Fshare__Message *fsh_msg_decode_tainted (const byte *data, size_t size, bool *tainted);

//  Receive one single-frame Message from a DEALER. NULL when interrupted
//  or malformed (logged).
Fshare__Message *fsh_msg_recv (zsock_t *sock);

//  Free a decoded Message and null the pointer.
void fsh_msg_destroy (Fshare__Message **msg_p);

//  Generic helpers for the control protocol.
int fsh_pack_send (const ProtobufCMessage *msg, zsock_t *sock, zframe_t *routing_id);
//  fsh_unpack refuses embedded NUL as fsh_msg_decode does, and a message
//  that would take more than FSH_DECODE_ITEMS_MAX allocations to decode
//  (strings, bytes, sub-messages, unknown fields, at any depth): honest
//  messages come in pages far below it.
#define FSH_DECODE_ITEMS_MAX    131072
ProtobufCMessage *fsh_unpack (const ProtobufCMessageDescriptor *desc,
                              const byte *data, size_t size);
//  Receive one message from sock and decode its single frame as desc
//  (fsh_unpack). NULL when interrupted, when it is not one frame, or when
//  the frame is malformed; *frames (may be NULL) is how many frames came
//  (0: none, interrupted).
ProtobufCMessage *fsh_recv_unpack (zsock_t *sock, const ProtobufCMessageDescriptor *desc,
                                   size_t *frames);

//  Whether an encoded message of type desc has a string field holding a
//  NUL byte, at any depth (for a log line saying why it was refused).
bool fsh_wire_has_nul (const ProtobufCMessageDescriptor *desc, const byte *data,
                       size_t size);

//  Message body name for logs ("login", "ping", ...).
const char *fsh_msg_kind (const Fshare__Message *msg);

#endif
