import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Background work posts messages that the update loop applies; time is the injected clock's.
final class BackgroundJobTests: ExplorerAppTestCase {
    /// Progress is queued once until taken, other messages in order; taking empties the queue.
    func testMailboxKeepsOrderAndQueuesProgressOnce() {
        let mailbox = Mailbox()
        mailbox.post(.progress)
        mailbox.post(.progress)
        mailbox.post(.forwardDone)
        mailbox.post(.progress)
        mailbox.post(.sweepDone)
        let names = mailbox.take().map { m -> String in
            switch m {
            case .progress: return "progress"
            case .forwardDone: return "forwardDone"
            case .sweepDone: return "sweepDone"
            case .compared: return "compared"
            case .opened: return "opened"
            case .openedBeside: return "openedBeside"
            }
        }
        XCTAssertEqual(names, ["progress", "forwardDone", "sweepDone"])
        XCTAssertTrue(mailbox.take().isEmpty)
        mailbox.post(.progress)
        XCTAssertEqual(mailbox.take().count, 1, "progress is queued again once taken")
        XCTAssertTrue(mailbox.isIdle)
    }

    /// A job counts as running until its body returns; `wait` and the mailbox both see it end.
    func testJobEndsAfterItsLastMessage() {
        let mailbox = Mailbox()
        let gate = DispatchSemaphore(value: 0)
        let job = Job.start(posting: mailbox) { job in
            gate.wait()
            job.post(.sweepDone)
        }
        XCTAssertFalse(mailbox.isIdle)
        XCTAssertFalse(job.wait(timeout: 0.01))
        XCTAssertTrue(mailbox.take().isEmpty)
        gate.signal()
        XCTAssertTrue(job.wait(timeout: 30))
        XCTAssertTrue(mailbox.waitForMessage(until: Date().addingTimeInterval(30)))
        XCTAssertEqual(mailbox.take().count, 1)
        XCTAssertTrue(mailbox.isIdle)
    }

    /// Playing forward steps once per play interval of the app's clock, and never while the clock stands still.
    func testPlaybackFollowsTheClock() throws {
        let (app, _) = try makeApp()
        press(app, .char(" "))
        XCTAssertTrue(app.state.playing)
        XCTAssertEqual(app.state.t, 0)
        for _ in 0..<5 { app.tick() }
        XCTAssertEqual(app.state.t, 0, "no time has passed")
        // (A hair over each interval: sums of the clock's floating-point seconds may round just below it.)
        let hair = 1e-9
        clock.advance(by: app.playInterval / 2)
        app.tick()
        XCTAssertEqual(app.state.t, 0, "half an interval")
        clock.advance(by: app.playInterval / 2 + hair)
        app.tick()
        XCTAssertEqual(app.state.t, 1)
        clock.advance(by: app.playInterval + hair)
        app.tick()
        app.tick()
        XCTAssertEqual(app.state.t, 2, "one step per interval, however many ticks")
        let slow = app.playInterval
        press(app, .char("}"))
        XCTAssertLessThan(app.playInterval, slow)
        clock.advance(by: app.playInterval + hair)
        app.tick()
        XCTAssertEqual(app.state.t, 3, "a faster speed steps after its shorter interval")
        for _ in 0..<20 where app.state.playing {
            clock.advance(by: app.playInterval + hair)
            app.tick()
        }
        XCTAssertEqual(app.state.t, 8)
        XCTAssertFalse(app.state.playing)
        XCTAssertTrue(app.state.message.contains("is the last step"), app.state.message)
    }

    /// A comparison's outcome reaches the view only through the update loop: the job's message, applied on a tick.
    func testComparisonArrivesAsAMessage() throws {
        let (app, _) = try makeApp()
        press(app, .char("6"))
        let run = app.model.comparison(with: .keras)
        XCTAssertTrue(run === app.model.comparison(with: .keras), "one job per pair of conventions")
        XCTAssertTrue(app.model.mailbox.waitUntilNoJobRuns(until: Date().addingTimeInterval(30)))
        XCTAssertNil(run.result, "the job has ended, but its outcome waits in the mailbox for the loop")
        app.tick()
        XCTAssertNotNil(run.result, "a tick applies it")
        XCTAssertTrue(app.model.mailbox.isIdle)
    }

    /// A later `o` supersedes an earlier one still loading: only the last request's experiment is swapped in.
    func testALaterOpenSupersedesAnEarlierOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-jobs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["first", "second"] {
            try Data(#"{"name": "\#(name)", "cell": {"type": "gru", "num_units": 2}, "batch_size": 1, "max_time": 2, "input_depth": 1}"#.utf8)
                .write(to: dir.appendingPathComponent("\(name).json"))
        }
        let (app, _) = try makeApp()
        for name in ["first", "second"] {
            XCTAssertTrue(app.handle(.char("o")))
            for ch in dir.appendingPathComponent("\(name).json").path { XCTAssertTrue(app.handle(.char(ch))) }
            XCTAssertTrue(app.handle(.enter))
        }
        XCTAssertTrue(app.isOpening)
        settle(app)
        XCTAssertFalse(app.isOpening)
        XCTAssertEqual(app.state.spec.name, "second")
    }
}
