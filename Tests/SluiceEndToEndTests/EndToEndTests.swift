import Testing

/// Every end-to-end suite, one test at a time: each starts up to eight worker processes, and two of these tests
/// at once would starve each other (and the rest of `make test`) on a small machine.
@Suite("End to end: workers as OS processes", .serialized)
enum EndToEndTests {}
