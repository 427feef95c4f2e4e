// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "qct",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "qct", targets: ["qct"]),
        .library(name: "QCTCore", targets: ["QCTCore"]),
        .library(name: "QCTDICOM", targets: ["QCTDICOM"]),
        .library(name: "QCTPhysics", targets: ["QCTPhysics"]),
        .library(name: "QCTPhantoms", targets: ["QCTPhantoms"]),
        .library(name: "QCTCalibration", targets: ["QCTCalibration"]),
        .library(name: "QCTStatistics", targets: ["QCTStatistics"]),
        .library(name: "QCTQualityControl", targets: ["QCTQualityControl"]),
        .library(name: "QCTSimulator", targets: ["QCTSimulator"]),
        .library(name: "QCTExport", targets: ["QCTExport"]),
        .library(name: "QCTReport", targets: ["QCTReport"]),
        .library(name: "QCTPatient", targets: ["QCTPatient"]),
        .library(name: "QCTStorage", targets: ["QCTStorage"]),
        .library(name: "QCTPostgres", targets: ["QCTPostgres"]),
        .library(name: "QCTWorkflows", targets: ["QCTWorkflows"]),
        .library(name: "QCTNode", targets: ["QCTNode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // DCMTK and OpenJPEG, found through pkg-config; the only place their headers appear.
        .systemLibrary(
            name: "CDCMTK",
            pkgConfig: "dcmtk",
            providers: [.apt(["libdcmtk-dev"])]
        ),
        .systemLibrary(name: "COpenJPEG", pkgConfig: "libopenjp2", providers: [.apt(["libopenjp2-7-dev"])]),
        .target(
            name: "CDCMTKShim",
            dependencies: ["CDCMTK", "COpenJPEG"],
            cxxSettings: [.unsafeFlags(["-std=c++17", "-O2"])],
            linkerSettings: [
                .linkedLibrary("dcmdata"), .linkedLibrary("oflog"), .linkedLibrary("ofstd"),
                .linkedLibrary("dcmimgle"), .linkedLibrary("dcmjpeg"), .linkedLibrary("dcmjpls"), .linkedLibrary("dcmnet"),
                .linkedLibrary("stdc++"),
            ]
        ),
        // zlib, for PNG.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libdeflate, for the deflate of .nii.gz (about twice zlib's speed at the same level).
        .systemLibrary(name: "CLibdeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .target(name: "QCTCore"),
        .target(name: "QCTDICOM", dependencies: ["QCTCore", "CDCMTKShim"]),
        .target(name: "QCTPhysics"),
        .target(name: "QCTPhantoms", dependencies: ["QCTCore", "QCTPhysics"]),
        .target(name: "QCTCalibration", dependencies: ["QCTCore", "QCTPhantoms", "QCTStatistics"]),
        .target(name: "QCTSimulator", dependencies: ["QCTCore", "QCTPhysics", "QCTPhantoms", "QCTCalibration", "QCTDICOM", "QCTStatistics"]),
        .target(name: "QCTExport", dependencies: ["QCTCore", "CZlib", "CLibdeflate"]),
        .target(name: "QCTStatistics"),
        .target(name: "QCTPatient", dependencies: ["QCTCore", "QCTPhysics", "QCTPhantoms", "QCTStatistics", "QCTCalibration"]),
        .target(name: "QCTReport", dependencies: ["QCTCore", "QCTCalibration", "QCTStatistics", "QCTQualityControl", "QCTExport"]),
        .target(name: "QCTQualityControl", dependencies: ["QCTCore", "QCTStatistics"]),
        .target(name: "QCTStorage", dependencies: ["QCTQualityControl", "QCTStatistics", .product(name: "GRDB", package: "GRDB.swift"),
                                                 .product(name: "Crypto", package: "swift-crypto")]),
        // The history on a PostgreSQL server (postgres-nio), for a network of sites.
        .target(name: "QCTPostgres", dependencies: ["QCTStorage", "QCTQualityControl",
                                                   .product(name: "PostgresNIO", package: "postgres-nio"),
                                                   .product(name: "NIOCore", package: "swift-nio"),
                                                   .product(name: "NIOPosix", package: "swift-nio"),
                                                   .product(name: "NIOSSL", package: "swift-nio-ssl"),
                                                   .product(name: "Logging", package: "swift-log")]),
        // The application layer: workflows every front end calls.
        .target(name: "QCTWorkflows", dependencies: ["QCTCore", "QCTDICOM", "QCTPhantoms", "QCTCalibration", "QCTStatistics", "QCTReport", "QCTQualityControl", "QCTStorage", "QCTPostgres", "QCTSimulator", "QCTExport", "QCTPatient"]),
        // The QC node: DICOM reception, the inbox and its analysis, on the application layer.
        .target(name: "QCTNode", dependencies: ["QCTWorkflows", .product(name: "Logging", package: "swift-log"),
                                               .product(name: "Metrics", package: "swift-metrics"),
                                               .product(name: "TOMLKit", package: "TOMLKit"),
                                               .product(name: "Crypto", package: "swift-crypto")]),
        // The node's HTTP front end (Hummingbird 2): dashboard pages and the JSON API.
        .target(name: "QCTServer", dependencies: ["QCTNode", .product(name: "Hummingbird", package: "hummingbird"),
                                                 .product(name: "Prometheus", package: "swift-prometheus"),
                                                 .product(name: "Metrics", package: "swift-metrics"),
                                               .product(name: "TOMLKit", package: "TOMLKit"),
                                               .product(name: "Crypto", package: "swift-crypto")]),
        .executableTarget(
            name: "qct",
            dependencies: [
                "QCTWorkflows",
                "QCTPatient",
                "QCTNode",
                "QCTServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer harnesses above the shim (make fuzz); without -DQCT_FUZZ, a replay tool.
        .executableTarget(name: "qct-fuzz", dependencies: ["QCTWorkflows"], path: "Fuzz/Targets"),
        .executableTarget(name: "qct-bench", dependencies: ["QCTCore", "QCTDICOM", "QCTPhantoms", "QCTSimulator", "QCTCalibration", "QCTWorkflows",
                                                         "QCTPostgres"]),
        // Repository root, fixture cache and the tool runner, shared by the test targets.
        .target(name: "QCTTestSupport", path: "Tests/QCTTestSupport"),
        .testTarget(name: "QCTCoreTests", dependencies: ["QCTCore", "QCTExport"]),
        .testTarget(name: "QCTDICOMTests", dependencies: ["QCTCore", "QCTDICOM", "QCTTestSupport"]),
        .testTarget(name: "QCTEndToEndTests", dependencies: ["QCTCore", "QCTTestSupport"]),
        .testTarget(name: "QCTCalibrationTests", dependencies: ["QCTCalibration", "QCTStatistics", "QCTCore", "QCTPhantoms", "QCTTestSupport"]),
        .testTarget(name: "QCTStatisticsTests", dependencies: ["QCTStatistics"]),
        .testTarget(name: "QCTPatientTests", dependencies: ["QCTPatient", "QCTPhantoms", "QCTPhysics", "QCTTestSupport"]),
        .testTarget(name: "QCTSimulatorTests", dependencies: ["QCTSimulator", "QCTPhantoms", "QCTPhysics", "QCTDICOM", "QCTTestSupport"]),
        .testTarget(name: "QCTQualityControlTests", dependencies: ["QCTCore", "QCTQualityControl", "QCTStatistics", "QCTStorage", "QCTPostgres", "QCTTestSupport"]),
        .testTarget(name: "QCTNodeTests", dependencies: ["QCTNode"]),
        .testTarget(name: "QCTWorkflowsTests", dependencies: ["QCTWorkflows", "QCTQualityControl", "QCTStorage", "QCTPhantoms", "QCTSimulator",
                                                            "QCTReport", "QCTStatistics", "QCTDICOM", "QCTPatient", "QCTTestSupport"]),
    ],
    cxxLanguageStandard: .cxx17
)
