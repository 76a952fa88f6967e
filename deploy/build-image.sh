#!/usr/bin/env bash
# make image: build the CPU image here and tag it localhost/vernissage:dev, with no registry in reach.
# With BASE unset it uses (or first makes) localhost/debian-base:bookworm, a Debian made with debootstrap;
# the local CPU torch wheel (pip's find-links) is copied into the build context when there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
TAG=${TAG:-localhost/vernissage:dev}
STORAGE=(--storage-driver "${BUILDAH_STORAGE_DRIVER:-vfs}")

for tool in buildah debootstrap; do
  command -v "$tool" >/dev/null || { echo "image: $tool is missing (apt-get install -y $tool)" >&2; exit 1; }
done

if [ -z "${BASE:-}" ]; then
  BASE=localhost/debian-base:bookworm
  if ! buildah "${STORAGE[@]}" inspect --type image "$BASE" >/dev/null 2>&1; then
    echo "image: making the Debian base $BASE with debootstrap"
    root=$(mktemp -d)
    debootstrap --variant=minbase bookworm "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >/dev/null
    container=$(buildah "${STORAGE[@]}" from scratch)
    mount=$(buildah "${STORAGE[@]}" mount "$container")
    cp -a "$root"/. "$mount"/
    buildah "${STORAGE[@]}" umount "$container" >/dev/null
    buildah "${STORAGE[@]}" commit --quiet "$container" "$BASE" >/dev/null
    buildah "${STORAGE[@]}" rm "$container" >/dev/null
    rm -rf "$root"
  fi
fi

mkdir -p build/wheels
wheels=${PIP_FIND_LINKS:-$(pip config get global.find-links 2>/dev/null || true)}
if [ -n "$wheels" ] && ls "$wheels"/torch-2.13.0+cpu-*.whl >/dev/null 2>&1; then
  cp -u "$wheels"/torch-2.13.0+cpu-*.whl build/wheels/
fi
# Behind a proxy with its own certificate authority (pip's "cert" setting), pip in the build needs it too.
cert=${PIP_CERT:-$(pip config get global.cert 2>/dev/null || true)}
if [ -n "$cert" ] && [ -f "$cert" ]; then cp "$cert" build/ca.crt; else rm -f build/ca.crt; fi

# Where this machine reaches the package index through its own hosts file (a mirror or proxy), the build does too.
hosts=()
for name in pypi.org files.pythonhosted.org download.pytorch.org; do
  address=$(awk -v host="$name" '$0 !~ /^#/ { for (i = 2; i <= NF; i++) if ($i == host) { print $1; exit } }' /etc/hosts)
  if [ -n "$address" ]; then hosts+=(--add-host "$name:$address"); fi
done

buildah "${STORAGE[@]}" bud --isolation chroot --layers=false --build-arg "BASE=$BASE" "${hosts[@]}" \
  ${TORCH_VARIANT:+--build-arg "TORCH_VARIANT=$TORCH_VARIANT"} -f Containerfile -t "$TAG" .
echo "image: built $TAG"
