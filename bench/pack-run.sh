#!/bin/sh
# PromptKD Studio GPU pack: times our WebGPU graphs (onnxruntime-node's WebGPU EP and the studio's
# onnxruntime-web backends, native EP and JSEP, on Dawn over Vulkan) and onnxruntime-node's CPU on
# this machine, and PyTorch's reference on the same GPU when PyTorch with CUDA is here. Needs nothing
# installed but a GPU driver with Vulkan; brings Node, onnxruntime and the Vulkan loader. Progress on
# stderr; on stdout a JSON line per part as it is measured, then the whole result as the last line.
#
#   sh run.sh [--only PATTERNS] [--budget SECONDS]      (arguments go to the bench)
#
# Vulkan driver: VK_DRIVER_FILES / VK_ICD_FILENAMES if set, else NVIDIA's ICD where the container
# puts it, else the system's ICDs. PACK_WORK sets where it unpacks (default a new folder in /tmp).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${PACK_WORK:-$(mktemp -d /tmp/promptkd-pack.XXXXXX)}
mkdir -p "$WORK"
say() { echo "[run.sh] $*" >&2; }

unxz_to() { # unxz_to FILE.xz OUT
  mkdir -p "$(dirname "$2")"
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" > "$2"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}

deb_x() { # deb_x FILE.deb DIR: the package's files, with dpkg-deb or, lacking it, Python
  mkdir -p "$2"
  if command -v dpkg-deb >/dev/null 2>&1; then dpkg-deb -x "$1" "$2"
  else python3 - "$1" "$2" <<'PY'
import io, sys, tarfile
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'!<arch>\n', 'not a .deb'
at = 8
while at < len(data):
    name, size = data[at:at + 16].decode().strip(), int(data[at + 48:at + 58])
    body = data[at + 60:at + 60 + size]
    if name.startswith('data.tar'):
        tarfile.open(fileobj=io.BytesIO(body)).extractall(sys.argv[2])
    at += 60 + size + (size & 1)
PY
  fi
}

say "unpacking into $WORK"
unxz_to "$HERE/node.xz" "$WORK/node" && chmod +x "$WORK/node"
mkdir -p "$WORK/lib"
cp "$HERE/lib/bench.mjs" "$WORK/lib/"
unxz_to "$HERE/lib/dist/linux-x64/dawn.node.xz" "$WORK/lib/dist/linux-x64/dawn.node"
for f in libonnxruntime.so.1 onnxruntime_binding.node; do
  unxz_to "$HERE/bin/napi-v6/linux/x64/$f.xz" "$WORK/bin/napi-v6/linux/x64/$f"
done
mkdir -p "$WORK/lib/ort-web"
for f in "$HERE"/lib/ort-web/*.xz; do unxz_to "$f" "$WORK/lib/ort-web/$(basename "$f" .xz)"; done
deb_x "$HERE"/libvulkan1_*.deb "$WORK/vulkan"
LOADER_DIR=$(dirname "$(find "$WORK/vulkan" -name 'libvulkan.so.1' | head -n 1)")
export LD_LIBRARY_PATH="$LOADER_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"; break; fi
  done
fi
say "Vulkan loader $LOADER_DIR; driver ${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-the system's ICDs}}"

PYTORCH_ARG=""
if [ -f "$HERE/pytorch_reference.py" ] && command -v python3 >/dev/null 2>&1 &&
   python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' >/dev/null 2>&1; then
  say "PyTorch with CUDA found: running pytorch_reference.py on the same GPU"
  if python3 "$HERE/pytorch_reference.py" > "$WORK/pytorch.json"; then PYTORCH_ARG="--pytorch $WORK/pytorch.json"
  else say "pytorch_reference.py failed; the bench goes on without it"; fi
else
  say "no PyTorch with CUDA here: no PyTorch reference in this run"
fi

# shellcheck disable=SC2086 # PYTORCH_ARG is one flag and a path without spaces, or nothing
exec "$WORK/node" "$WORK/lib/bench.mjs" $PYTORCH_ARG "$@"
