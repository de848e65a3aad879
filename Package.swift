// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .library(name: "SluiceKafka", targets: ["SluiceKafka"]),
        .library(name: "SluiceCore", targets: ["SluiceCore"]),
        .library(name: "SluiceRuntime", targets: ["SluiceRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
    ],
    targets: [
        // librdkafka, found through pkg-config (`make deps` writes .deps/pkgconfig/rdkafka.pc).
        .systemLibrary(name: "Crdkafka", pkgConfig: "rdkafka"),
        // jemalloc, linked into the executables for its malloc (see docs/worker.md, "Allocator").
        .systemLibrary(
            name: "Cjemalloc", pkgConfig: "jemalloc", providers: [.apt(["libjemalloc-dev"]), .brew(["jemalloc"])]),
        // The only module that sees C: producer, consumer, admin, config, errors.
        .target(
            name: "SluiceKafka",
            dependencies: ["Crdkafka", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // Pure, no I/O: graph spec model, validation, topic naming, envelope.
        .target(
            name: "SluiceCore",
            dependencies: ["Yams"],
            swiftSettings: strict
        ),
        // Node protocol, NodeContext, the worker host (consume → actor → produce → commit).
        .target(
            name: "SluiceRuntime",
            dependencies: [
                "SluiceCore", "SluiceKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "Cjemalloc", "SluiceCore", "SluiceKafka", "SluiceRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // `make bench-kafka` / `make bench`: throughput tables, Swift beside librdkafka's C tools.
        .executableTarget(
            name: "sluice-bench",
            dependencies: [
                "Cjemalloc", "SluiceKafka", "SluiceCore", "SluiceRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Broker helpers shared by the test targets (unique topics, produce/collect, known Tansu gaps).
        .target(
            name: "SluiceTestSupport",
            dependencies: ["SluiceKafka", .product(name: "Logging", package: "swift-log")],
            path: "Tests/SluiceTestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "SluiceKafkaTests", dependencies: ["SluiceKafka", "SluiceTestSupport"], swiftSettings: strict),
        // A worker executable with two custom node kinds; see examples/custom-nodes/README.md.
        .executableTarget(
            name: "sluice-example-nodes",
            dependencies: [
                "Cjemalloc", "SluiceRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "examples/custom-nodes",
            exclude: ["graph.yaml", "README.md"],
            swiftSettings: strict
        ),
        .testTarget(name: "SluiceCoreTests", dependencies: ["SluiceCore"], swiftSettings: strict),
        .testTarget(
            name: "SluiceRuntimeTests",
            dependencies: ["SluiceRuntime", "SluiceCore", "SluiceKafka", "SluiceTestSupport"],
            swiftSettings: strict
        ),
        // Whole graphs run by `sluice worker` processes (needs the built binary: SLUICE_BIN, set by `make test`).
        .testTarget(
            name: "SluiceEndToEndTests",
            dependencies: ["SluiceCore", "SluiceKafka", "SluiceRuntime", "SluiceTestSupport"],
            swiftSettings: strict
        ),
    ]
)
