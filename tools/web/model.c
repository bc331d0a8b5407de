/*  model.c - the team's files as the agent sees them. See model.h. */
#include "model.h"
#include "webutil.h"
#include <pthread.h>

typedef struct {
    char *name;
    int64_t since;
    zhashx_t *files;        //  path -> model_file_t (owned), keyed by file->path
} model_user_t;

struct _model_t {
    pthread_mutex_t lock;
    zhashx_t *users;        //  name -> model_user_t
    zhashx_t *copies;       //  sha256 hex -> count (as a pointer-sized number)
    char *broker;
    uint64_t seq;
    uint64_t version;
    bool listed;
};

static void
s_file_destroy (void **item)
{
    model_file_t *file = (model_file_t *) *item;
    if (file) {
        free (file->path);
        free (file);
        *item = NULL;
    }
}

static void
s_user_destroy (void **item)
{
    model_user_t *user = (model_user_t *) *item;
    if (user) {
        zhashx_destroy (&user->files);
        free (user->name);
        free (user);
        *item = NULL;
    }
}

model_t *
model_new (void)
{
    model_t *self = (model_t *) zmalloc (sizeof (model_t));
    pthread_mutex_init (&self->lock, NULL);
    self->users = zhashx_new ();
    zhashx_set_destructor (self->users, s_user_destroy);
    self->copies = zhashx_new ();
    return self;
}

void
model_destroy (model_t **self_p)
{
    if (*self_p) {
        model_t *self = *self_p;
        zhashx_destroy (&self->users);
        zhashx_destroy (&self->copies);
        free (self->broker);
        pthread_mutex_destroy (&self->lock);
        free (self);
        *self_p = NULL;
    }
}

void
model_lock (model_t *self)
{
    pthread_mutex_lock (&self->lock);
}

void
model_unlock (model_t *self)
{
    pthread_mutex_unlock (&self->lock);
}

void
model_file_sha256 (const Fshare__FileInfo *file, char *hex, size_t size)
{
    if (size < 65)
        return;
    hex [0] = 0;
    const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field_by_name (
        &fshare__file_info__descriptor, "sha256");
    if (!field || field->label == PROTOBUF_C_LABEL_REPEATED)
        return;
    const char *base = (const char *) file;
    if (field->type == PROTOBUF_C_TYPE_STRING) {
        const char *text = *(char *const *) (base + field->offset);
        if (text && strlen (text) == 64 && strspn (text, "0123456789abcdef") == 64)
            memcpy (hex, text, 65);
    }
    else
    if (field->type == PROTOBUF_C_TYPE_BYTES) {
        const ProtobufCBinaryData *data = (const ProtobufCBinaryData *) (base + field->offset);
        if (data->len == 32)
            for (size_t i = 0; i < 32; i++)
                snprintf (hex + 2 * i, 3, "%02x", data->data [i]);
    }
}

static void
s_copies_add (model_t *self, const char *sha, int delta)
{
    if (!*sha)
        return;
    uintptr_t count = (uintptr_t) zhashx_lookup (self->copies, sha);
    count += delta;
    if (count == 0)
        zhashx_delete (self->copies, sha);
    else
    if (!zhashx_lookup (self->copies, sha))
        zhashx_insert (self->copies, sha, (void *) count);
    else
        zhashx_update (self->copies, sha, (void *) count);
}

size_t
model_copies (model_t *self, const char *sha256)
{
    return sha256 && *sha256? (size_t) (uintptr_t) zhashx_lookup (self->copies, sha256): 0;
}

static model_user_t *
s_user (model_t *self, const char *name, bool create)
{
    model_user_t *user = (model_user_t *) zhashx_lookup (self->users, name);
    if (user || !create)
        return user;
    user = (model_user_t *) zmalloc (sizeof (model_user_t));
    user->name = strdup (name);
    user->files = zhashx_new ();
    zhashx_set_key_duplicator (user->files, NULL);
    zhashx_set_key_destructor (user->files, NULL);
    zhashx_set_destructor (user->files, s_file_destroy);
    zhashx_insert (self->users, name, user);
    return user;
}

static void
s_user_drop (model_t *self, const char *name)
{
    model_user_t *user = s_user (self, name, false);
    if (!user)
        return;
    for (model_file_t *file = (model_file_t *) zhashx_first (user->files); file;
         file = (model_file_t *) zhashx_next (user->files))
        s_copies_add (self, file->sha256, -1);
    zhashx_delete (self->users, name);
}

