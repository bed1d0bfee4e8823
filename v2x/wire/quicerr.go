package wire

// QUIC application error codes (RFC 9000 §20.2) of the native protocol:
// the codes a party puts in CONNECTION_CLOSE, RESET_STREAM and
// STOP_SENDING frames. docs/protocol.md §1 lists them. They are untyped so
// that they convert to quic-go's ApplicationErrorCode and StreamErrorCode
// without this package importing quic-go.
const (
	// ConnErrNone closes a connection normally.
	ConnErrNone = 0x0
	// ConnErrShutdown closes a connection because the node shuts down.
	ConnErrShutdown = 0x1
	// ConnErrRevoked closes a connection whose client identity (or
	// certificate) was revoked while it was open.
	ConnErrRevoked = 0x2
	// ConnErrOverloaded closes a connection the node refuses because its
	// identity holds all the connections its quota allows.
	ConnErrOverloaded = 0x10
	// StreamErrFraming stops a stream (STOP_SENDING) whose framing is
	// lost: the node no longer reads it (CodeBadLength).
	StreamErrFraming = 0x101
	// StreamErrOverloaded resets a stream the node refuses because its
	// identity holds all the streams its quota allows.
	StreamErrOverloaded = 0x102
)
