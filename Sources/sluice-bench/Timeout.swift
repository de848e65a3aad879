/// Runs `body`, cancelling it and throwing if it takes longer than `limit`. `body` must end soon after it is
/// cancelled (a consumer's message sequence does).
func withTimeout<T: Sendable>(
    _ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw BenchError("\(what) did not finish within \(limit)")
        }
        return value
    }
}
