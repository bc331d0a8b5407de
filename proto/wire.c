/*  wire.c - one protobuf message per ZeroMQ frame. See wire.h. */
#include "fshare.h"

void
fsh_socket_limits (zsock_t *sock, int max_message)
{
    zsock_set_maxmsgsize (sock, max_message > 0? max_message: FSH_DEFAULT_MAX_MESSAGE);
    zsock_set_sndhwm (sock, FSH_SNDHWM);
    //  A subscriber takes bursts into its own memory: the broker keeps
    //  only a small queue per subscriber (FSH_SUBSCRIBER_BYTES), so a live
    //  one whose I/O thread reads on must not stop at the usual mark.
    zsock_set_rcvhwm (sock, zsock_type (sock) == ZMQ_SUB? FSH_SUB_RCVHWM: FSH_RCVHWM);
    zsock_set_linger (sock, 0);
    if (zsock_type (sock) == ZMQ_ROUTER)
        zsock_set_router_mandatory (sock, 1);
}

static int
s_send_packed (const ProtobufCMessage *msg, void *handle, int flags)
{
    size_t size = protobuf_c_message_get_packed_size (msg);
    zmq_msg_t frame;
    if (zmq_msg_init_size (&frame, size))
        return -1;
    protobuf_c_message_pack (msg, (uint8_t *) zmq_msg_data (&frame));
    if (zmq_msg_send (&frame, handle, flags) == -1) {
        int saved = errno;
        zmq_msg_close (&frame);
        errno = saved;
        return -1;
    }
    return 0;
}

