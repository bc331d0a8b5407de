/*  upload.c - the owner's role in downloads. See upload.h.

    Uploads are keyed by the broker's transfer id.
*/
#include "upload.h"
#include "source.h"
#include "chunk.h"
#include "idtable.h"
#include "ratelog.h"
#include <sys/resource.h>

//  Uploads at once: a broker asks for at most its --max-serving (at most
//  4096), but the agent's descriptors bound it first: each upload holds
//  its file open, and libzmq aborts the whole process when it cannot
//  accept a connection (a ctl's) for want of one. Half of what the
//  descriptor limit leaves beyond a reserve for everything else.
#define UPLOADS_MAX         4096
#define UPLOADS_MIN         16
#define FD_RESERVE          256

typedef struct {
    uint64_t id;                //  the broker's transfer id (key)
    source_t *source;
    char *path;
    char *requester;
    uint64_t credit;            //  bytes we may still send
    bool ready;                 //  resume prefix hashed
    bool sent_last;             //  waiting for Done
    bool credited;              //  some credit came: the requester is past checking
    bool known;                 //  served from the digest database
    int64_t started;
    int64_t heard;              //  last Credit, or since we wait for one
} upload_t;

struct _uploads_t {
    tlink_t *link;
    char *host_dir;
    zhashx_t *table;            //  &id -> upload_t
    digestdb_t *digests;        //  read-only; NULL: hash while reading
    zhashx_t *distrusted;       //  versions a requester found corrupted
    uploads_corrupted_fn *corrupted;
    void *corrupted_arg;
    fileset_t *published;       //  not owned; NULL: any file beneath host_dir
    size_t max;                 //  uploads at once (UPLOADS_MAX)
    fsh_ratelog_t *ratelog;     //  refusals of a flood of Serves
    uint64_t work_turn;         //  fsh_idtable_turn's
    uint64_t strays;            //  messages for uploads we do not hold
};

//  How many uploads this process can hold open (UPLOADS_MAX).
static size_t
s_max_uploads (void)
{
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) == -1 || limit.rlim_cur == RLIM_INFINITY)
        return UPLOADS_MAX;
    rlim_t spare = limit.rlim_cur > FD_RESERVE? (limit.rlim_cur - FD_RESERVE) / 2: 0;
    if (spare < UPLOADS_MIN)
        return UPLOADS_MIN;
    return spare < UPLOADS_MAX? (size_t) spare: UPLOADS_MAX;
}

static void
s_upload_destroy (void **item_p)
{
    upload_t *upload = (upload_t *) *item_p;
    if (upload) {
        source_destroy (&upload->source);
        free (upload->path);
        free (upload->requester);
        free (upload);
        *item_p = NULL;
    }
}

uploads_t *
uploads_new (tlink_t *link, const char *host_dir)
{
    uploads_t *self = (uploads_t *) zmalloc (sizeof (uploads_t));
    self->link = link;
    self->host_dir = strdup (host_dir);
    self->table = fsh_idtable_new (s_upload_destroy);
    self->max = s_max_uploads ();
    self->ratelog = fsh_ratelog_new (5);
    return self;
}

void
uploads_destroy (uploads_t **self_p)
{
    if (*self_p) {
        uploads_t *self = *self_p;
        zhashx_destroy (&self->table);
        zhashx_destroy (&self->distrusted);
        digestdb_destroy (&self->digests);
        fsh_ratelog_destroy (&self->ratelog);
        free (self->host_dir);
        free (self);
        *self_p = NULL;
    }
}

void
uploads_set_digests (uploads_t *self, const char *db_path)
{
    digestdb_destroy (&self->digests);
    self->digests = db_path? digestdb_open_reader (db_path): NULL;
}

//  A version's key as text, for the distrusted set.
static char *
s_version (const file_key_t *key)
{
    return zsys_sprintf ("%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRId64 ":%" PRId64,
                         key->dev, key->ino, key->size, key->mtime_ns, key->ctime_ns);
}

//  Serve from the database's digest when it has this very version.
static void
s_use_known (uploads_t *self, upload_t *upload)
{
    if (!self->digests)
        return;
    file_key_t key;
    source_key (upload->source, &key);
    char *version = s_version (&key);
    bool distrusted = self->distrusted && zhashx_lookup (self->distrusted, version);
    zstr_free (&version);
    uint8_t sha256 [DIGEST_SIZE];
    if (!distrusted && digestdb_lookup (self->digests, &key, sha256)) {
        source_use_digest (upload->source, sha256);
        upload->known = true;
    }
}

