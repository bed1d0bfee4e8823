package edge

import (
	"net/http"
	"strconv"

	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// stateDictPath is where the node's HTTP listener serves the zstd
// dictionary of Update bodies (wire.StateDict), so that a client written
// from docs/protocol.md alone can decompress zstd Updates.
const stateDictPath = "/statedict.bin"

// serveStateDict answers GET with the dictionary's bytes.
func serveStateDict(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(wire.StateDict)))
	w.Write(wire.StateDict)
}
