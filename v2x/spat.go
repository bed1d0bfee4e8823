package v2x

// LightState is the state of a signal group (after J2735 MovementPhaseState).
type LightState uint8

// Light states. Values are part of the native wire protocol.
const (
	LightUnknown LightState = iota
	LightDark
	LightRed         // stop and remain
	LightRedFlashing // stop then proceed
	LightGreen       // protected movement allowed
	LightGreenPermissive
	LightYellow
	LightYellowFlashing
	numLightStates
)

var lightNames = [numLightStates]string{"unknown", "dark", "red", "red-flashing", "green", "green-permissive", "yellow", "yellow-flashing"}

// Valid reports whether s is a defined state.
func (s LightState) Valid() bool { return s < numLightStates }

func (s LightState) String() string {
	if s < numLightStates {
		return lightNames[s]
	}
	return "invalid"
}

// TimeUnknown marks a phase timing field that the controller did not give.
const TimeUnknown int32 = -1 << 31

// SPAT is the signal phase and timing of one intersection.
type SPAT struct {
	IntersectionID uint32
	Phases         []Phase
}

// MaxPhases bounds the number of phases in one SPAT.
const MaxPhases = 64

// Phase is the state of one signal group. Times are milliseconds relative to
// the SPAT's capture time, or TimeUnknown.
type Phase struct {
	ID         uint8 // signal group id
	State      LightState
	Confidence uint8 // 0..100 percent confidence in LikelyEnd
	Start      int32 // when the current state began (usually negative)
	MinEnd     int32
	LikelyEnd  int32
	MaxEnd     int32
}
