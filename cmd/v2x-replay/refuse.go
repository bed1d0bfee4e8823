package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/v2x-edge/v2x-edge/cmd/internal/cli"
	"github.com/v2x-edge/v2x-edge/edge"
)

// runRefuse is v2x-replay -refuse: FILE arguments may be directories of
// recordings, whose *.mcap files are taken in name (time) order.
func runRefuse(args []string, stdout, stderr io.Writer, level string) error {
	log, err := cli.Logger(stderr, level, "text")
	if err != nil {
		return err
	}
	var files []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			files = append(files, a)
			continue
		}
		in, _ := filepath.Glob(filepath.Join(a, "*.mcap"))
		slices.Sort(in)
		if len(in) == 0 {
			return fmt.Errorf("%s: no *.mcap recordings", a)
		}
		files = append(files, in...)
	}
	rep, err := edge.Refuse(files, log.With("cmd", "v2x-replay"))
	if err != nil {
		return err
	}
	rep.MaxPosDiffM = float64(int64(rep.MaxPosDiffM*1e6+0.5)) / 1e6
	line, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", line)
	switch {
	case rep.Mismatched > 0 && !rep.Complete:
		return fmt.Errorf("%d of %d states differ; the recording does not start with the node (its first files were deleted, or cycles dropped), so its first states could not be rebuilt", rep.Mismatched, rep.Compared)
	case rep.Mismatched > 0:
		return fmt.Errorf("%d of %d states differ, the first at seq %d: %s", rep.Mismatched, rep.Compared, rep.First.Seq, rep.First.Reason)
	case rep.Compared == 0:
		return fmt.Errorf("no recorded state to compare with (%d cycles)", rep.Cycles)
	}
	return nil
}
