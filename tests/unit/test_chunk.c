/*  test_chunk.c - proto/chunk: a Message and one raw data frame. The data
    is moved, never copied (the same buffer arrives), and is empty on
    return whether the send worked or not; a ROUTER's routing id goes
    first; what a receiver refuses: more than two frames, a header that
    is no Message (garbage, truncated, a NUL in a string); nothing
    waiting with ZMQ_DONTWAIT.
*/
#include "fixture.h"
#include "fshare.h"
#include "chunk.h"

static Fshare__Chunk s_chunk_body = FSHARE__CHUNK__INIT;

//  A Chunk message for transfer 5 at `offset`.
static Fshare__Message
s_chunk_msg (uint64_t offset)
{
    s_chunk_body.transfer = 5;
    s_chunk_body.offset = offset;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, 3, FSHARE__MESSAGE__BODY_CHUNK, &s_chunk_body);
    return msg;
}

static int s_freed;

static void
s_free_data (void *data, void *hint)
{
    (void) hint;
    free (data);
    s_freed++;
}

static void
s_look (zmq_msg_t *frame, void *arg)
{
    *(size_t *) arg = zmq_msg_size (frame);
}

static void
test_zero_copy (void **state)
{
    fixture_pair_t *self = (fixture_pair_t *) *state;
    size_t size = 256 * 1024;
    byte *buffer = (byte *) malloc (size);
    for (size_t i = 0; i < size; i++)
        buffer [i] = (byte) (i * 7);
    zmq_msg_t data;
    s_freed = 0;
    assert_int_equal (zmq_msg_init_data (&data, buffer, size, s_free_data, NULL), 0);
    Fshare__Message msg = s_chunk_msg (4096);
    assert_int_equal (fsh_chunk_send (&msg, self->out, NULL, 0, &data), 0);
    assert_int_equal (zmq_msg_size (&data), 0);         //  moved
    zmq_msg_close (&data);
    assert_int_equal (s_freed, 0);                      //  not ours to free now

    zmq_msg_t got;
    int frames = -1;
    size_t header_size = 0;
    Fshare__Message *copy = fsh_chunk_recv_with (self->in, 0, &got, &frames, s_look,
                                                 &header_size);
    assert_non_null (copy);
    assert_int_equal (frames, 2);
    assert_int_equal (header_size, fshare__message__get_packed_size (&msg));
    assert_int_equal (copy->id, 3);
    assert_int_equal (copy->body_case, FSHARE__MESSAGE__BODY_CHUNK);
    assert_int_equal (copy->chunk->transfer, 5);
    assert_int_equal (copy->chunk->offset, 4096);
    assert_int_equal (zmq_msg_size (&got), size);
    //  The very buffer that was sent: nobody on the way copied it
    assert_ptr_equal (zmq_msg_data (&got), buffer);
    assert_int_equal (((byte *) zmq_msg_data (&got)) [size - 1], (byte) ((size - 1) * 7));
    fsh_msg_destroy (&copy);
    zmq_msg_close (&got);
    assert_int_equal (s_freed, 1);
}

static void
test_one_frame_and_empty_data (void **state)
{
    fixture_pair_t *self = (fixture_pair_t *) *state;
    //  A single-frame Message: one frame, data initialised and empty
    Fshare__Ping ping = FSHARE__PING__INIT;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, 8, FSHARE__MESSAGE__BODY_PING, &ping);
    assert_int_equal (fsh_msg_send (&msg, self->out), 0);
    zmq_msg_t data;
    int frames = -1;
    Fshare__Message *copy = fsh_chunk_recv (self->in, 0, &data, &frames);
    assert_non_null (copy);
    assert_int_equal (frames, 1);
    assert_int_equal (copy->body_case, FSHARE__MESSAGE__BODY_PING);
    assert_int_equal (zmq_msg_size (&data), 0);
    zmq_msg_close (&data);
    fsh_msg_destroy (&copy);
    //  An empty data frame still is a second frame
    zmq_msg_init (&data);
    msg = s_chunk_msg (0);
    assert_int_equal (fsh_chunk_send (&msg, self->out, NULL, 0, &data), 0);
    copy = fsh_chunk_recv (self->in, 0, &data, &frames);
    assert_non_null (copy);
    assert_int_equal (frames, 2);
    assert_int_equal (zmq_msg_size (&data), 0);
    zmq_msg_close (&data);
    fsh_msg_destroy (&copy);
    //  Nothing waiting
    errno = 0;
    copy = fsh_chunk_recv (self->in, ZMQ_DONTWAIT, &data, &frames);
    assert_null (copy);
    assert_int_equal (frames, 0);
    assert_int_equal (zmq_errno (), EAGAIN);
    zmq_msg_close (&data);
}

