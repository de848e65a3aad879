import Foundation
import Testing
@testable import SluiceCore

/// The JSON Schemas are loaded and compared with the model so the two cannot drift apart.
@Suite struct SchemaTests {
    private func load(_ name: String) throws -> JSONValue {
        let data = try Data(contentsOf: repositoryRoot.appendingPathComponent("Schemas/\(name)"))
        return try JSONDecoder().decode(JSONValue.self, from: data)
    }

    private func propertyNames(_ object: JSONValue?) -> Set<String> {
        guard case .object(let properties)? = object?["properties"] else { return [] }
        return Set(properties.keys)
    }

    private func required(_ object: JSONValue?) -> Set<String> {
        guard case .array(let names)? = object?["required"] else { return [] }
        return Set(names.compactMap(\.stringValue))
    }

    @Test func graphSchemaMatchesTheModelsFields() throws {
        let schema = try load("graph.schema.json")
        #expect(schema["$schema"] == "https://json-schema.org/draft/2020-12/schema")
        #expect(propertyNames(schema) == Set(GraphSpec.fieldNames))
        #expect(required(schema) == Set(GraphSpec.requiredFieldNames))
        let node = schema["$defs"]?["node"]
        #expect(propertyNames(node) == Set(NodeSpec.fieldNames))
        #expect(required(node) == Set(NodeSpec.requiredFieldNames))
        let input = schema["$defs"]?["input"]
        #expect(propertyNames(input) == Set(InputSpec.fieldNames))
        #expect(required(input) == Set(InputSpec.requiredFieldNames))
        guard case .array(let forms)? = schema["$defs"]?["ref"]?["oneOf"] else {
            Issue.record("ref has no oneOf")
            return
        }
        #expect(forms.contains { propertyNames($0) == Set(InputRef.fieldNames) })
    }

    @Test func graphSchemaEnumsMatchTheModel() throws {
        let node = try load("graph.schema.json")["$defs"]?["node"]?["properties"]
        #expect(node?["ordering"]?["enum"] == .array(Ordering.allCases.map { .string($0.rawValue) }))
        #expect(node?["delivery"]?["enum"] == .array(DeliveryGuarantee.allCases.map { .string($0.rawValue) }))
        guard case .array(let kinds)? = node?["kind"]?["anyOf"] else {
            Issue.record("kind has no anyOf")
            return
        }
        #expect(kinds.first?["enum"] == .array(NodeKind.builtIn.map { .string($0.rawValue) }))
    }

    @Test func envelopeSchemaListsEveryHeader() throws {
        let headers = try load("envelope.schema.json")["properties"]?["headers"]
        #expect(propertyNames(headers) == [
            Envelope.Header.messageID, Envelope.Header.correlationID, Envelope.Header.traceparent,
            Envelope.Header.iteration, Envelope.Header.producedAt, Envelope.Header.origin, Envelope.Header.specVersion,
        ])
        #expect(required(headers) == propertyNames(headers).subtracting([Envelope.Header.traceparent]))
    }
}
