package cli

import (
	"flag"
	"fmt"
)

// SetFlags are the flags given on a command line, with their values, to
// set again over a configuration loaded later: the configuration file
// first, the flags given over it (also when the file is read again, on
// SIGHUP).
type SetFlags []SetFlag

// SetFlag is one flag given on the command line.
type SetFlag struct{ Name, Value string }

// Visited records the flags set on fs by its Parse.
func Visited(fs *flag.FlagSet) SetFlags {
	var s SetFlags
	fs.Visit(func(f *flag.Flag) { s = append(s, SetFlag{f.Name, f.Value.String()}) })
	return s
}

// Has reports whether the flag name was given.
func (s SetFlags) Has(name string) bool {
	for _, f := range s {
		if f.Name == name {
			return true
		}
	}
	return false
}

// Apply sets the recorded flags that fs defines on fs (each flag once,
// with its last value); fs's flags are typically bound to a configuration
// just loaded. Flags fs does not define are left out.
func (s SetFlags) Apply(fs *flag.FlagSet) error {
	for _, f := range s {
		if fs.Lookup(f.Name) == nil {
			continue
		}
		if err := fs.Set(f.Name, f.Value); err != nil {
			return fmt.Errorf("-%s %q: %w", f.Name, f.Value, err)
		}
	}
	return nil
}
