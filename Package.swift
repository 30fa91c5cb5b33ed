// swift-tools-version:6.0
import Foundation
import PackageDescription

// The engine's kernels are written with SIMD8 vectors and loops the optimiser vectorises. Swift
// compiles for the architecture's baseline unless told otherwise (SSE2 on x86-64: every SIMD8 op
// split in two), so LatheCore is built for AVX2 CPUs (Haswell, 2013, and later; AMD Zen).
// LATHE_TARGET_CPU overrides it: `LATHE_TARGET_CPU=x86-64 make build` for an older CPU, or any CPU
// name clang knows. The values do not change: Swift does not fuse multiply-adds or reorder sums.
#if arch(x86_64)
let targetCPU = ProcessInfo.processInfo.environment["LATHE_TARGET_CPU"] ?? "haswell"
#else
let targetCPU = ProcessInfo.processInfo.environment["LATHE_TARGET_CPU"] ?? ""
#endif
let engineSettings: [SwiftSetting] = targetCPU.isEmpty ? [] : [.unsafeFlags(["-target-cpu", targetCPU])]
// The C kernels pick their AVX2/FMA code at compile time from the same CPU (portable C otherwise).
#if arch(x86_64)
let kernelSettings: [CSetting] = [.unsafeFlags(["-O3"] + (targetCPU.isEmpty ? [] : ["-march=\(targetCPU)"]))]
#else
let kernelSettings: [CSetting] = [.unsafeFlags(["-O3"])]
#endif

let package = Package(
    name: "Lathe",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lathe", targets: ["lathe"]),
        .library(name: "LatheCore", targets: ["LatheCore"]),
        .executable(name: "lathe-fuzz", targets: ["lathe-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw", pkgConfig: "ncursesw"),
        // OpenBLAS is opened at start-up, not linked (see Sources/CLatheBLAS/blas_loader.c).
        .target(name: "CLatheBLAS", path: "Sources/CLatheBLAS", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CLatheKernels", path: "Sources/CLatheKernels", cSettings: kernelSettings),
        .target(
            name: "LatheCore",
            dependencies: [
                "CLatheBLAS",
                "CLatheKernels",
                .product(name: "Yams", package: "Yams"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: engineSettings
        ),
        .target(
            name: "LatheUI",
            dependencies: ["LatheCore", "CNcursesw", .product(name: "Yams", package: "Yams")],
            resources: [.copy("Resources/themes")]
        ),
        .executableTarget(
            name: "lathe",
            dependencies: [
                "LatheCore", "LatheUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            resources: [.copy("Resources/sample")]
        ),
        // Mutation fuzzing of the file readers: `make fuzz` runs lathe-fuzz, `make test` a short pass.
        .target(name: "LatheFuzz", dependencies: ["LatheCore"]),
        .executableTarget(name: "lathe-fuzz", dependencies: ["LatheFuzz", "LatheCore"]),
        .testTarget(name: "LatheCoreTests", dependencies: ["LatheCore", "LatheFuzz"], exclude: ["Fixtures"]),
        .testTarget(name: "LatheUITests", dependencies: ["LatheUI", "LatheCore"], exclude: ["Fixtures"]),
        .testTarget(name: "CLITests", dependencies: ["LatheCore"]),
    ],
    swiftLanguageModes: [.v6]
)
