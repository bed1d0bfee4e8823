package main

import (
	"flag"

	"github.com/v2x-edge/v2x-edge/cmd/internal/cli"
	"github.com/v2x-edge/v2x-edge/edge"
)

// defaultHTTP is the metrics listener of a node started without -config.
// With -config the file says ("http"; off when it does not).
const defaultHTTP = "127.0.0.1:9464"

// defaults returns the configuration a command line or file starts from.
func defaults(withFile bool) edge.Config {
	cfg := edge.DefaultConfig()
	if !withFile {
		cfg.HTTP = defaultHTTP
	}
	return cfg
}

// loader returns the function that makes the node's configuration: the
// file (if any) over the defaults, then the flags given on the command
// line (set) over the file. Each call reads the file again, as SIGHUP
// does.
func loader(file string, set cli.SetFlags) func() (edge.Config, error) {
	return func() (edge.Config, error) {
		cfg := defaults(file != "")
		if file != "" {
			if err := edge.LoadConfigFile(file, &cfg); err != nil {
				return cfg, err
			}
		}
		over := flag.NewFlagSet("v2x-edge", flag.ContinueOnError)
		cfg.BindFlags(over)
		if err := set.Apply(over); err != nil {
			return cfg, err
		}
		cfg.SetDefaults()
		return cfg, nil
	}
}
