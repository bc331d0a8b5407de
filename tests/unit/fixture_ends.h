/*  fixture_ends.h - part of fixture.h (which includes it; tests include
    fixture.h only): both ends of one download on disk, without the
    network, for test_source.c, test_sink.c and test_transfer.c: an
    owner's host directory and a requester's downloads directory under
    one temporary directory, a chunk buffer, and the agents' pump from a
    source (peer/source.c) into a sink (peer/sink.c).
*/
#ifndef FIXTURE_ENDS_H_INCLUDED
#define FIXTURE_ENDS_H_INCLUDED

#include "source.h"
#include "sink.h"

//  The buffer's size, and the chunk the pump asks for
#define FIXTURE_CHUNK (256 * 1024)

typedef struct {
    char dir [64];
    char root [96];             //  the owner's host directory
    char downloads [96];
    uint8_t *buf;               //  FIXTURE_CHUNK bytes
} fixture_ends_t;

//  A cmocka setup: dir, with root (files) and downloads in it, empty.
static inline int
fixture_ends_setup (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) zmalloc (sizeof (fixture_ends_t));
    fixture_tmpdir (fx->dir, sizeof fx->dir, "transfer");
    snprintf (fx->root, sizeof fx->root, "%s/files", fx->dir);
    snprintf (fx->downloads, sizeof fx->downloads, "%s/downloads", fx->dir);
    assert_int_equal (mkdir (fx->root, 0755), 0);
    assert_int_equal (mkdir (fx->downloads, 0755), 0);
    fx->buf = (uint8_t *) malloc (FIXTURE_CHUNK);
    *state = fx;
    return 0;
}

//  Its teardown: all removed, whatever rights a test took away.
static inline int
fixture_ends_teardown (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    fixture_rm_rf_forced (fx->dir);
    free (fx->buf);
    free (fx);
    return 0;
}

//  Runs a source into a sink, chunk by chunk, as the agents would.
//  Returns 0, or -1 with *error from whichever side failed.
static inline int
fixture_ends_pump (fixture_ends_t *fx, source_t *source, sink_t *sink, char **error)
{
    while (sink_prepare (sink, fx->buf, FIXTURE_CHUNK, FIXTURE_CHUNK, error) == 0)
        ;
    if (*error)
        return -1;
    while (source_prepare (source, fx->buf, FIXTURE_CHUNK, FIXTURE_CHUNK, error) == 0)
        ;
    if (*error)
        return -1;
    bool last = false;
    while (!last) {
        uint64_t offset = source_position (source);
        ssize_t got = source_read (source, fx->buf, FIXTURE_CHUNK, &last, error);
        if (got < 0)
            return -1;
        if (sink_write (sink, offset, fx->buf, (size_t) got, error))
            return -1;
    }
    return sink_finish (sink, source_digest (source), DIGEST_SIZE, error);
}

//  A whole download of alice's root/path into the downloads directory,
//  saved as `name`, which must succeed; returns the saved path (caller
//  frees).
static inline char *
fixture_ends_download (fixture_ends_t *fx, const char *path, const char *name)
{
    char *error = NULL;
    sink_t *sink = sink_new (fx->downloads, name, "alice", path, NULL, &(fsh_err_t) { FSH_ERR_NONE }, &error);
    assert_non_null (sink);
    source_t *source = source_new (fx->root, path, sink_offset (sink), sink_expect_size (sink),
                                   sink_expect_mtime (sink), &error);
    assert_non_null (source);
    assert_int_equal (sink_start (sink, source_size (source), source_mtime (source),
                                  source_offset (source), &error), 0);
    assert_int_equal (fixture_ends_pump (fx, source, sink, &error), 0);
    char *saved = strdup (sink_saved (sink));
    source_destroy (&source);
    sink_destroy (&sink);
    return saved;
}

//  A sink for alice's `path`, saved as `name` in the downloads directory.
static inline sink_t *
fixture_ends_sink (fixture_ends_t *fx, const char *name, const char *path)
{
    char *error = NULL;
    fsh_err_t code = FSH_ERR_NONE;
    sink_t *sink = sink_new (fx->downloads, name, "alice", path, NULL, &code, &error);
    if (!sink)
        fail_msg ("sink_new: %s", error);
    return sink;
}

//  The partial file's own name.
static inline const char *
fixture_ends_part_name (sink_t *sink)
{
    return strrchr (sink_part (sink), '/') + 1;
}

#endif
