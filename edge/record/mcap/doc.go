// Package mcap writes and reads MCAP files (https://mcap.dev/spec, major
// version 0): the open container format for timestamped pub/sub messages
// that Foxglove, rosbag2 and the people who test automated vehicles use.
// It was written from the format's public specification; the Go MCAP
// module is not used.
//
// The Writer puts messages into chunks, compressed with zstd
// (klauspost/compress) by default, each followed by its message indexes,
// and on Close writes the summary (schemas, channels, statistics, chunk
// indexes), the summary offsets and the footer. Each chunk is written
// whole as soon as it is closed, so a file cut off by a crash is readable
// by a linear scan up to its last complete chunk: Scan does that and says
// how much it recovered.
package mcap

// Magic begins and ends every MCAP file: 0x89, "MCAP", major version '0', CR, LF.
var Magic = [8]byte{0x89, 'M', 'C', 'A', 'P', '0', '\r', '\n'}

// Opcodes of the records.
const (
	OpHeader          = 0x01
	OpFooter          = 0x02
	OpSchema          = 0x03
	OpChannel         = 0x04
	OpMessage         = 0x05
	OpChunk           = 0x06
	OpMessageIndex    = 0x07
	OpChunkIndex      = 0x08
	OpAttachment      = 0x09
	OpAttachmentIndex = 0x0A
	OpStatistics      = 0x0B
	OpMetadata        = 0x0C
	OpMetadataIndex   = 0x0D
	OpSummaryOffset   = 0x0E
	OpDataEnd         = 0x0F
)

// Schema describes the messages of a channel.
type Schema struct {
	ID       uint16
	Name     string
	Encoding string // "jsonschema", "" (none), or a private one
	Data     []byte
}

// Channel is a stream of messages on a topic.
type Channel struct {
	ID              uint16
	SchemaID        uint16 // 0: none
	Topic           string
	MessageEncoding string // "json", or a private one
	Metadata        map[string]string
}

// Message is one timestamped message. LogTime and PublishTime are
// nanoseconds since an epoch the file's channels document.
type Message struct {
	ChannelID   uint16
	Sequence    uint32
	LogTime     uint64
	PublishTime uint64
	Data        []byte
}
