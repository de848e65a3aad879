import Testing

@testable import SluiceRuntime

@Suite("A node context's emissions come back in emission order")
struct EmissionsTests {
    func emissions(_ ports: [String]) -> NodeContext.Emissions {
        var emissions = NodeContext.Emissions()
        for (index, port) in ports.enumerated() {
            emissions.append(NodeContext.Emission(port: port, payload: [UInt8(index)]))
        }
        return emissions
    }

    @Test(arguments: [[], ["out"], ["out", "retry"], ["a", "b", "a", "c"]])
    func emissionsIterateInOrder(ports: [String]) {
        let taken = Array(emissions(ports))
        #expect(taken.map(\.port) == ports)
        #expect(taken.map(\.payload) == ports.indices.map { [UInt8($0)] })
    }

    @Test func theCountIsKnownBeforeIterating() {
        #expect(emissions([]).underestimatedCount == 0)
        #expect(emissions(["out"]).underestimatedCount == 1)
        #expect(emissions(["out", "retry", "out"]).underestimatedCount == 3)
    }

    @Test(arguments: [[], ["out"], ["out", "retry"], ["a", "b", "a", "c"]])
    func mappingKeepsTheOrder(ports: [String]) {
        #expect(Array(emissions(ports).map(\.port.count)) == ports.map(\.count))
    }

    @Test(arguments: [[], ["out"], ["out", "retry"], ["a", "b", "a", "c"]])
    func takingAllHandsOverEveryElementInOrderAndEmptiesTheList(ports: [String]) {
        var list = emissions(ports)
        let (first, rest) = list.takeAll()
        #expect(([first].compactMap { $0 } + rest).map(\.port) == ports)
        #expect(list.count == 0)
        #expect(Array(list).isEmpty)
    }
}
