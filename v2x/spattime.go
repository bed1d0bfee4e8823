package v2x

import "time"

// SPAT time semantics shared by CSAE 53 and SAE J2735. Times are Unix
// nanoseconds of UTC.

// TimeMarkUnknown is the TimeMark value meaning "unknown".
const TimeMarkUnknown = 36001

const (
	hourNS   = int64(time.Hour)
	tenthNS  = int64(100 * time.Millisecond)
	minuteNS = int64(time.Minute)
)

// TimeMarkNS returns the time a TimeMark denotes: tenths of a second past
// the start of a UTC hour (0..35999; 36000 is a leap second, 3600.0 s).
// Of the hour of ref, the one before and the one after, it picks the one
// that puts the result nearest ref, so that a mark just past the hour
// roll-over lands in the next hour. ok is false for 36001 (unknown) and
// values out of range.
func TimeMarkNS(mark, refUnixNS int64) (t int64, ok bool) {
	if mark < 0 || mark > 36000 {
		return 0, false
	}
	hour := refUnixNS - refUnixNS%hourNS
	if refUnixNS < 0 && refUnixNS%hourNS != 0 {
		hour -= hourNS
	}
	best := hour + mark*tenthNS
	for _, h := range [2]int64{hour - hourNS, hour + hourNS} {
		if c := h + mark*tenthNS; abs64(c-refUnixNS) < abs64(best-refUnixNS) {
			best = c
		}
	}
	return best, true
}

// MinuteOfYearNS returns the time of a MinuteOfTheYear (0..527039; 527040
// is unknown) and a DSecond (milliseconds in the minute, 0..59999, up to
// 60999 in a leap second; 65535 is unknown) in the given UTC year. An
// unknown DSecond counts as 0 and still gives ok; an unknown or invalid
// minute gives ok false.
func MinuteOfYearNS(year int, moy, dsecondMS int64) (int64, bool) {
	if moy < 0 || moy >= 527040 {
		return 0, false
	}
	if dsecondMS < 0 || dsecondMS > 60999 {
		dsecondMS = 0
	}
	start := time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	return start + moy*minuteNS + dsecondMS*int64(time.Millisecond), true
}

// MinuteOfYearNear is MinuteOfYearNS in the year (ref's, the one before or
// the one after) that puts the result nearest ref: a SPAT sent at 23:59 on
// 31 December and received after midnight belongs to the old year.
func MinuteOfYearNear(moy, dsecondMS, refUnixNS int64) (int64, bool) {
	y := time.Unix(0, refUnixNS).UTC().Year()
	best, ok := MinuteOfYearNS(y, moy, dsecondMS)
	if !ok {
		return 0, false
	}
	for _, yy := range [2]int{y - 1, y + 1} {
		if c, _ := MinuteOfYearNS(yy, moy, dsecondMS); abs64(c-refUnixNS) < abs64(best-refUnixNS) {
			best = c
		}
	}
	return best, true
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// DSecondNear returns the time of a DSecond (milliseconds within a UTC
// minute) in the minute (ref's, the one before or the one after) that
// puts it nearest ref, for messages that carry a DSecond without a minute.
// ok is false for values above 60999 (65535 is unknown).
func DSecondNear(dsecondMS, refUnixNS int64) (int64, bool) {
	if dsecondMS < 0 || dsecondMS > 60999 {
		return 0, false
	}
	minute := refUnixNS - refUnixNS%minuteNS
	best := minute + dsecondMS*int64(time.Millisecond)
	for _, m := range [2]int64{minute - minuteNS, minute + minuteNS} {
		if c := m + dsecondMS*int64(time.Millisecond); abs64(c-refUnixNS) < abs64(best-refUnixNS) {
			best = c
		}
	}
	return best, true
}
