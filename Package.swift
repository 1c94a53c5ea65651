// swift-tools-version:5.9
import PackageDescription

let package = Package(
    name: "Unroll",
    products: [
        .library(name: "RNNEngine", targets: ["RNNEngine"]),
        // The readers of experiment files and .npy/.npz arrays (the fuzz targets in fuzz/ link it).
        .library(name: "Experiment", targets: ["Experiment"]),
        .executable(name: "unroll", targets: ["unroll"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        // The .onnx model-file reader's protobuf decoding (the generated code is committed: Sources/Experiment/ONNXProto).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // Matrix and activation kernels in C: packed, register-blocked, AVX2/FMA or AVX-512 chosen at run time.
        // No unsafe flags (they would make the library products unusable as a dependency): the vector paths
        // take their instruction sets from target attributes in the sources, and SwiftPM's own optimization
        // level applies (-O2 in release builds, -O0 in debug ones; .ci/run passes -Xcc -O3 to keep the test
        // suite's kernels fast).
        .target(
            name: "CRNNKernels",
            linkerSettings: [.linkedLibrary("pthread"), .linkedLibrary("m")]
        ),
        // tf.nn.dynamic_rnn in Swift: tensors, nests, cells, the unrolled loop and its frames. No I/O, no terminal.
        .target(
            name: "RNNEngine",
            dependencies: ["CRNNKernels"]
        ),
        // Raw-deflate decompression in bounded pieces (zlib), for reading untrusted .npz archives.
        .target(name: "CZipInflate", linkerSettings: [.linkedLibrary("z")]),
        // Experiment files (JSON) and .npy/.npz arrays, turned into engine values.
        .target(
            name: "Experiment",
            dependencies: ["RNNEngine", "CZipInflate", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                           .product(name: "SwiftProtobuf", package: "swift-protobuf"), "CHDF5"]
        ),
        // The HDF5 C library, for Keras' .keras, .h5 and .weights.h5 files (Sources/Experiment/HDF5).
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(
            name: "CNcursesw",
            pkgConfig: "ncursesw",
            providers: [.apt(["libncursesw5-dev"])]
        ),
        // A terminal protocol, an in-memory cell grid and the ncurses backend.
        .target(name: "TerminalUI", dependencies: ["CNcursesw"]),
        // The explorer: app state, keys and panes drawn into the cell grid.
        .target(name: "Explorer", dependencies: ["RNNEngine", "Experiment", "TerminalUI"]),
        .executableTarget(
            name: "unroll",
            dependencies: [
                "RNNEngine", "Experiment", "Explorer", "TerminalUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the test targets share: the one process runner, the closeness assertions, the package's paths.
        .target(name: "TestSupport", dependencies: ["RNNEngine"], path: "Tests/TestSupport"),
        .testTarget(name: "RNNEngineTests", dependencies: ["RNNEngine", "CRNNKernels", "TestSupport"]),
        .testTarget(name: "ExperimentTests", dependencies: ["Experiment", "RNNEngine", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI", "TestSupport"]),
        .testTarget(name: "ExplorerTests", dependencies: ["Explorer", "TerminalUI", "RNNEngine", "Experiment", "TestSupport"]),
        .testTarget(name: "UnrollTests", dependencies: [
            "Experiment", "RNNEngine", "TestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ], exclude: ["Fixtures"]),
    ]
)
