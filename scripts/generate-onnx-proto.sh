#!/bin/sh
# Regenerates Sources/Experiment/ONNXProto/onnx.pb.swift, the Swift code for ONNX's onnx.proto that the .onnx
# model-file reader uses (swift-protobuf). The generated file is committed: building Unroll needs none of this.
#
# Where each piece comes from (the versions the committed file was made with):
# - protoc: Debian's package `protobuf-compiler` (apt-get install protobuf-compiler; 3.21.12 on Debian 12).
# - protoc-gen-swift: built from apple/swift-protobuf 1.39.0 (the version Package.swift pins) in a scratch
#   SwiftPM package, .build-protoc-gen-swift/ (gitignored by `.build*/`).
# - onnx.proto: the proto2 schema shipped inside the `onnx` wheel from PyPI, onnx 1.23.2 (the version the
#   conformance cases were built with): `pip download --no-deps onnx==1.23.2`, unzip, onnx/onnx.proto.
#
# What is generated is ModelProto and what it references: in onnx.proto that is every message (GraphProto, NodeProto,
# TensorProto, FunctionProto, TrainingInfoProto, the sharding and device-configuration messages...); only the
# top-level enums Version and OperatorStatus are not referenced, and protoc cannot leave out part of a file, so
# onnx.proto is used as shipped. The reader reads ModelProto's graph, opset_import and what they hold.
set -eu
cd "$(dirname "$0")/.."
ONNX_VERSION=1.23.2
SWIFT_PROTOBUF_VERSION=1.39.0
scratch=.build-protoc-gen-swift
command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
mkdir -p "$scratch/wheel"
cat > "$scratch/Package.swift" <<PKG
// swift-tools-version:5.9
import PackageDescription
let package = Package(name: "ProtocGenSwiftBuild", dependencies: [
    .package(url: "https://github.com/apple/swift-protobuf", exact: "$SWIFT_PROTOBUF_VERSION"),
])
PKG
(cd "$scratch" && swift build -c release --product protoc-gen-swift)
plugin="$(cd "$scratch" && swift build -c release --show-bin-path)/protoc-gen-swift"
(cd "$scratch/wheel" && rm -f onnx-*.whl && pip download --no-deps "onnx==$ONNX_VERSION" -d . >/dev/null \
    && unzip -o -q onnx-*.whl onnx/onnx.proto)
out=Sources/Experiment/ONNXProto
mkdir -p "$out"
protoc --plugin=protoc-gen-swift="$plugin" --proto_path="$scratch/wheel/onnx" \
    --swift_out="$out" --swift_opt=Visibility=Internal onnx.proto
echo "wrote $out/onnx.pb.swift from onnx $ONNX_VERSION's onnx.proto ($(protoc --version), protoc-gen-swift $SWIFT_PROTOBUF_VERSION)"
