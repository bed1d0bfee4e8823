package cli

import (
	"flag"
	"io"
	"testing"
	"time"
)

func TestSetFlagsApply(t *testing.T) {
	type conf struct {
		name string
		n    int
		d    time.Duration
		on   bool
	}
	bind := func(c *conf) *flag.FlagSet {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.StringVar(&c.name, "name", c.name, "")
		fs.IntVar(&c.n, "n", c.n, "")
		fs.DurationVar(&c.d, "d", c.d, "")
		fs.BoolVar(&c.on, "on", c.on, "")
		return fs
	}
	var cmd conf
	fs := bind(&cmd)
	fs.String("only-here", "", "")
	if err := fs.Parse([]string{"-n", "3", "-d", "1m30s", "-n", "4", "-only-here", "x", "-on"}); err != nil {
		t.Fatal(err)
	}
	set := Visited(fs)
	if !set.Has("n") || set.Has("name") {
		t.Errorf("visited %v", set)
	}
	loaded := conf{name: "from file", n: 9, d: time.Second}
	if err := set.Apply(bind(&loaded)); err != nil {
		t.Fatal(err)
	}
	if want := (conf{name: "from file", n: 4, d: 90 * time.Second, on: true}); loaded != want {
		t.Errorf("applied %+v, want %+v", loaded, want)
	}
	bad := SetFlags{{"n", "x"}}
	if err := bad.Apply(bind(&loaded)); err == nil {
		t.Error("a bad value applied without an error")
	}
}
