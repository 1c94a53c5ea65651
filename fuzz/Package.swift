// swift-tools-version:5.9
// libFuzzer targets for Unroll's readers of untrusted files. Not part of the main package: build and run them
// with scripts/fuzz.sh (it passes -sanitize=fuzzer,address). `swift build` / `swift test` at the top never need this.
import PackageDescription

let package = Package(
    name: "UnrollFuzz",
    dependencies: [.package(name: "Unroll", path: "..")],
    targets: [
        // libFuzzer's driver entered from a target's main: the one call every target's main.swift makes.
        .target(name: "FuzzDriver"),
        // The .npy reader: header (magic, version, length, Python dict literal) and elements.
        .executableTarget(name: "FuzzNpy", dependencies: ["FuzzDriver", .product(name: "Experiment", package: "Unroll")]),
        // The .npz reader: zip directory, local headers, stored/deflated entries, the .npy inside.
        .executableTarget(name: "FuzzNpz", dependencies: ["FuzzDriver", .product(name: "Experiment", package: "Unroll")]),
        // The .onnx model-file reader: protobuf, the node, its attributes and initializers (external data too).
        .executableTarget(name: "FuzzOnnx", dependencies: ["FuzzDriver", .product(name: "Experiment", package: "Unroll")]),
        // The Keras readers: a .keras zip, a legacy .h5 model and a .weights.h5 through libhdf5 (Sources/Experiment/HDF5).
        .executableTarget(name: "FuzzKeras", dependencies: ["FuzzDriver", .product(name: "Experiment", package: "Unroll")]),
        // The restricted unpickler of a torch.save file's data.pkl (wrapped in its zip), its tensors and module inference.
        .executableTarget(name: "FuzzPickle", dependencies: ["FuzzDriver", .product(name: "Experiment", package: "Unroll")]),
        // The .safetensors reader: header length, JSON header, offsets, reads, module inference.
        .executableTarget(name: "FuzzSafetensors", dependencies: ["FuzzDriver", .product(name: "Experiment", package: "Unroll")]),
        // The experiment loader: the JSON file, then the arrays it names (samples' and conformance .npz files).
        .executableTarget(name: "FuzzExperiment", dependencies: [
            "FuzzDriver", .product(name: "Experiment", package: "Unroll"), .product(name: "RNNEngine", package: "Unroll"),
        ]),
    ]
)
