#!/usr/bin/env bash
# install-admin.sh ARCHIVE [DEST] unpacks a kinto-admin release archive
# (kinto-admin-release.tar from the project's GitHub releases, or a .zip
# or .tar.gz of a build) into DEST, default bin/admin beside bin/kinto:
# the folder the admin plugin serves at /v1/admin/ when admin_assets_path
# is not set. The project ships no copy of kinto-admin; download the
# archive yourself. DEST's previous content is replaced.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 ARCHIVE [DEST]" >&2
	exit 2
fi
archive=$1
dest=${2:-bin/admin}
if [ ! -f "$archive" ]; then
	echo "install-admin: $archive: no such file" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
case "$archive" in
*.zip) unzip -q "$archive" -d "$tmp" ;;
*) tar -xf "$archive" -C "$tmp" ;;
esac
# A build may sit at the top of the archive or in one folder.
root=$tmp
if [ ! -f "$root/index.html" ]; then
	found=$(find "$tmp" -maxdepth 3 -name index.html -print -quit)
	if [ -z "$found" ]; then
		echo "install-admin: $archive holds no index.html: not a kinto-admin build" >&2
		exit 1
	fi
	root=$(dirname "$found")
fi
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
cp -R "$root" "$dest"
echo "install-admin: kinto-admin $(cat "$dest/VERSION" 2>/dev/null || echo '(no VERSION)') installed in $dest"
