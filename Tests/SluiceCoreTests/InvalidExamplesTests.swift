import Foundation
import Testing
import SluiceCore

/// Every file in examples/invalid must produce exactly the text of its `.expected` file.
@Suite struct InvalidExamplesTests {
    static let folder = repositoryRoot.appendingPathComponent("examples/invalid")

    static var specFiles: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { !$0.hasSuffix(".expected") }.sorted()
    }

    @Test func thereIsOneExamplePerRule() {
        #expect(Self.specFiles.count >= 15)
    }

    @Test(arguments: specFiles)
    func producesExactlyTheExpectedIssues(file: String) throws {
        let expectedURL = Self.folder.appendingPathComponent((file as NSString).deletingPathExtension + ".expected")
        let expected = try String(contentsOf: expectedURL, encoding: .utf8)
        var actual = ""
        do {
            _ = try GraphSpec.load(path: Self.folder.appendingPathComponent(file).path)
        } catch {
            actual = error.issues.map { $0.rendered(file: file) }.joined(separator: "\n") + "\n"
        }
        #expect(actual == expected)
    }
}
