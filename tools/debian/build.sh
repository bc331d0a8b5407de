#!/bin/sh
# build.sh - the Debian package of an fshare build tree, with dpkg-deb.
#
#   sh tools/debian/build.sh [BUILD_DIR [OUT_DIR]]     (default: build build)
#
# Installs BUILD_DIR (already built) with prefix /usr into a staging root,
# stripped, adds the Debian files (control with the dependencies that
# dpkg-shlibdeps finds in the binaries, conffiles, md5sums, maintainer
# scripts, copyright, changelog) and writes OUT_DIR/fshare_VERSION_ARCH.deb.
# Prints the package's path. No root needed (dpkg-deb --root-owner-group).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
out=$(mkdir -p "${2:-$build}" && cd "${2:-$build}" && pwd)

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[ -n "$version" ] || { echo "build.sh: no project version in $build/CMakeCache.txt" >&2; exit 1; }
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/root
DESTDIR=$stage cmake --install "$build" --prefix /usr --strip >/dev/null

# Debian ships manual pages compressed
find "$stage/usr/share/man" -type f -name '*.[0-9]' -exec gzip -9n {} +

# Debian's documentation files
doc=$stage/usr/share/doc/fshare
install -m 0644 "$here/copyright" "$doc/copyright"
date=$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$date/" "$here/changelog.in" \
    | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

# Dependencies from the binaries: dpkg-shlibdeps wants a debian/control
mkdir "$work/debian"
printf 'Source: fshare\n\nPackage: fshare\nArchitecture: any\n' >"$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O $(for f in "$stage"/usr/bin/*; do printf -- '-e%s ' "$f"; done) \
         2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "build.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

mkdir -p "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
    -e "s/@SHLIBS@/$shlibs/" "$here/control.in" >"$stage/DEBIAN/control"
(cd "$stage" && find etc -type f | sed 's|^|/|') >"$stage/DEBIAN/conffiles"
(cd "$stage" && find usr -type f -exec md5sum {} + | sort -k2) >"$stage/DEBIAN/md5sums"
for script in postinst prerm postrm; do
    install -m 0755 "$here/$script" "$stage/DEBIAN/$script"
done
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"
# Directories 0755 and files 0644/0755 whatever the umask was
find "$stage" -type d -exec chmod 0755 {} +

deb=$out/fshare_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
