package codec

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// TestEncoderRoundTrip encodes real messages, decoded to the model, in
// each encoding with an Encoder and decodes them again with a Decoder.
func TestEncoderRoundTrip(t *testing.T) {
	at := time.Date(2024, 6, 1, 12, 0, 30, 0, time.UTC)
	var d Decoder
	d.Now = func() time.Time { return at }
	model := func(name string) *Message {
		m := new(Message)
		if _, err := d.Decode(wire.EncodingCSAE53, csaeSample(t, name), m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	bsm, spat, mp, rsi, rsm := model("BSM_1.uper"), model("SPAT.uper"), model("MAP.uper"), model("RSI.uper"), model("RSM.uper")
	// The CSAE sample's lanes are wider than a J2735 MAP can say: its MAP
	// goes through J2735 as the ODE's MAP.
	odeMap := new(Message)
	if _, err := d.Decode(wire.EncodingJ2735, odeFrame(t, "decoder-output-map.xml"), odeMap); err != nil {
		t.Fatal(err)
	}
	maps := map[wire.Encoding]*v2x.Map{wire.EncodingCSAE53: mp.Map, wire.EncodingJ2735: odeMap.Map}
	var e Encoder
	for _, enc := range []wire.Encoding{wire.EncodingCSAE53, wire.EncodingJ2735} {
		name := EncodingName(enc)
		var back Message
		b, err := e.BSM(enc, &bsm.BSM, at)
		if _, err2 := d.Decode(enc, b, &back); err != nil || err2 != nil || math.Abs(back.BSM.Lat-bsm.BSM.Lat) > 1e-7 || math.Abs(back.BSM.Lon-bsm.BSM.Lon) > 1e-7 {
			t.Errorf("%s BSM: %v, %v, %+v", name, err, err2, back.BSM)
		}
		b, err = e.SPAT(enc, &spat.SPATs[0], at)
		if _, err2 := d.Decode(enc, b, &back); err != nil || err2 != nil || len(back.SPATs) != 1 || len(back.SPATs[0].Phases) != len(spat.SPATs[0].Phases) {
			t.Errorf("%s SPAT: %v, %v, %+v", name, err, err2, back.SPATs)
		}
		b, err = e.Map(enc, maps[enc])
		if _, err2 := d.Decode(enc, b, &back); err != nil || err2 != nil || len(back.Map.Lanes) != len(maps[enc].Lanes) {
			t.Errorf("%s MAP: %v, %v", name, err, err2)
		}
	}
	b, err := e.RSI(wire.EncodingCSAE53, rsi.RSI)
	var back Message
	if _, err2 := d.Decode(wire.EncodingCSAE53, b, &back); err != nil || err2 != nil || len(back.RSI.Events) != len(rsi.RSI.Events) {
		t.Errorf("RSI: %v, %v", err, err2)
	}
	objs := v2x.ObjectList{Objects: rsm.RSM.Participants}
	var got int
	err = e.RSMs(wire.EncodingCSAE53, &objs, at, func(b []byte) error {
		_, err := d.Decode(wire.EncodingCSAE53, b, &back)
		got += len(back.RSM.Participants)
		return err
	})
	if err != nil || got != len(objs.Objects) {
		t.Errorf("RSMs: %d of %d participants, %v", got, len(objs.Objects), err)
	}
	if _, err := e.RSI(wire.EncodingJ2735, rsi.RSI); !errors.Is(err, ErrUnsupported) {
		t.Errorf("J2735 RSI: %v", err)
	}
	if err := e.RSMs(wire.EncodingJ2735, &objs, at, nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("J2735 RSM: %v", err)
	}
	if _, err := e.BSM(wire.EncodingNative, &bsm.BSM, at); !errors.Is(err, ErrUnsupported) {
		t.Errorf("native BSM: %v", err)
	}
}