//  The requester found what we served from the database corrupted: never
//  trust the database for that version again (hash while reading).
static void
s_distrust (uploads_t *self, upload_t *upload)
{
    if (!self->distrusted)
        self->distrusted = zhashx_new ();
    file_key_t key;
    source_key (upload->source, &key);
    char *version = s_version (&key);
    zhashx_update (self->distrusted, version, self);
    zstr_free (&version);
    zsys_warning ("%s: '%s' arrived corrupted from its known digest: hashing it from now on",
                  self->link->user, upload->path);
}

void
uploads_set_published (uploads_t *self, fileset_t *files)
{
    assert (self);
    self->published = files;
}

void
uploads_on_corrupted (uploads_t *self, uploads_corrupted_fn *fn, void *arg)
{
    self->corrupted = fn;
    self->corrupted_arg = arg;
}

size_t
uploads_size (uploads_t *self)
{
    return zhashx_size (self->table);
}

static void
s_upload_end (uploads_t *self, upload_t *upload, fsh_err_t code, const char *reason,
              bool tell_broker)
{
    if (!reason)
        reason = fsh_err_text (code);
    if (tell_broker)
        tlink_cancel (self->link, upload->id, code, reason);
    zsys_warning ("%s: serving '%s' to %s stopped after %" PRIu64 " bytes: %s",
                  self->link->user, upload->path, upload->requester,
                  source_position (upload->source) - source_offset (upload->source), reason);
    zhashx_delete (self->table, &upload->id);
}

//  Send chunks while the credit lasts. Chunk data is read straight into
//  the zmq message that carries it: no copy on our side.
static void
s_upload_send (uploads_t *self, upload_t *upload)
{
    tlink_t *link = self->link;
    while (upload->ready && !upload->sent_last && link->dealer) {
        uint64_t left = source_size (upload->source) - source_position (upload->source);
        size_t size = left < link->chunk? (size_t) left: link->chunk;
        if (size > upload->credit)
            size = (size_t) upload->credit;
        if (upload->credit == 0 || (size == 0 && left > 0))
            return;
        zmq_msg_t data;
        zmq_msg_init_size (&data, size);
        uint64_t offset = source_position (upload->source);
        bool last = false;
        char *error = NULL;
        if (source_read (upload->source, zmq_msg_data (&data), size, &last, &error) < 0) {
            zmq_msg_close (&data);
            s_upload_end (self, upload, source_code (upload->source), error, true);
            zstr_free (&error);
            return;
        }
        Fshare__Chunk chunk = FSHARE__CHUNK__INIT;
        chunk.transfer = upload->id;
        chunk.offset = offset;
        chunk.last = last;
        if (last) {
            chunk.sha256.data = (uint8_t *) source_digest (upload->source);
            chunk.sha256.len = DIGEST_SIZE;
        }
        Fshare__Message msg = FSHARE__MESSAGE__INIT;
        fsh_msg_set_body (&msg, 0, FSHARE__MESSAGE__BODY_CHUNK, &chunk);
        msg.session = link->session;
        if (fsh_chunk_send (&msg, link->dealer, NULL, 0, &data) == -1) {
            //  The broker is not taking our messages: it will end this
            //  transfer (or our session) itself
            char *why = zsys_sprintf ("cannot send to the broker: %s", zmq_strerror (errno));
            s_upload_end (self, upload, FSH_ERR_BROKER_UNREACHABLE, why, false);
            zstr_free (&why);
            return;
        }
        upload->credit -= size;
        upload->sent_last = last;
        if (last)
            upload->heard = zclock_mono ();     //  the Done is owed from now
    }
}

