package edge

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/v2x-edge/v2x-edge/edge/steer"
)

// KeysFile is the file in the data directory that keeps the node's QUIC
// stateless reset and token keys across restarts.
const KeysFile = "quic-keys"

// loadKeys returns the QUIC keys kept in dir/KeysFile, creating them on
// first use. A node restarted after a crash (kill -9 sends no
// CONNECTION_CLOSE) then answers its old connections' packets with a
// stateless reset that carries the token those connections know, and
// their clients notice at once instead of after their idle timeout.
func loadKeys(dir string) (*steer.Keys, error) {
	path := filepath.Join(dir, KeysFile)
	k := &steer.Keys{}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if len(b) != len(k.Reset)+len(k.Token) {
			return nil, fmt.Errorf("%s: %d bytes, want %d (delete it to make new keys)", path, len(b), len(k.Reset)+len(k.Token))
		}
		copy(k.Reset[:], b)
		copy(k.Token[:], b[len(k.Reset):])
		return k, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	if k, err = steer.NewKeys(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	b = append(append([]byte(nil), k.Reset[:]...), k.Token[:]...)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	return k, nil
}
