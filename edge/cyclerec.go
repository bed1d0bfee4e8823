package edge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/v2x-edge/v2x-edge/v2x"
	"github.com/v2x-edge/v2x-edge/v2x/wire"
)

// A cycle record is what one fusion cycle took and when: the batch it
// drained from the inbox (measurements, SPATs, MAPs, RSIs, in the order
// the cycle saw them), its start and "now" times, and the sequence number
// of the state it published. Recorded on /v2x/cycle, it lets
// v2x-replay -refuse run the same cycles offline (docs/recording.md).
//
// Layout, little endian, version 4 (version 3, without the SPATs' and
// MAPs' owners, version 2, without the sensor declarations either, and
// version 1, without the measurements' owner fields either, are still
// read):
//
//	u8 version, i64 start, i64 now, u64 seq,
//	u32 measurements, u32 spats, u32 maps, u32 rsis, then each:
//	measurement: u8 kind, u8 class, u64 stream, u32 source, u64 local id,
//	  i64 time, i64 ingest, f64 lat, f64 lon, f32 velE, velN, speed,
//	  heading, length, width, covEE, covEN, covNN, u64 owner,
//	  u32 owner limit (102 bytes; 90 in version 1)
//	spat: i64 time, i64 ingest, u64 stream, u64 owner, u32 length,
//	  native SPAT (§5.3)
//	map:  u64 stream, u64 owner, u32 length, native MAP (§5.4)
//	rsi:  u32 length, native RSI (§5.5)
//	then u32 sensors, and each: u64 stream, u32 source, i64 ingest,
//	  native Sensor (§5.15, 40 bytes)
const (
	cycleRecVersion = 4
	cycleRecSensor  = 8 + 4 + 8 + wire.SensorInfoLen
	cycleRecHead    = 1 + 8 + 8 + 8 + 16
	cycleRecMeasV1  = 2 + 8 + 4 + 8 + 8 + 8 + 8 + 8 + 9*4
	cycleRecMeasLen = cycleRecMeasV1 + 8 + 4
)

// cycleRec is a decoded cycle record.
type cycleRec struct {
	start, now int64
	seq        uint64
	b          batch
}

// appendCycleHead begins a cycle record for batch b; seq and now are
// filled in by finishCycle once the cycle has published.
func appendCycleRec(dst []byte, start int64, b *batch) []byte {
	dst = append(dst, cycleRecVersion)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(start))
	dst = binary.LittleEndian.AppendUint64(dst, 0) // now
	dst = binary.LittleEndian.AppendUint64(dst, 0) // seq
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(b.meas)))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(b.spats)))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(b.maps)))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(b.rsis)))
	le := binary.LittleEndian
	f32 := func(d []byte, v float32) []byte { return le.AppendUint32(d, math.Float32bits(v)) }
	for i := range b.meas {
		m := &b.meas[i]
		dst = append(dst, byte(m.Kind), byte(m.Class))
		dst = le.AppendUint64(dst, m.Stream)
		dst = le.AppendUint32(dst, m.Source)
		dst = le.AppendUint64(dst, m.LocalID)
		dst = le.AppendUint64(dst, uint64(m.TimeNS))
		dst = le.AppendUint64(dst, uint64(m.IngestNS))
		dst = le.AppendUint64(dst, math.Float64bits(m.Lat))
		dst = le.AppendUint64(dst, math.Float64bits(m.Lon))
		for _, v := range [9]float32{m.VelE, m.VelN, m.Speed, m.Heading, m.Length, m.Width, m.CovEE, m.CovEN, m.CovNN} {
			dst = f32(dst, v)
		}
		dst = le.AppendUint64(dst, m.Owner)
		dst = le.AppendUint32(dst, m.OwnerLimit)
	}
	for i := range b.spats {
		s := &b.spats[i]
		dst = le.AppendUint64(dst, uint64(s.TimeNS))
		dst = le.AppendUint64(dst, uint64(s.IngestNS))
		dst = le.AppendUint64(dst, s.Stream)
		dst = le.AppendUint64(dst, s.Owner)
		at := len(dst)
		dst = le.AppendUint32(dst, 0)
		sp := v2x.SPAT{IntersectionID: s.IntersectionID, Phases: s.Phases[:s.N]}
		dst = wire.AppendSPAT(dst, &sp)
		le.PutUint32(dst[at:], uint32(len(dst)-at-4))
	}
	for i, mp := range b.maps {
		dst = le.AppendUint64(dst, b.mapSrc[i])
		var own uint64
		if i < len(b.mapOwn) {
			own = b.mapOwn[i]
		}
		dst = le.AppendUint64(dst, own)
		at := len(dst)
		dst = le.AppendUint32(dst, 0)
		dst = wire.AppendMap(dst, mp)
		le.PutUint32(dst[at:], uint32(len(dst)-at-4))
	}
	for _, r := range b.rsis {
		at := len(dst)
		dst = le.AppendUint32(dst, 0)
		dst = wire.AppendRSI(dst, r)
		le.PutUint32(dst[at:], uint32(len(dst)-at-4))
	}
	dst = le.AppendUint32(dst, uint32(len(b.sensors)))
	for i := range b.sensors {
		s := &b.sensors[i]
		dst = le.AppendUint64(dst, s.Stream)
		dst = le.AppendUint32(dst, s.Source)
		dst = le.AppendUint64(dst, uint64(s.IngestNS))
		dst = wire.AppendSensorInfo(dst, &s.Info)
	}
	return dst
}

// finishCycleRec fills in the cycle's now and the state it published.
func finishCycleRec(rec []byte, now int64, seq uint64) {
	binary.LittleEndian.PutUint64(rec[9:], uint64(now))
	binary.LittleEndian.PutUint64(rec[17:], seq)
}

