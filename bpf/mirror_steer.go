package bpf

// SteerDecide is the pure-Go mirror of steer.c: for the UDP payload of
// one datagram it returns the reason and, when the program selects a
// socket, the slot. populated reports whether a slot holds a socket (for
// the STEER_HASH_DEAD case). A slot of -1 means the kernel's hash picks.
func SteerDecide(cfg SteerConfig, payload []byte, populated func(slot int) bool) (SteerReason, int) {
	if cfg.CIDLen < 2 || cfg.CIDLen > quicMaxCIDLen {
		return SteerHashConfig, -1
	}
	if len(payload) < 1 {
		return SteerHashMalformed, -1
	}
	var slot int
	var reason SteerReason
	if payload[0]&quicLongHeader != 0 {
		if len(payload) < 6 {
			return SteerHashMalformed, -1
		}
		dl := int(payload[5])
		if dl < 1 || dl > quicMaxCIDLen || len(payload) < 6+dl {
			return SteerHashMalformed, -1
		}
		cid := payload[6 : 6+dl]
		if dl == cfg.CIDLen && cid[0] == cfg.CIDPrefix {
			slot, reason = int(cid[1]), SteerCID
		} else {
			n := len(cfg.Working)
			if n < 1 || n > MaxSlots {
				return SteerHashConfig, -1
			}
			slot, reason = cfg.Working[cidHash(cid)%uint32(n)], SteerNew
		}
	} else {
		if len(payload) < 1+cfg.CIDLen {
			return SteerHashMalformed, -1
		}
		if payload[1] != cfg.CIDPrefix {
			return SteerHashUnknown, -1
		}
		slot, reason = int(payload[2]), SteerCID
	}
	if !populated(slot) {
		return SteerHashDead, -1
	}
	return reason, slot
}