void
model_reset (model_t *self, const char *broker, uint64_t seq)
{
    zhashx_purge (self->users);
    zhashx_purge (self->copies);
    free (self->broker);
    self->broker = strdup (broker? broker: "");
    self->seq = seq;
    self->listed = true;
    self->version++;
}

void
model_add_user (model_t *self, const char *user, int64_t since)
{
    s_user (self, user, true)->since = since;
    self->version++;
}

//  Adds or replaces a file; false when the file is not acceptable.
static bool
s_put (model_t *self, model_user_t *user, const Fshare__FileInfo *info)
{
    if (!info || fsh_listed_check (info))
        return false;
    model_file_t *old = (model_file_t *) zhashx_lookup (user->files, info->path);
    if (old) {
        s_copies_add (self, old->sha256, -1);
        zhashx_delete (user->files, info->path);
    }
    model_file_t *file = (model_file_t *) zmalloc (sizeof (model_file_t));
    file->path = strdup (info->path);
    const char *slash = strrchr (file->path, '/');
    file->dir_len = slash? (size_t) (slash - file->path): 0;
    file->size = info->size;
    file->mtime = info->mtime;
    model_file_sha256 (info, file->sha256, sizeof file->sha256);
    s_copies_add (self, file->sha256, 1);
    zhashx_insert (user->files, file->path, file);
    self->version++;
    return true;
}

void
model_put (model_t *self, const char *user, const Fshare__FileInfo *file)
{
    if (fsh_user_check (user))
        return;
    s_put (self, s_user (self, user, true), file);
}

static void
s_touch (model_change_t *change, const char *user, const char *path)
{
    const char *slash = strrchr (path, '/');
    char *key = zsys_sprintf ("%s:%.*s", user, slash? (int) (slash - path): 0, path);
    zhashx_update (change->groups, key, (void *) 1);
    zstr_free (&key);
}

//  Every group holding a copy of this content: its mark may have changed.
static void
s_touch_copies (model_t *self, const char *sha, model_change_t *change)
{
    if (!*sha)
        return;
    for (model_user_t *user = (model_user_t *) zhashx_first (self->users); user;
         user = (model_user_t *) zhashx_next (self->users))
        for (model_file_t *file = (model_file_t *) zhashx_first (user->files); file;
             file = (model_file_t *) zhashx_next (user->files))
            if (streq (file->sha256, sha))
                s_touch (change, user->name, file->path);
}

//  A file event: which content it had and has, so marks follow.
static void
s_file_event (model_t *self, const Fshare__Event *event, model_change_t *change)
{
    model_user_t *user = s_user (self, event->user, false);
    const Fshare__FileInfo *info = event->file;
    if (!user || !info || !info->path)
        return;
    char before [65] = "", after [65] = "";
    const char *gone = event->type == FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED? event->from
                     : event->type == FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED? info->path: NULL;
    if (gone && !fsh_path_check (gone)) {
        model_file_t *old = (model_file_t *) zhashx_lookup (user->files, gone);
        if (old) {
            strcpy (before, old->sha256);
            s_copies_add (self, old->sha256, -1);
            zhashx_delete (user->files, gone);
            s_touch (change, user->name, gone);
            change->applied = true;
            self->version++;
        }
    }
    if (event->type != FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED) {
        model_file_t *old = (model_file_t *) zhashx_lookup (user->files, info->path);
        if (old && !*before)
            strcpy (before, old->sha256);
        if (s_put (self, user, info)) {
            model_file_sha256 (info, after, sizeof after);
            s_touch (change, user->name, info->path);
            change->applied = true;
        }
    }
    //  A digest that went from one copy to two (or back) re-marks its rows
    if (strcmp (before, after)) {
        if (*before && model_copies (self, before) <= 1)
            s_touch_copies (self, before, change);
        if (*after && model_copies (self, after) == 2)
            s_touch_copies (self, after, change);
    }
}

