import Crdkafka
public enum LibrdkafkaVersion { public static var string: String { String(cString: rd_kafka_version_str()) } }
