package v2x

// SourceType says how a roadside participant was perceived.
type SourceType uint8

// Participant sources (after CSAE 53 SourceType).
const (
	SourceUnknown SourceType = iota
	SourceSelf               // the participant's own V2X report
	SourceV2X
	SourceVideo
	SourceRadar
	SourceLoop
	SourceLidar
	SourceIntegrated
)

// RSM is a roadside safety message: participants perceived by a roadside
// unit, usually already fused by it.
type RSM struct {
	RSUID        uint32
	Source       SourceType
	Participants []DetectedObject
}
