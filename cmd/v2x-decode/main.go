// Command v2x-decode prints the UPER MessageFrames in files as JSON, one
// object per frame, keyed by ASN.1 component names.
//
//	v2x-decode -std csae53|j2735 [-hex] [-xer] FILE...
//
// A file may hold several frames back to back; zero bytes after a frame
// are padding and end the file. Undecodable input (also a file of zero
// bytes only, or hexadecimal text without -hex) is an error naming the
// file, the frame, the byte offset and the field, and the exit status is 1.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/v2x-edge/v2x-edge/v2x/codec"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "v2x-decode:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("v2x-decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	std := fs.String("std", "", "message set: csae53 (CSAE 53-2017) or j2735 (SAE J2735 MessageFrame)")
	hexIn := fs.Bool("hex", false, "files hold hexadecimal text (whitespace ignored) instead of binary")
	xer := fs.Bool("xer", false, "print XER (as asn1c does) instead of JSON")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: v2x-decode -std csae53|j2735 [-hex] [-xer] FILE...\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	enc, err := parseStd(*std)
	if err != nil {
		fs.Usage()
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no input files")
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	var dec codec.Decoder
	var out []byte
	for _, name := range fs.Args() {
		data, err := readInput(name, *hexIn)
		if err != nil {
			return err
		}
		if len(data) == 0 {
			return fmt.Errorf("%s: empty", name)
		}
		for off, i := 0, 0; !codec.End(data, off); i++ {
			n, err := dec.DecodeFrame(enc, data[off:])
			if err != nil {
				return fmt.Errorf("%s: frame %d at byte %d: %w", name, i, off, offsetError(err, off))
			}
			out = out[:0]
			if *xer {
				out = dec.AppendXER(out)
			} else {
				out = append(dec.AppendJSON(out), '\n')
			}
			if _, err := w.Write(out); err != nil {
				return err
			}
			off += n
		}
	}
	return w.Flush()
}
