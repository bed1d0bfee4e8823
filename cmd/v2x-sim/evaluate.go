package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/v2x-edge/v2x-edge/bench/eval"
)

// printResult ends a live evaluation and prints its one JSON line.
func printResult(w io.Writer, l *eval.Live) error {
	r, err := l.Finish()
	if err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}
