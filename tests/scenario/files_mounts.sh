#!/bin/bash
# files_mounts.sh - a file system mounted inside the host directory, or
# unmounted (SPEC 4.2: bob's view is what alice's disk shows under her
# host directory). inotify says nothing of a mount: a tmpfs mounted over a
# directory hides the files below it and shows its own, a bind mount
# shows another directory's files; both are published within seconds,
# what they hide is removed, files written in them later are published,
# and an unmount brings back what was hidden. It runs in a mount
# namespace of its own (unshare; as a user, with a user namespace where
# that user is root), so no mount outlives it.
# slave_here DIR: the mount holding DIR, in this namespace, takes the
# machine's mounts but gives none back (for a namespace whose propagation
# could not be made private: a chroot's / is no mount point)
slave_here() { [ -z "${FSHARE_SLAVE:-}" ] || mount --make-rslave "$(findmnt -n -o TARGET -T "$1")"; }
if [ -z "${FSHARE_UNSHARED:-}" ]; then
    build=$1
    if [ "$(id -u)" -ne 0 ]; then set -- --user --map-root-user --mount
    elif unshare --mount --propagation private true 2>/dev/null; then set -- --mount --propagation private
    else set -- --mount --propagation unchanged; export FSHARE_SLAVE=1
    fi
    # like get_disk_full: a machine that allows no mount namespace (a
    # container without CAP_SYS_ADMIN) cannot run this; said, not passed
    probe=$(mktemp -d)
    # shellcheck disable=SC2016
    if ! unshare "$@" bash -c "$(declare -f slave_here)"'; slave_here "$1" && mount -t tmpfs fshare-probe "$1"' \
            probe "$probe" 2>/dev/null; then
        rmdir "$probe"
        echo "SKIP: files_mounts: no mount namespace with mounts here (needs root or user namespaces)"
        exit 77
    fi
    rmdir "$probe"
    FSHARE_UNSHARED=1 exec unshare "$@" bash "$0" "$build"
fi
. "$(dirname "$0")/../lib.sh" "$1"
files_family
slave_here "$T" || fail "cannot keep the test's mounts in its own namespace"
mkdir "$DIR/mnt" "$DIR/bind" "$DIR/empty" "$T/outside/src"
echo under >"$DIR/mnt/under.txt"
echo b >"$T/outside/src/b.txt"
start_all
wait_until 10 sees bob alice mnt/under.txt || fail "bob does not see mnt/under.txt"
mount -t tmpfs fshare-test "$DIR/mnt" || fail "cannot mount a tmpfs (root in a container without CAP_SYS_ADMIN?)"
MOUNTED="$DIR/mnt"
at_exit 'for m in $MOUNTED; do umount "$m" 2>/dev/null; done'
echo "on tmpfs" >"$DIR/mnt/t.txt"
wait_until 10 sees bob alice mnt/t.txt || fail "bob does not see mnt/t.txt (on the tmpfs)"
same_as_disk
mount --bind "$T/outside/src" "$DIR/bind" || fail "cannot bind-mount"
MOUNTED="$MOUNTED $DIR/bind"
wait_until 10 sees bob alice bind/b.txt || fail "bob does not see bind/b.txt (bind mount)"
same_as_disk
# watched once found: a file written later is published at its close
echo "later" >"$DIR/mnt/later.txt"
echo "later" >"$DIR/bind/later.txt"
wait_until 10 sees bob alice mnt/later.txt || fail "bob does not see mnt/later.txt"
wait_until 10 sees bob alice bind/later.txt || fail "bob does not see bind/later.txt"
same_sums 10 "in the mounts"
# an empty tmpfs over an empty directory shows no file that differs, yet
# its directory needs a watch anew: a file written there later is published
mounted=$(log_count alice "was mounted or unmounted")
mount -t tmpfs fshare-empty "$DIR/empty" || fail "cannot mount a second tmpfs"
MOUNTED="$MOUNTED $DIR/empty"
wait_until 10 log_has_n alice "was mounted or unmounted" $((mounted + 1)) \
    || fail "alice did not notice the empty mount"
next_events     # once its sentinel is out, the rescan the mount asked for is done
echo e >"$DIR/empty/e.txt"
wait_until 10 sees bob alice empty/e.txt || fail "bob does not see empty/e.txt (in an empty mount)"
rm "$DIR/empty/e.txt"
wait_until 10 not_sees bob alice empty/e.txt || fail "bob still sees empty/e.txt"
umount "$DIR/empty" || fail "cannot unmount the empty tmpfs"
umount "$DIR/mnt" && umount "$DIR/bind" || fail "cannot unmount"
MOUNTED=""
wait_until 10 sees bob alice mnt/under.txt || fail "bob does not see mnt/under.txt again"
same_as_disk
same_sums 10 "unmounted"
# the directories below are watched again
echo again >"$DIR/mnt/again.txt"
wait_until 10 sees bob alice mnt/again.txt || fail "bob does not see mnt/again.txt"
same_as_disk
exit 0