var errCycleRec = errors.New("cycle record")

// decodeCycleRec reads a cycle record into c, reusing its batch.
func decodeCycleRec(p []byte, c *cycleRec) error {
	if len(p) < cycleRecHead {
		return fmt.Errorf("%w: %d bytes, shorter than its head", errCycleRec, len(p))
	}
	version := p[0]
	if version < 1 || version > cycleRecVersion {
		return fmt.Errorf("%w: version %d (this build reads 1 to %d)", errCycleRec, p[0], cycleRecVersion)
	}
	measLen := cycleRecMeasLen
	if version == 1 {
		measLen = cycleRecMeasV1
	}
	le := binary.LittleEndian
	c.start, c.now, c.seq = int64(le.Uint64(p[1:])), int64(le.Uint64(p[9:])), le.Uint64(p[17:])
	nm, ns, nmap, nrsi := le.Uint32(p[25:]), le.Uint32(p[29:]), le.Uint32(p[33:]), le.Uint32(p[37:])
	p = p[cycleRecHead:]
	if uint64(nm)*uint64(measLen) > uint64(len(p)) {
		return fmt.Errorf("%w: %d measurements in %d bytes", errCycleRec, nm, len(p))
	}
	c.b.reset()
	f32 := func(b []byte) float32 { return math.Float32frombits(le.Uint32(b)) }
	for range nm {
		m := measurement{Kind: measKind(p[0]), Class: v2x.Class(p[1]), Stream: le.Uint64(p[2:]), Source: le.Uint32(p[10:]),
			LocalID: le.Uint64(p[14:]), TimeNS: int64(le.Uint64(p[22:])), IngestNS: int64(le.Uint64(p[30:])),
			Lat: math.Float64frombits(le.Uint64(p[38:])), Lon: math.Float64frombits(le.Uint64(p[46:]))}
		f := p[54:]
		m.VelE, m.VelN, m.Speed, m.Heading, m.Length, m.Width = f32(f), f32(f[4:]), f32(f[8:]), f32(f[12:]), f32(f[16:]), f32(f[20:])
		m.CovEE, m.CovEN, m.CovNN = f32(f[24:]), f32(f[28:]), f32(f[32:])
		if version >= 2 {
			m.Owner, m.OwnerLimit = le.Uint64(f[36:]), le.Uint32(f[44:])
		}
		c.b.meas = append(c.b.meas, m)
		p = p[measLen:]
	}
	next := func(head int) ([]byte, []byte, error) {
		if len(p) < head+4 {
			return nil, nil, fmt.Errorf("%w: cut short", errCycleRec)
		}
		n := le.Uint32(p[head:])
		if uint64(n) > uint64(len(p)-head-4) {
			return nil, nil, fmt.Errorf("%w: a record of %d bytes in %d", errCycleRec, n, len(p)-head-4)
		}
		h, body := p[:head], p[head+4:head+4+int(n)]
		p = p[head+4+int(n):]
		return h, body, nil
	}
	owners := 0 // bytes of owner after a SPAT's or MAP's stream
	if version >= 4 {
		owners = 8
	}
	for range ns {
		h, body, err := next(24 + owners)
		if err != nil {
			return err
		}
		var sp v2x.SPAT
		if err := wire.DecodeSPAT(body, &sp); err != nil {
			return fmt.Errorf("%w: spat: %w", errCycleRec, err)
		}
		su := spatUpdate{TimeNS: int64(le.Uint64(h)), IngestNS: int64(le.Uint64(h[8:])), Stream: le.Uint64(h[16:]), IntersectionID: sp.IntersectionID}
		if owners > 0 {
			su.Owner = le.Uint64(h[24:])
		}
		su.N = copy(su.Phases[:], sp.Phases)
		c.b.spats = append(c.b.spats, su)
	}
	for range nmap {
		h, body, err := next(8 + owners)
		if err != nil {
			return err
		}
		mp := new(v2x.Map)
		if err := wire.DecodeMap(body, mp); err != nil {
			return fmt.Errorf("%w: map: %w", errCycleRec, err)
		}
		c.b.maps = append(c.b.maps, mp)
		c.b.mapSrc = append(c.b.mapSrc, le.Uint64(h))
		var own uint64
		if owners > 0 {
			own = le.Uint64(h[8:])
		}
		c.b.mapOwn = append(c.b.mapOwn, own)
	}
	for range nrsi {
		_, body, err := next(0)
		if err != nil {
			return err
		}
		r := new(v2x.RSI)
		if err := wire.DecodeRSI(body, r); err != nil {
			return fmt.Errorf("%w: rsi: %w", errCycleRec, err)
		}
		c.b.rsis = append(c.b.rsis, r)
	}
	if version >= 3 {
		if len(p) < 4 {
			return fmt.Errorf("%w: cut short", errCycleRec)
		}
		n := le.Uint32(p)
		p = p[4:]
		if uint64(n)*cycleRecSensor > uint64(len(p)) {
			return fmt.Errorf("%w: %d sensor declarations in %d bytes", errCycleRec, n, len(p))
		}
		for range n {
			d := sensorDecl{Stream: le.Uint64(p), Source: le.Uint32(p[8:]), IngestNS: int64(le.Uint64(p[12:]))}
			if err := wire.DecodeSensorInfo(p[20:cycleRecSensor], &d.Info); err != nil {
				return fmt.Errorf("%w: sensor: %w", errCycleRec, err)
			}
			c.b.sensors = append(c.b.sensors, d)
			p = p[cycleRecSensor:]
		}
	}
	if len(p) != 0 {
		return fmt.Errorf("%w: %d bytes after its records", errCycleRec, len(p))
	}
	return nil
}
