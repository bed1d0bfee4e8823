package mcap

import (
	"encoding/binary"
	"slices"
)

// Append-style encoders of the specification's serialization: little
// endian fixed-width integers, strings and byte arrays with a length
// prefix, maps as a byte length then the pairs.

func appendU16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func appendU32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func appendU64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

func appendString(b []byte, s string) []byte {
	b = appendU32(b, uint32(len(s)))
	return append(b, s...)
}

func appendBytes32(b []byte, p []byte) []byte {
	b = appendU32(b, uint32(len(p)))
	return append(b, p...)
}

// appendStringMap writes a Map<string, string> with its keys sorted, so
// that equal maps encode to equal bytes.
func appendStringMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	at := len(b)
	b = appendU32(b, 0)
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, m[k])
	}
	binary.LittleEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	return b
}

// beginRecord appends an opcode and a length to be filled by endRecord;
// it returns where the length is.
func beginRecord(b []byte, op byte) ([]byte, int) {
	b = append(b, op)
	return appendU64(b, 0), len(b)
}

func endRecord(b []byte, at int) []byte {
	binary.LittleEndian.PutUint64(b[at:], uint64(len(b)-at-8))
	return b
}

func appendSchema(b []byte, s *Schema) []byte {
	b, at := beginRecord(b, OpSchema)
	b = appendU16(b, s.ID)
	b = appendString(b, s.Name)
	b = appendString(b, s.Encoding)
	b = appendBytes32(b, s.Data)
	return endRecord(b, at)
}

func appendChannel(b []byte, c *Channel) []byte {
	b, at := beginRecord(b, OpChannel)
	b = appendU16(b, c.ID)
	b = appendU16(b, c.SchemaID)
	b = appendString(b, c.Topic)
	b = appendString(b, c.MessageEncoding)
	b = appendStringMap(b, c.Metadata)
	return endRecord(b, at)
}

// appendMessage appends a Message record; it allocates nothing when b has
// room.
func appendMessage(b []byte, m *Message) []byte {
	b = append(b, OpMessage)
	b = appendU64(b, uint64(2+4+8+8+len(m.Data)))
	b = appendU16(b, m.ChannelID)
	b = appendU32(b, m.Sequence)
	b = appendU64(b, m.LogTime)
	b = appendU64(b, m.PublishTime)
	return append(b, m.Data...)
}

func putU64(b []byte, v uint64) { binary.LittleEndian.PutUint64(b, v) }
