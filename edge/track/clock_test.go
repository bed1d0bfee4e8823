package track

import "time"

var start = time.Now()

func nowNS() int64 { return int64(time.Since(start)) }
