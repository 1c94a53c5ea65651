import Foundation

/// The built `unroll` executable (it sits next to the test bundle), run through `ProcessRunner`.
public enum BinaryRunner {
    public static var productsDirectory: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
    }

    public static var executable: URL { productsDirectory.appendingPathComponent("unroll") }

    /// Runs `unroll ARGUMENTS` (see `ProcessRunner.run` for the options).
    public static func run(_ arguments: [String], environment: [String: String]? = nil, addressSpaceKB: Int? = nil,
                           timeout: Double? = nil) throws -> ProcessRunner.Result {
        try ProcessRunner.run([executable.path] + arguments, environment: environment, addressSpaceKB: addressSpaceKB,
                              timeout: timeout)
    }

    /// Runs `unroll ARGUMENTS` as a hostile input would meet it: under a 4 GB address-space limit (`ulimit -v`),
    /// killed after `timeout` seconds.
    public static func runLimited(_ arguments: [String], addressSpaceKB: Int = 4 * 1024 * 1024,
                                  timeout: Double = 30) throws -> ProcessRunner.Result {
        try run(arguments, addressSpaceKB: addressSpaceKB, timeout: timeout)
    }

    /// A fresh temporary directory for one test.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `RepositoryPaths.conformanceCases`.
    public static var conformanceDirectory: URL { RepositoryPaths.conformanceCases }
    /// `RepositoryPaths.gradientCases`.
    public static var gradientCasesDirectory: URL { RepositoryPaths.gradientCases }
}

/// Where the tests find the package's files.
public enum RepositoryPaths {
    /// The package root (the folder holding Package.swift).
    public static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The sample experiments (`samples/`).
    public static var samples: URL { root.appendingPathComponent("samples") }

    /// The conformance cases beside the clone (`../shared/conformance`).
    public static var sharedConformance: URL {
        root.deletingLastPathComponent().appendingPathComponent("shared/conformance")
    }

    /// TensorFlow's forward cases (`tf.nn.dynamic_rnn`).
    public static var conformanceCases: URL { sharedConformance.appendingPathComponent("cases") }

    /// TensorFlow's gradient cases (`tf.gradients` through `dynamic_rnn`).
    public static var gradientCases: URL { sharedConformance.appendingPathComponent("gradients") }

    /// Keras' and PyTorch's cases (`frameworks/`).
    public static var frameworkCases: URL { sharedConformance.appendingPathComponent("frameworks") }

    /// The project's own test fixtures (Tests/ExperimentTests/Fixtures).
    public static var fixtures: URL { root.appendingPathComponent("Tests/ExperimentTests/Fixtures") }
}