//  Sends the frames as given; returns what fsh_chunk_recv made of them,
//  with the frame count in *frames. A ping follows, which must come
//  through whole (nothing of the bad message is left behind).
static bool
s_accepted (fixture_pair_t *self, zmsg_t *msg, int *frames)
{
    assert_int_equal (zmsg_send (&msg, self->out), 0);
    zmq_msg_t data;
    Fshare__Message *got = fsh_chunk_recv (self->in, 0, &data, frames);
    bool accepted = got != NULL;
    fsh_msg_destroy (&got);
    zmq_msg_close (&data);
    Fshare__Ping ping = FSHARE__PING__INIT;
    Fshare__Message after = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&after, 99, FSHARE__MESSAGE__BODY_PING, &ping);
    assert_int_equal (fsh_msg_send (&after, self->out), 0);
    int after_frames;
    got = fsh_chunk_recv (self->in, 0, &data, &after_frames);
    assert_non_null (got);
    assert_int_equal (got->id, 99);
    assert_int_equal (after_frames, 1);
    fsh_msg_destroy (&got);
    zmq_msg_close (&data);
    return accepted;
}

static void
test_refused (void **state)
{
    fixture_pair_t *self = (fixture_pair_t *) *state;
    Fshare__Message msg = s_chunk_msg (10);
    size_t size = fshare__message__get_packed_size (&msg);
    byte *header = (byte *) malloc (size);
    fshare__message__pack (&msg, header);
    int frames;
    zmsg_t *good = zmsg_new ();
    zmsg_addmem (good, header, size);
    zmsg_addstr (good, "data");
    assert_true (s_accepted (self, good, &frames));
    assert_int_equal (frames, 2);
    //  Three and more frames: refused, every frame taken off the socket
    for (int extra = 1; extra <= 3; extra++) {
        zmsg_t *more = zmsg_new ();
        zmsg_addmem (more, header, size);
        for (int i = 0; i <= extra; i++)
            zmsg_addstr (more, "data");
        assert_false (s_accepted (self, more, &frames));
        assert_int_equal (frames, 2 + extra);
    }
    //  A header cut anywhere, garbage, a NUL byte in the session string
    for (size_t cut = 1; cut < size; cut++) {
        zmsg_t *truncated = zmsg_new ();
        zmsg_addmem (truncated, header, cut);
        zmsg_addstr (truncated, "data");
        bool accepted = s_accepted (self, truncated, &frames);
        assert_int_equal (frames, 2);
        //  A cut between fields decodes (as a shorter message); inside a
        //  field, never
        if (accepted) {
            Fshare__Message *partial = fsh_msg_decode (header, cut);
            assert_non_null (partial);
            fsh_msg_destroy (&partial);
        }
    }
    zmsg_t *garbage = zmsg_new ();
    zmsg_addstr (garbage, "\xff\xff\xff\xff garbage");
    zmsg_addstr (garbage, "data");
    assert_false (s_accepted (self, garbage, &frames));
    const byte nul [] = { 2 << 3 | 2, 3, 'a', 0, 'b' };
    zmsg_t *with_nul = zmsg_new ();
    zmsg_addmem (with_nul, nul, sizeof nul);
    assert_false (s_accepted (self, with_nul, &frames));
    assert_int_equal (frames, 1);
    free (header);
}

static void
test_send_failures (void **state)
{
    (void) state;
    //  No peer: the send fails at once (never blocks) and the data is gone
    zsock_t *lonely = zsock_new (ZMQ_DEALER);
    zmq_msg_t data;
    assert_int_equal (zmq_msg_init_size (&data, 1000), 0);
    Fshare__Message msg = s_chunk_msg (0);
    errno = 0;
    assert_int_equal (fsh_chunk_send (&msg, lonely, NULL, 0, &data), -1);
    assert_int_equal (errno, EAGAIN);
    assert_int_equal (zmq_msg_size (&data), 0);
    zmq_msg_close (&data);
    zsock_destroy (&lonely);

    //  A ROUTER: the routing id goes first; an unknown one fails
    //  (ZMQ_ROUTER_MANDATORY), the data gone all the same
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_set_router_mandatory (router, 1);
    assert_int_equal (zsock_bind (router, "inproc://test-chunk-router"), 0);
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_identity (dealer, "peer-1");
    assert_int_equal (zsock_connect (dealer, "inproc://test-chunk-router"), 0);
    assert_int_equal (zmq_msg_init_size (&data, 3), 0);
    memcpy (zmq_msg_data (&data), "abc", 3);
    assert_int_equal (fsh_chunk_send (&msg, router, "peer-1", 6, &data), 0);
    int frames;
    Fshare__Message *got = fsh_chunk_recv (dealer, 0, &data, &frames);
    assert_non_null (got);
    assert_int_equal (frames, 2);
    assert_memory_equal (zmq_msg_data (&data), "abc", 3);
    fsh_msg_destroy (&got);
    zmq_msg_close (&data);
    assert_int_equal (zmq_msg_init_size (&data, 3), 0);
    errno = 0;
    assert_int_equal (fsh_chunk_send (&msg, router, "nobody", 6, &data), -1);
    assert_int_equal (errno, EHOSTUNREACH);
    assert_int_equal (zmq_msg_size (&data), 0);
    zmq_msg_close (&data);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_zero_copy, fixture_pair_setup, fixture_pair_teardown),
        cmocka_unit_test_setup_teardown (test_one_frame_and_empty_data, fixture_pair_setup, fixture_pair_teardown),
        cmocka_unit_test_setup_teardown (test_refused, fixture_pair_setup, fixture_pair_teardown),
        cmocka_unit_test (test_send_failures),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
