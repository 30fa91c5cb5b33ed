#!/usr/bin/env bash
# Regenerates the committed Swift code for proto/onnx_subset.proto.
#
# protoc comes from Debian's protobuf-compiler (`make deps` installs it). The
# Swift plugin is taken from $PROTOC_GEN_SWIFT, else from a swift-protobuf
# checkout already built in /tmp/swift-protobuf, else it is built here from
# the package mirror at the tag Package.swift resolves (a release build takes
# several minutes on a small machine, which is why the output is committed).
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT_PROTOBUF_TAG=1.39.0
OUT_DIR=Sources/LatheCore/Formats/ONNX/Generated

command -v protoc >/dev/null || { echo "error: protoc not found (apt-get install protobuf-compiler)" >&2; exit 1; }

plugin="${PROTOC_GEN_SWIFT:-}"
if [[ -z "$plugin" && -x /tmp/swift-protobuf/.build/release/protoc-gen-swift ]]; then
  plugin=/tmp/swift-protobuf/.build/release/protoc-gen-swift
fi
if [[ -z "$plugin" ]]; then
  src=/opt/swift-packages/apple/swift-protobuf.git
  [[ -d "$src" ]] || src=https://github.com/apple/swift-protobuf
  build_dir="$(mktemp -d)"
  trap 'rm -rf "$build_dir"' EXIT
  echo "building protoc-gen-swift $SWIFT_PROTOBUF_TAG in $build_dir"
  git clone -q --depth 1 --branch "$SWIFT_PROTOBUF_TAG" "$src" "$build_dir/swift-protobuf"
  (cd "$build_dir/swift-protobuf" && swift build -c release --product protoc-gen-swift)
  plugin="$build_dir/swift-protobuf/.build/release/protoc-gen-swift"
fi
[[ -x "$plugin" ]] || { echo "error: protoc-gen-swift not executable: $plugin" >&2; exit 1; }

mkdir -p "$OUT_DIR"
protoc --plugin=protoc-gen-swift="$plugin" \
  --swift_out="$OUT_DIR" --swift_opt=Visibility=Internal \
  --proto_path=proto proto/onnx_subset.proto
echo "wrote $OUT_DIR/onnx_subset.pb.swift ($("$plugin" --version))"
