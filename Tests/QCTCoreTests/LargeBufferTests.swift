import XCTest
@testable import QCTCore

/// The pool of volume-sized buffers: a released buffer is handed to the next request of about its
/// size, never to one it would waste, and a miss unmaps what is kept before mapping anew.
final class LargeBufferTests: XCTestCase {
    override func setUp() { LargeBuffer.trim() }
    override func tearDown() { LargeBuffer.trim() }

    func testAReleasedVolumeIsReusedByTheNextOfItsSize() throws {
        #if os(Linux)
        let n = 24 << 20
        let a = LargeBuffer.allocate(byteCount: n)
        XCTAssertEqual(a.count, n)
        XCTAssertEqual(Int(bitPattern: a.baseAddress!) % (2 << 20), 0, "mapped at a 2 MiB boundary for huge pages")
        a.initializeMemory(as: UInt8.self, repeating: 7)
        LargeBuffer.deallocate(a.baseAddress!)
        XCTAssertEqual(LargeBuffer.keptByteCount, n, "the released buffer is kept")

        // A little smaller fits in it.
        let b = LargeBuffer.allocate(byteCount: n - (1 << 20))
        XCTAssertEqual(b.baseAddress, a.baseAddress)
        XCTAssertEqual(LargeBuffer.keptByteCount, 0)
        b.initializeMemory(as: UInt8.self, repeating: 9)
        XCTAssertTrue(b.allSatisfy { $0 == 9 })
        LargeBuffer.deallocate(b.baseAddress!)

        // Far smaller does not: the kept buffer is unmapped and a new one mapped.
        let c = LargeBuffer.allocate(byteCount: 10 << 20)
        XCTAssertEqual(LargeBuffer.keptByteCount, 0, "a miss unmaps what was kept")
        c.initializeMemory(as: UInt8.self, repeating: 1)
        LargeBuffer.deallocate(c.baseAddress!)
        #else
        throw XCTSkip("the pool maps memory on Linux only")
        #endif
    }

    func testAtMostTwoBuffersAreKept() {
        let buffers = (0..<3).map { k in LargeBuffer.allocate(byteCount: (10 + 4 * k) << 20) }
        for b in buffers {
            b.initializeMemory(as: UInt8.self, repeating: 3)
            LargeBuffer.deallocate(b.baseAddress!)
        }
        #if os(Linux)
        // The oldest is unmapped; the two most recent (14 and 18 MiB) are kept.
        XCTAssertEqual(LargeBuffer.keptByteCount, (14 + 18) << 20)
        #endif
        LargeBuffer.trim()
        XCTAssertEqual(LargeBuffer.keptByteCount, 0)
    }

    func testSmallBuffersComeFromMalloc() {
        let small = LargeBuffer.allocate(byteCount: 4096)
        XCTAssertEqual(small.count, 4096)
        XCTAssertEqual(Int(bitPattern: small.baseAddress!) % 64, 0)
        small.initializeMemory(as: UInt8.self, repeating: 5)
        LargeBuffer.deallocate(small.baseAddress!)
        XCTAssertEqual(LargeBuffer.keptByteCount, 0)
    }

    /// Volumes made one after another through `VoxelSamples` share the memory, and each holds the
    /// values it was made with.
    func testVoxelSamplesReuseAReleasedVolume() {
        let count = 5 << 20  // 10 MiB of Int16
        var first: VoxelSamples? = VoxelSamples.make(.int16, count: count) { raw in
            raw.bindMemory(to: Int16.self).initialize(repeating: -1000)
        }
        let address = first!.base
        XCTAssertEqual(first![count - 1], -1000)
        first = nil
        let second = VoxelSamples.make(.int16, count: count) { raw in
            let v = raw.bindMemory(to: Int16.self)
            for i in v.indices { v[i] = Int16(truncatingIfNeeded: i) }
        }
        #if os(Linux)
        XCTAssertEqual(second.base, address)
        #endif
        XCTAssertEqual(second[12345], 12345)
        XCTAssertEqual(second[count - 1], Int32(Int16(truncatingIfNeeded: count - 1)))
    }
}
