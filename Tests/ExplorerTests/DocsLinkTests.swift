import XCTest

/// Every relative link in the README, docs/ and samples/README.md leads to a file that exists and, when it names
/// an anchor, to a heading of that file (GitHub's anchors), so a section that moves or is renamed breaks a test.
final class DocsLinkTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The Markdown files a reader follows links through.
    static func documents() throws -> [URL] {
        let docs = root.appendingPathComponent("docs")
        let names = try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }.sorted()
        return [root.appendingPathComponent("README.md"), root.appendingPathComponent("samples/README.md")]
            + names.map { docs.appendingPathComponent($0) }
    }

    /// The lines of a Markdown text outside fenced code blocks.
    static func proseLines(_ text: String) -> [Substring] {
        var inFence = false
        return text.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            if line.hasPrefix("```") { inFence.toggle(); return false }
            return !inFence
        }
    }

    /// GitHub's anchor for a heading: lower case, code marks and punctuation dropped, spaces turned into hyphens.
    static func anchor(_ heading: String) -> String {
        String(heading.lowercased().compactMap { c -> Character? in
            if c == " " { return "-" }
            return c.isLetter || c.isNumber || c == "_" || c == "-" ? c : nil
        })
    }

    /// The anchors of a Markdown text's headings (a repeated heading gets -1, -2, ... as on GitHub).
    static func anchors(_ text: String) -> Set<String> {
        var seen: [String: Int] = [:]
        var result: Set<String> = []
        for line in proseLines(text) {
            guard let match = line.range(of: #"^#{1,6} +"#, options: .regularExpression) else { continue }
            let slug = anchor(String(line[match.upperBound...]).trimmingCharacters(in: .whitespaces))
            let n = seen[slug, default: 0]
            seen[slug] = n + 1
            result.insert(n == 0 ? slug : "\(slug)-\(n)")
        }
        return result
    }

    /// The relative link targets of a Markdown text (`](target)`), with the line each is on.
    static func links(_ text: String) throws -> [(line: String, target: String)] {
        let pattern = try NSRegularExpression(pattern: #"\]\(([^)\s]+)\)"#)
        return proseLines(text).flatMap { line -> [(line: String, target: String)] in
            let s = String(line)
            return pattern.matches(in: s, range: NSRange(s.startIndex..., in: s)).compactMap { m in
                guard let r = Range(m.range(at: 1), in: s) else { return nil }
                let target = String(s[r])
                return target.contains("://") || target.hasPrefix("mailto:") ? nil : (s, target)
            }
        }
    }

    func testAnchorsAreGitHubs() {
        XCTAssertEqual(Self.anchor("What `parallel_iterations` and `swap_memory` mean here"),
                       "what-parallel_iterations-and-swap_memory-mean-here")
        XCTAssertEqual(Self.anchor("Set-up: two commands"), "set-up-two-commands")
        XCTAssertEqual(Self.anchors("# A\n```\n# not a heading\n```\n## A\n"), ["a", "a-1"])
    }

    func testEveryRelativeLinkResolves() throws {
        var checked = 0
        for document in try Self.documents() {
            let text = try String(contentsOf: document, encoding: .utf8)
            for (line, target) in try Self.links(text) {
                checked += 1
                let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                let path = String(parts[0])
                let file = path.isEmpty ? document
                    : document.deletingLastPathComponent().appendingPathComponent(path).standardizedFileURL
                let name = "\(document.lastPathComponent): \(target)"
                guard FileManager.default.fileExists(atPath: file.path) else {
                    XCTFail("\(name): no file \(file.path) (in: \(line))")
                    continue
                }
                guard parts.count == 2 else { continue }
                let headings = Self.anchors(try String(contentsOf: file, encoding: .utf8))
                XCTAssertTrue(headings.contains(String(parts[1])),
                              "\(name): no heading with that anchor in \(file.lastPathComponent); it has \(headings.sorted())")
            }
        }
        XCTAssertGreaterThan(checked, 20, "the link pattern found almost no links: is it broken?")
    }
}