static void
s_on_serve (uploads_t *self, Fshare__Serve *serve)
{
    if (zhashx_lookup (self->table, &serve->transfer))
        return;                 //  a duplicate: the first one stands
    const char *requester = fsh_text_valid (serve->requester, FSH_USER_MAX)?
                            serve->requester: "(someone)";
    if (zhashx_size (self->table) >= self->max) {
        fsh_ratelog_warning (self->ratelog, self->link->user, "refused to serve %s: already "
                             "serving %zu transfers", requester, zhashx_size (self->table));
        tlink_cancel (self->link, serve->transfer, FSH_ERR_OWNER_BUSY, NULL);
        return;
    }
    char *error = NULL;
    source_t *source = source_new (self->host_dir, serve->path, serve->offset,
                                   serve->expect_size, serve->expect_mtime, &error);
    if (!source) {
        zsys_warning ("%s: cannot serve '%s' to %s: %s", self->link->user,
                      fsh_text_valid (serve->path, FSH_PATH_MAX)? serve->path: "(invalid)",
                      requester, error);
        tlink_cancel (self->link, serve->transfer, FSH_ERR_UNREADABLE, error);
        zstr_free (&error);
        return;
    }
    //  Only what we publish leaves: a broker that asks for an ignored or
    //  never-published file (a broker we should not trust) gets nothing.
    //  Checked once the file is open, so that a link swapped in is refused
    //  as such, whichever the agent noticed first
    if (self->published && !fileset_lookup (self->published, serve->path)) {
        zsys_warning ("%s: the broker asked for '%s' for %s, which is not published",
                      self->link->user, serve->path, requester);
        source_destroy (&source);
        tlink_cancel (self->link, serve->transfer, FSH_ERR_UNKNOWN_FILE, "not published");
        return;
    }
    upload_t *upload = (upload_t *) zmalloc (sizeof (upload_t));
    upload->id = serve->transfer;
    upload->source = source;
    upload->path = strdup (serve->path);
    upload->requester = strdup (requester);
    upload->started = zclock_mono ();
    upload->heard = upload->started;
    s_use_known (self, upload);
    upload->ready = source_offset (source) == 0 || upload->known;
    zhashx_insert (self->table, &upload->id, upload);

    Fshare__Opened opened = FSHARE__OPENED__INIT;
    opened.transfer = upload->id;
    opened.size = source_size (source);
    opened.mtime = source_mtime (source);
    opened.offset = source_offset (source);
    opened.mode = source_mode (source);
    if (upload->known) {
        opened.sha256.data = (uint8_t *) source_digest (source);
        opened.sha256.len = DIGEST_SIZE;
    }
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&reply, 0, FSHARE__MESSAGE__BODY_OPENED, &opened);
    tlink_send (self->link, &reply);
    zsys_info ("%s: serving '%s' to %s: %" PRIu64 " bytes%s%s", self->link->user, upload->path,
               upload->requester, opened.size, opened.offset? " (resumed)": "",
               upload->known? " (known digest)": "");
}

static void
s_on_done (uploads_t *self, upload_t *upload)
{
    double seconds = tlink_seconds_since (upload->started);
    uint64_t bytes = source_size (upload->source) - source_offset (upload->source);
    zsys_info ("%s: served '%s' to %s: %" PRIu64 " bytes in %.3f s (%.1f MB/s)",
               self->link->user, upload->path, upload->requester, bytes, seconds,
               tlink_rate (bytes, seconds));
    zhashx_delete (self->table, &upload->id);
}

void
uploads_on_message (uploads_t *self, Fshare__Message *msg)
{
    if (msg->body_case == FSHARE__MESSAGE__BODY_SERVE) {
        s_on_serve (self, msg->serve);
        return;
    }
    uint64_t id = msg->body_case == FSHARE__MESSAGE__BODY_CREDIT? msg->credit->transfer
                : msg->body_case == FSHARE__MESSAGE__BODY_DONE? msg->done->transfer
                : msg->cancel->transfer;
    upload_t *upload = (upload_t *) zhashx_lookup (self->table, &id);
    if (!upload) {
        //  Crossed our own end of it (normal), or the broker is confused:
        //  counted, said under -v, and nothing else is touched
        self->strays++;
        zsys_debug ("%s: %s for transfer %" PRIu64 ", not an upload of ours: dropped "
                    "(%" PRIu64 " such so far)", self->link->user, fsh_msg_kind (msg), id,
                    self->strays);
        return;
    }
    if (msg->body_case == FSHARE__MESSAGE__BODY_CREDIT) {
        upload->heard = zclock_mono ();
        upload->credit += msg->credit->bytes;
        upload->credited |= msg->credit->bytes > 0;
        s_upload_send (self, upload);
    }
    else
    if (msg->body_case == FSHARE__MESSAGE__BODY_DONE)
        s_on_done (self, upload);
    else {
        fsh_err_t code = fsh_err_received (msg->cancel->code, FSH_ERR_CANCELLED);
        const char *reason = fsh_text_valid (msg->cancel->reason, 512)?
                             msg->cancel->reason: fsh_err_text (code);
        //  Only a digest taken from the database is suspect (one computed
        //  while reading is the file's own), and once a version is
        //  distrusted it is never served from the database again: a
        //  requester crying 'corrupted' cannot make us re-read a file more
        //  than once per version
        if (code == FSH_ERR_CORRUPTED && upload->known) {
            s_distrust (self, upload);
            if (self->corrupted)
                self->corrupted (self->corrupted_arg, upload->path);
        }
        s_upload_end (self, upload, code, reason, false);
    }
}