int
fsh_pack_send (const ProtobufCMessage *msg, zsock_t *sock, zframe_t *routing_id)
{
    void *handle = zsock_resolve (sock);
    if (routing_id) {
        if (zmq_send (handle, zframe_data (routing_id), zframe_size (routing_id),
                      ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1)
            return -1;
        return s_send_packed (msg, handle, ZMQ_DONTWAIT);
    }
    return s_send_packed (msg, handle, 0);
}

int
fsh_msg_send (const Fshare__Message *msg, zsock_t *sock)
{
    return fsh_pack_send (&msg->base, sock, NULL);
}

int
fsh_msg_send_to (const Fshare__Message *msg, zsock_t *router, zframe_t *routing_id)
{
    return fsh_pack_send (&msg->base, router, routing_id);
}

//  --------------------------------------------------------------------------
//  Embedded NUL: protobuf-c hands a `string` field over as a C string and
//  drops its length, so "nul\0../../x" would reach every check as "nul".
//  The encoded bytes still have the length: walk them with the message's
//  descriptor before decoding, sub-messages included.
//  The same walk counts what protobuf-c would allocate one by one (every
//  string, bytes and sub-message, every unknown field): a frame of empty
//  FileInfo entries, two bytes each, would be 60 times its size in memory.

#define NESTING_MAX 32

static int
s_varint (const byte *data, size_t size, size_t *pos, uint64_t *value)
{
    *value = 0;
    for (int shift = 0; shift < 64 && *pos < size; shift += 7) {
        byte b = data [(*pos)++];
        *value |= (uint64_t) (b & 0x7F) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

//  True for more than `max` allocations; *nul is set for a NUL in a
//  string (and the walk goes on counting). Malformed encodings are not
//  this walk's business: it stops, and protobuf-c refuses them.
static bool
s_refused (const ProtobufCMessageDescriptor *desc, const byte *data, size_t size, int depth,
           size_t *items, size_t max, bool *nul)
{
    size_t pos = 0;
    while (pos < size) {
        uint64_t key, length;
        if (s_varint (data, size, &pos, &key))
            return false;
        const ProtobufCFieldDescriptor *field =
            key >> 3 <= UINT32_MAX? protobuf_c_message_descriptor_get_field (desc, (unsigned) (key >> 3))
                                  : NULL;
        if ((!field || (key & 7) == 2) && ++*items > max)
            return true;
        switch (key & 7) {
            case 0:
                if (s_varint (data, size, &pos, &length))
                    return false;
                continue;
            case 1:  pos += 8; continue;
            case 5:  pos += 4; continue;
            case 2:  break;
            default: return false;
        }
        if (s_varint (data, size, &pos, &length) || length > size - pos)
            return false;
        if (field && field->type == PROTOBUF_C_TYPE_STRING && memchr (data + pos, 0, length))
            *nul = true;
        if (field && field->type == PROTOBUF_C_TYPE_MESSAGE && depth < NESTING_MAX
        &&  s_refused ((const ProtobufCMessageDescriptor *) field->descriptor, data + pos,
                       length, depth + 1, items, max, nul))
            return true;
        pos += length;
    }
    return false;
}

bool
fsh_wire_has_nul (const ProtobufCMessageDescriptor *desc, const byte *data, size_t size)
{
    size_t items = 0;
    bool nul = false;
    s_refused (desc, data, size, 0, &items, SIZE_MAX, &nul);
    return nul;
}

ProtobufCMessage *
fsh_unpack (const ProtobufCMessageDescriptor *desc, const byte *data, size_t size)
{
    size_t items = 0;
    bool nul = false;
    if (s_refused (desc, data, size, 0, &items, FSH_DECODE_ITEMS_MAX, &nul) || nul)
        return NULL;
    return protobuf_c_message_unpack (desc, NULL, size, data);
}

Fshare__Message *
fsh_msg_decode_tainted (const byte *data, size_t size, bool *tainted)
{
    size_t items = 0;
    *tainted = false;
    if (s_refused (&fshare__message__descriptor, data, size, 0, &items,
                   FSH_DECODE_ITEMS_MAX, tainted))
        return NULL;
    return (Fshare__Message *) protobuf_c_message_unpack (&fshare__message__descriptor, NULL,
                                                          size, data);
}

Fshare__Message *
fsh_msg_decode (const byte *data, size_t size)
{
    return (Fshare__Message *) fsh_unpack (&fshare__message__descriptor, data, size);
}

ProtobufCMessage *
fsh_recv_unpack (zsock_t *sock, const ProtobufCMessageDescriptor *desc, size_t *frames)
{
    zmsg_t *msg = zmsg_recv (sock);
    if (frames)
        *frames = msg? zmsg_size (msg): 0;
    if (!msg)
        return NULL;
    ProtobufCMessage *decoded = NULL;
    zframe_t *frame = zmsg_first (msg);
    if (zmsg_size (msg) == 1)
        decoded = fsh_unpack (desc, zframe_data (frame), zframe_size (frame));
    zmsg_destroy (&msg);
    return decoded;
}

Fshare__Message *
fsh_msg_recv (zsock_t *sock)
{
    size_t frames;
    Fshare__Message *decoded = (Fshare__Message *) fsh_recv_unpack (
        sock, &fshare__message__descriptor, &frames);
    if (!decoded && frames)
        zsys_warning ("wire: dropped a malformed message (%zu frames)", frames);
    return decoded;
}

void
fsh_msg_destroy (Fshare__Message **msg_p)
{
    if (*msg_p) {
        fshare__message__free_unpacked (*msg_p, NULL);
        *msg_p = NULL;
    }
}

const char *
fsh_msg_kind (const Fshare__Message *msg)
{
    switch (msg->body_case) {
        case FSHARE__MESSAGE__BODY_LOGIN:         return "login";
        case FSHARE__MESSAGE__BODY_LOGIN_OK:      return "login-ok";
        case FSHARE__MESSAGE__BODY_PUBLISH:       return "publish";
        case FSHARE__MESSAGE__BODY_PUBLISH_OK:    return "publish-ok";
        case FSHARE__MESSAGE__BODY_LOGOUT:        return "logout";
        case FSHARE__MESSAGE__BODY_LOGOUT_OK:     return "logout-ok";
        case FSHARE__MESSAGE__BODY_PING:          return "ping";
        case FSHARE__MESSAGE__BODY_PONG:          return "pong";
        case FSHARE__MESSAGE__BODY_CHANGE:        return "change";
        case FSHARE__MESSAGE__BODY_SNAPSHOT:      return "snapshot";
        case FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE: return "snapshot-page";
        case FSHARE__MESSAGE__BODY_GET:           return "get";
        case FSHARE__MESSAGE__BODY_SERVE:         return "serve";
        case FSHARE__MESSAGE__BODY_OPENED:        return "opened";
        case FSHARE__MESSAGE__BODY_CREDIT:        return "credit";
        case FSHARE__MESSAGE__BODY_CHUNK:         return "chunk";
        case FSHARE__MESSAGE__BODY_DONE:          return "done";
        case FSHARE__MESSAGE__BODY_CANCEL:        return "cancel";
        default:                                  return "empty";
    }
}

void
fsh_msg_set_error (Fshare__Message *msg, uint64_t id, fsh_err_t code, const char *text)
{
    msg->id = id;
    msg->status = FSHARE__STATUS__STATUS_ERROR;
    msg->code = code;
    msg->error = (char *) (text? text: fsh_err_text (code));
}

void
fsh_msg_set_body (Fshare__Message *msg, uint64_t id, Fshare__Message__BodyCase body_case,
                  void *body)
{
    //  The body is a oneof of message pointers; protobuf-c's own
    //  descriptor says where each kind's pointer lives (its case is its
    //  field number), as the library finds it when packing.
    const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field (
        &fshare__message__descriptor, (unsigned) body_case);
    assert (field && field->type == PROTOBUF_C_TYPE_MESSAGE
            && (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF));
    msg->id = id;
    msg->body_case = body_case;
    *(void **) ((char *) msg + field->offset) = body;
}

fsh_err_t
fsh_msg_error_code (const Fshare__Message *msg, fsh_err_t fallback)
{
    if (msg->status != FSHARE__STATUS__STATUS_ERROR)
        return FSH_ERR_NONE;
    return fsh_err_received (msg->code, fallback);
}
