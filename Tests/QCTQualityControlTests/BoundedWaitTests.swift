import Foundation
import NIOCore
import NIOPosix
import QCTCore
@testable import QCTPostgres
import XCTest

/// A statement whose answer never comes fails after its time, and its connection is counted lost,
/// so the store reconnects and runs the transaction again instead of hanging the node.
final class BoundedWaitTests: XCTestCase {
    func testAFutureThatNeverCompletesFailsAfterItsTimeAndRunsTheCleanUp() throws {
        let loop = PostgresHistory.eventLoops.next()
        let never = loop.makePromise(of: Int.self)
        let cleaned = Locked(false)
        let start = Date()
        XCTAssertThrowsError(try never.futureResult.wait(atMost: 0.3) { cleaned.withLock { $0 = true } }) { error in
            XCTAssertTrue(error is StatementTimedOut, "\(error)")
            XCTAssertTrue(PostgresHistory.isConnectionLoss(error), "a statement that timed out counts as a lost connection")
        }
        let waited = Date().timeIntervalSince(start)
        XCTAssertGreaterThanOrEqual(waited, 0.29)
        XCTAssertLessThan(waited, 5)
        XCTAssertTrue(cleaned.current)
        // Answered late: ignored, no second completion.
        never.succeed(1)
    }

    /// A statement on a connection that has closed: given up at the second check (0.2 s), not
    /// after the whole time.
    func testAStatementWhoseConnectionClosedIsGivenUpAtOnce() throws {
        let loop = PostgresHistory.eventLoops.next()
        let never = loop.makePromise(of: Int.self)
        let cleaned = Locked(false)
        let start = Date()
        XCTAssertThrowsError(try never.futureResult.wait(atMost: 30, abandoned: { true }) { cleaned.withLock { $0 = true } }) { error in
            XCTAssertEqual((error as? StatementTimedOut)?.connectionClosed, true, "\(error)")
            XCTAssertTrue(PostgresHistory.isConnectionLoss(error))
        }
        let waited = Date().timeIntervalSince(start)
        XCTAssertGreaterThanOrEqual(waited, 0.19)
        XCTAssertLessThan(waited, 5)
        XCTAssertTrue(cleaned.current)
        never.succeed(1)
    }

    func testAnAnswerInTimeIsReturnedAndTheCleanUpNeverRuns() throws {
        let loop = PostgresHistory.eventLoops.next()
        let cleaned = Locked(false)
        let soon = loop.scheduleTask(in: .milliseconds(50)) { 42 }.futureResult
        XCTAssertEqual(try soon.wait(atMost: 5) { cleaned.withLock { $0 = true } }, 42)
        let failing = loop.makeFailedFuture(ChannelError.ioOnClosedChannel) as EventLoopFuture<Int>
        XCTAssertThrowsError(try failing.wait(atMost: 5) { cleaned.withLock { $0 = true } }) { error in
            XCTAssertTrue(error is ChannelError, "\(error)")
        }
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertFalse(cleaned.current)
    }
}
