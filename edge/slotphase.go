package edge

import "math/bits"

// PhaseGroups is how many slot phases rate-capped subscribers spread over.
const PhaseGroups = phaseGroups

// SlotPhase returns the rate-slot phase, a fraction of the slot, of the
// subscriber with stream id id: one of PhaseGroups phases, id's low four
// bits reversed. Subscribers take consecutive ids, and reversing the bits
// spreads any run of them over the slot (0, 1/2, 1/4, 3/4, 1/8, ...)
// instead of packing n of them into the first n/16 of it: with ten
// subscribers at 20 Hz the phases were 3 ms apart over 28 ms and none in
// the remaining 22 ms, so a publication with new data (every 5 ms or so)
// often found two of them due, and the second waited behind the first's
// send. Each phase still gets every sixteenth subscriber, so a phase's
// subscribers share encodings as before.
func SlotPhase(id uint64) float64 {
	return float64(bits.Reverse8(uint8(id%phaseGroups))>>4) / phaseGroups
}
