package edge

import (
	"flag"
	"fmt"
	"testing"
	"time"
)

// TestBindFlags: every flag sets a field of the Config it is bound to,
// and its default is that field's value.
func TestBindFlags(t *testing.T) {
	sample := map[string]string{"ref": "22.5,114.1", "xdp-allow": "192.0.2.0/24", "xdp-deny": "2001:db8::/32", "uper-allow": "192.0.2.0/24",
		"uper-rcvbuf": "65536", "record-max-file": "3145728", "record-max-total": "1073741824",
		"uper-identity": "v2x-edge:rsu?roles=producer&kinds=vehicle", "nats": "nats://192.0.2.1:4222,nats://192.0.2.2:4222", "mqtt-topics": "rsm=V2X/RSU/+/RSM/UP,uper=rsu/uper",
		"neighbours": "n2@22.5,114.1/2"}
	probe := flag.NewFlagSet("probe", flag.ContinueOnError)
	base := DefaultConfig()
	base.BindFlags(probe)
	n := 0
	probe.VisitAll(func(f *flag.Flag) {
		n++
		c := DefaultConfig()
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		c.BindFlags(fs)
		before := fmt.Sprintf("%+v", c)
		if got := fs.Lookup(f.Name).DefValue; got != f.DefValue {
			t.Errorf("-%s: default %q, want %q", f.Name, got, f.DefValue)
		}
		v, ok := sample[f.Name]
		if !ok {
			switch f.Value.(flag.Getter).Get().(type) {
			case bool:
				v = "true"
			case time.Duration:
				v = "7s"
			case string:
				v = "seven"
			default: // int, uint64
				v = "7"
			}
		}
		if err := fs.Set(f.Name, v); err != nil {
			t.Fatalf("-%s %s: %v", f.Name, v, err)
		}
		if fmt.Sprintf("%+v", c) == before {
			t.Errorf("-%s %s changed nothing in the Config", f.Name, v)
		}
		if got := fs.Lookup(f.Name).Value.String(); got != v && f.Name != "ref" && f.Name != "xdp-allow" && f.Name != "xdp-deny" && f.Name != "uper-allow" {
			t.Errorf("-%s %s reads back as %q", f.Name, v, got)
		}
	})
	if n != 60 {
		t.Errorf("%d flags bound, want 60 (update this test with a new flag)", n)
	}
}

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64 // -1: an error
	}{
		{"4096", 4096}, {"256MB", 256e6}, {"256MiB", 256 << 20}, {"1GiB", 1 << 30}, {"1.5 KB", 1500},
		{"2g", 2 << 30}, {"10B", 10}, {"", -1}, {"MB", -1}, {"-5MB", -1}, {"5 parsecs", -1}, {"1e3", -1},
	} {
		got, err := ParseSize(c.in)
		if c.want < 0 {
			if err == nil {
				t.Errorf("%q: accepted as %d", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %d %v, want %d", c.in, got, err, c.want)
		}
	}
}
