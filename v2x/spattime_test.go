package v2x

import (
	"testing"
	"time"
)

func utc(s string) int64 {
	t, err := time.Parse("2006-01-02T15:04:05.000", s)
	if err != nil {
		panic(err)
	}
	return t.UnixNano()
}

func TestTimeMarkNS(t *testing.T) {
	for _, tc := range []struct {
		mark int64
		ref  string
		want string // "" for not ok
	}{
		{0, "2026-11-22T10:30:00.000", "2026-11-22T10:00:00.000"},
		{18000, "2026-11-22T10:30:00.000", "2026-11-22T10:30:00.000"},
		{35999, "2026-11-22T10:59:58.000", "2026-11-22T10:59:59.900"},
		// Hour roll-over forwards: at 10:59:58 a mark of 0.5 s is 11:00:00.5.
		{5, "2026-11-22T10:59:58.000", "2026-11-22T11:00:00.500"},
		// And backwards: at 11:00:01 a mark of 3599.0 s is 10:59:59.
		{35990, "2026-11-22T11:00:01.000", "2026-11-22T10:59:59.000"},
		// A leap second, 3600.0 s past the hour.
		{36000, "2026-12-31T23:59:59.000", "2027-01-01T00:00:00.000"},
		{36001, "2026-11-22T10:30:00.000", ""},
		{-1, "2026-11-22T10:30:00.000", ""},
		{36002, "2026-11-22T10:30:00.000", ""},
	} {
		got, ok := TimeMarkNS(tc.mark, utc(tc.ref))
		if tc.want == "" {
			if ok {
				t.Errorf("mark %d: ok, want unknown", tc.mark)
			}
			continue
		}
		if !ok || got != utc(tc.want) {
			t.Errorf("mark %d at %s: %s (%v), want %s", tc.mark, tc.ref, time.Unix(0, got).UTC().Format(time.RFC3339Nano), ok, tc.want)
		}
	}
}

func TestMinuteOfYear(t *testing.T) {
	for _, tc := range []struct {
		moy, ds int64
		ref     string
		want    string
	}{
		{0, 0, "2026-01-01T00:00:30.000", "2026-01-01T00:00:00.000"},
		{458335, 5238, "2026-11-22T00:00:00.000", "2026-11-15T06:55:05.238"}, // the SPAT sample's moy and timeStamp: day 318 + 6 h 55 min
		// Sent at 23:59:59.5 on 31 December, received after midnight.
		{525599, 59500, "2027-01-01T00:00:00.200", "2026-12-31T23:59:59.500"},
		{10, 65535, "2026-01-01T00:11:00.000", "2026-01-01T00:10:00.000"}, // unknown DSecond counts as 0
		{527040, 0, "2026-01-01T00:00:00.000", ""},
	} {
		got, ok := MinuteOfYearNear(tc.moy, tc.ds, utc(tc.ref))
		if tc.want == "" {
			if ok {
				t.Errorf("moy %d: ok, want unknown", tc.moy)
			}
			continue
		}
		if !ok || got != utc(tc.want) {
			t.Errorf("moy %d ds %d near %s: %s, want %s", tc.moy, tc.ds, tc.ref, time.Unix(0, got).UTC().Format(time.RFC3339Nano), tc.want)
		}
	}
}

func TestDSecondNear(t *testing.T) {
	for _, tc := range []struct {
		ds        int64
		ref, want string
	}{
		{35176, "2026-11-22T10:36:36.000", "2026-11-22T10:36:35.176"},
		{59900, "2026-11-22T10:37:00.100", "2026-11-22T10:36:59.900"}, // minute roll-over backwards
		{100, "2026-11-22T10:36:59.950", "2026-11-22T10:37:00.100"},   // and forwards
	} {
		got, ok := DSecondNear(tc.ds, utc(tc.ref))
		if !ok || got != utc(tc.want) {
			t.Errorf("ds %d near %s: %s, want %s", tc.ds, tc.ref, time.Unix(0, got).UTC().Format(time.RFC3339Nano), tc.want)
		}
	}
	if _, ok := DSecondNear(65535, 0); ok {
		t.Error("65535 (unknown) gave a time")
	}
}