void
model_event (model_t *self, const Fshare__Event *event, model_change_t *change)
{
    memset (change, 0, sizeof *change);
    change->groups = zhashx_new ();
    const char *broker = event->broker? event->broker: "";
    if (!self->broker || !streq (self->broker, broker)
    ||  event->seq != self->seq + 1) {
        if (self->broker && streq (self->broker, broker) && event->seq <= self->seq)
            return;             //  already in the listing
        change->gap = true;
    }
    free (self->broker);
    self->broker = strdup (broker);
    self->seq = event->seq;
    if (fsh_user_check (event->user? event->user: ""))
        return;
    switch (event->type) {
        case FSHARE__EVENT_TYPE__EVENT_JOIN: {
            if (event->page == 0)
                s_user_drop (self, event->user);
            model_user_t *user = s_user (self, event->user, true);
            user->since = event->since;
            for (size_t i = 0; i < event->n_files; i++)
                s_put (self, user, event->files [i]);
            change->applied = change->users = true;
            self->version++;
            break;
        }
        case FSHARE__EVENT_TYPE__EVENT_LEAVE:
            s_user_drop (self, event->user);
            change->applied = change->users = true;
            self->version++;
            break;
        case FSHARE__EVENT_TYPE__EVENT_FILE_ADDED:
        case FSHARE__EVENT_TYPE__EVENT_FILE_CHANGED:
        case FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED:
        case FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED:
            s_file_event (self, event, change);
            break;
        default:
            break;
    }
}

uint64_t
model_version (model_t *self)
{
    return self->version;
}

bool
model_listed (model_t *self)
{
    return self->listed;
}

zlistx_t *
model_users (model_t *self)
{
    zlistx_t *names = zlistx_new ();
    zlistx_set_comparator (names, (zlistx_comparator_fn *) strcmp);
    for (model_user_t *user = (model_user_t *) zhashx_first (self->users); user;
         user = (model_user_t *) zhashx_next (self->users))
        zlistx_add_end (names, user->name);
    zlistx_sort (names);
    return names;
}

int64_t
model_user_since (model_t *self, const char *user)
{
    model_user_t *entry = s_user (self, user, false);
    return entry? entry->since: 0;
}

size_t
model_user_files (model_t *self, const char *user)
{
    model_user_t *entry = s_user (self, user, false);
    return entry? zhashx_size (entry->files): 0;
}

size_t
model_file_count (model_t *self)
{
    size_t count = 0;
    for (model_user_t *user = (model_user_t *) zhashx_first (self->users); user;
         user = (model_user_t *) zhashx_next (self->users))
        count += zhashx_size (user->files);
    return count;
}

//  Folder first, then name: a folder's files stay together.
static int
s_compare (const void *item1, const void *item2)
{
    const model_file_t *a = (const model_file_t *) item1;
    const model_file_t *b = (const model_file_t *) item2;
    size_t common = a->dir_len < b->dir_len? a->dir_len: b->dir_len;
    int rc = memcmp (a->path, b->path, common);
    if (rc == 0 && a->dir_len != b->dir_len)
        return a->dir_len < b->dir_len? -1: 1;
    if (rc)
        return rc;
    return strcmp (a->path + a->dir_len, b->path + b->dir_len);
}

static bool
s_in_dir (const model_file_t *file, const char *dir, bool below)
{
    if (!dir)
        return true;
    size_t len = strlen (dir);
    if (!below || len == 0)
        return below || (file->dir_len == len && memcmp (file->path, dir, len) == 0);
    return file->dir_len >= len && memcmp (file->path, dir, len) == 0
        && (file->dir_len == len || file->path [len] == '/');
}

static int
s_qsort_compare (const void *a, const void *b)
{
    return s_compare (*(model_file_t *const *) a, *(model_file_t *const *) b);
}

zlistx_t *
model_files (model_t *self, const char *user, const char *glob, const char *dir, bool below)
{
    zlistx_t *list = zlistx_new ();
    model_user_t *entry = s_user (self, user, false);
    if (!entry)
        return list;
    //  qsort on an array: zlistx_sort is far slower on 100,000 files
    model_file_t **files = (model_file_t **) malloc ((zhashx_size (entry->files) + 1)
                                                     * sizeof (model_file_t *));
    assert (files);
    size_t count = 0;
    for (model_file_t *file = (model_file_t *) zhashx_first (entry->files); file;
         file = (model_file_t *) zhashx_next (entry->files))
        if (s_in_dir (file, dir, below) && web_glob_match (glob, file->path))
            files [count++] = file;
    qsort (files, count, sizeof (model_file_t *), s_qsort_compare);
    for (size_t i = 0; i < count; i++)
        zlistx_add_end (list, files [i]);
    free (files);
    return list;
}

model_file_t *
model_find (model_t *self, const char *user, const char *path)
{
    model_user_t *entry = s_user (self, user, false);
    return entry? (model_file_t *) zhashx_lookup (entry->files, path): NULL;
}