void
uploads_on_malformed (uploads_t *self, Fshare__Message *msg)
{
    const char *reason = "protocol error: a malformed message from the broker";
    if (msg->body_case == FSHARE__MESSAGE__BODY_SERVE) {
        //  Never started here: the broker is told, and frees its slot
        tlink_cancel (self->link, msg->serve->transfer, FSH_ERR_PROTOCOL_ERROR, reason);
        return;
    }
    uint64_t id = msg->body_case == FSHARE__MESSAGE__BODY_CREDIT? msg->credit->transfer
                : msg->body_case == FSHARE__MESSAGE__BODY_DONE? msg->done->transfer
                : msg->cancel->transfer;
    upload_t *upload = (upload_t *) zhashx_lookup (self->table, &id);
    if (upload)
        s_upload_end (self, upload, FSH_ERR_PROTOCOL_ERROR, reason, true);
}

bool
uploads_pending (uploads_t *self)
{
    for (upload_t *upload = (upload_t *) zhashx_first (self->table); upload;
         upload = (upload_t *) zhashx_next (self->table))
        if (!upload->ready)
            return true;
    return false;
}

static bool
s_wants_work (void *item)
{
    return !((upload_t *) item)->ready;
}

bool
uploads_work (uploads_t *self, uint8_t *buf, size_t buf_size, size_t budget)
{
    char *error = NULL;
    //  The turn's budget, shared out in slices (see downloads_work)
    size_t slices = budget / buf_size? budget / buf_size: 1;
    zlistx_t *list = fsh_idtable_turn (self->table, s_wants_work, slices, &self->work_turn);
    size_t slice = zlistx_size (list)? budget / zlistx_size (list): budget;
    for (upload_t *upload = (upload_t *) zlistx_first (list); upload;
         upload = (upload_t *) zlistx_next (list)) {
        int rc = source_prepare (upload->source, buf, buf_size, slice, &error);
        if (rc == -1) {
            s_upload_end (self, upload, source_code (upload->source), error, true);
            zstr_free (&error);
        }
        else
        if (rc == 1) {
            upload->ready = true;
            upload->heard = zclock_mono ();     //  we owed until now
            s_upload_send (self, upload);
        }
    }
    zlistx_destroy (&list);
    return uploads_pending (self);
}

void
uploads_tick (uploads_t *self)
{
    int64_t now = zclock_mono ();
    int64_t limit = tlink_stall_limit (self->link);
    zlistx_t *list = fsh_idtable_items (self->table);
    for (upload_t *upload = (upload_t *) zlistx_first (list); upload;
         upload = (upload_t *) zlistx_next (list)) {
        //  The clock runs only while the requester owes us credit or Done.
        //  Before its first credit it may be checking a large partial file
        //  for as long as that takes: the broker hears its "checking"
        //  credits, we do not, so until then the broker's clock decides
        //  (it cancels a requester that says nothing). A clock of ours
        //  ended a slow check on a loaded machine.
        bool owed = upload->ready && upload->credited
                 && (upload->credit == 0 || upload->sent_last);
        if (owed && now - upload->heard > limit)
            s_upload_end (self, upload, FSH_ERR_STALLED, "requester stalled", true);
    }
    zlistx_destroy (&list);
}

void
uploads_pause (uploads_t *self, int64_t ms)
{
    zlistx_t *list = fsh_idtable_items (self->table);
    for (upload_t *upload = (upload_t *) zlistx_first (list); upload;
         upload = (upload_t *) zlistx_next (list))
        upload->heard += ms;
    zlistx_destroy (&list);
}

void
uploads_end_all (uploads_t *self, fsh_err_t code, const char *reason)
{
    zlistx_t *list = fsh_idtable_items (self->table);
    for (upload_t *upload = (upload_t *) zlistx_first (list); upload;
         upload = (upload_t *) zlistx_next (list))
        s_upload_end (self, upload, code, reason, false);
    zlistx_destroy (&list);
}
