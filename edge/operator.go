package edge

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// OperatorTokenFile is the operator's bearer token the node creates in its
// data directory when no -operator-token-file is given.
const OperatorTokenFile = "operator.token"

// operatorAuth guards the control endpoints (/xdp/*): a request must carry
// "Authorization: Bearer TOKEN" with the operator token, the contents of
// a file only the operator can read. The HTTP listener stays plain HTTP
// for /metrics and /healthz.
type operatorAuth struct {
	file    string
	token   atomic.Pointer[[]byte]
	refused [2]prometheus.Counter // unauthorized (no token), forbidden (wrong token)
}

func (o *operatorAuth) register(reg *prometheus.Registry) {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "v2x_operator_refused_total", Help: "Requests to the control endpoints (/xdp/*) refused: without an operator token (unauthorized) or with a wrong one (forbidden).",
	}, []string{"reason"})
	o.refused[0], o.refused[1] = v.WithLabelValues("unauthorized"), v.WithLabelValues("forbidden")
	reg.MustRegister(v)
}

// newOperatorAuth reads the token from file, or from DIR/operator.token
// when file is "", creating that with a random token when it is missing.
func newOperatorAuth(file, dataDir string) (*operatorAuth, error) {
	o := &operatorAuth{file: file}
	if file == "" {
		o.file = filepath.Join(dataDir, OperatorTokenFile)
		if _, err := os.Stat(o.file); errors.Is(err, os.ErrNotExist) {
			if err := writeToken(o.file); err != nil {
				return nil, err
			}
		}
	}
	if err := o.reload(); err != nil {
		return nil, err
	}
	return o, nil
}

func writeToken(file string) error {
	b := make([]byte, 32)
	rand.Read(b)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("edge: operator token: %w", err)
	}
	if err := os.WriteFile(file, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
		return fmt.Errorf("edge: operator token: %w", err)
	}
	return nil
}

// reload reads the token file again (SIGHUP, for rotation).
func (o *operatorAuth) reload() error {
	b, err := os.ReadFile(o.file)
	if err != nil {
		return fmt.Errorf("edge: operator token: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) < 16 {
		return fmt.Errorf("edge: operator token file %s holds %d characters; want at least 16", o.file, len(b))
	}
	o.token.Store(&b)
	return nil
}

// wrap lets only requests with the operator token through to h: 401
// without a bearer token, 403 with a wrong one.
func (o *operatorAuth) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			o.refused[0].Inc()
			w.Header().Set("WWW-Authenticate", `Bearer realm="v2x-edge operator"`)
			http.Error(w, `{"error":"operator token required (Authorization: Bearer, the token in the node's operator token file)"}`, http.StatusUnauthorized)
			return
		}
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), *o.token.Load()) != 1 {
			o.refused[1].Inc()
			http.Error(w, `{"error":"wrong operator token"}`, http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// ReloadCredentials reads again what SIGHUP rotates: the revocation list
// (closing the connections of clients now revoked) and the operator
// token. What fails to load is logged and keeps its previous value.
func (n *Node) ReloadCredentials() error {
	err := n.ReloadRevocations()
	if n.operator != nil {
		if oerr := n.operator.reload(); oerr != nil {
			n.log.Error("operator token not reloaded", "file", n.operator.file, "err", oerr)
			err = errors.Join(err, oerr)
		} else {
			n.log.Info("operator token reloaded", "file", n.operator.file)
		}
	}
	return err
}
