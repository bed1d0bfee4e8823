package wire

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

// sampleError is the node's answer to a BSM whose position is off the
// globe.
func sampleError() ErrorFrame {
	return ErrorFrame{Code: CodeInvalidValue, Type: TypeBSM, Seq: 4242, Message: "bsm rejected: latitude/longitude out of range"}
}

const errorHeadLen = 14

var errorCodec = payloadCodec{
	typ:    TypeError,
	header: Header{}, // the node leaves Source, Seq and Capture zero on Error frames
	sample: func() []byte { e := sampleError(); return AppendError(nil, &e) },
	reencode: func(t testing.TB, p []byte) ([]byte, error) {
		var e ErrorFrame
		if err := DecodeError(p, &e); err != nil {
			return nil, err
		}
		if len(e.Message) > MaxErrorMessage {
			t.Fatalf("%d-byte message", len(e.Message))
		}
		return AppendError(nil, &e), nil
	},
	canon: func(p []byte) []byte {
		q := cloneBytes(p)
		q[3] = 0
		return q
	},
}

func TestErrorRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		e    ErrorFrame
	}{
		{"typical", sampleError()},
		{"empty message", ErrorFrame{Code: CodeBadLength}},
		{"unknown code and type kept", ErrorFrame{Code: math.MaxUint16, Type: 0xff, Seq: math.MaxUint64, Message: "?"}},
		{"utf-8", ErrorFrame{Code: CodeMalformed, Type: TypeRSI, Seq: 3, Message: "rsi: 事件 1 文本截断"}},
		{"maximum", ErrorFrame{Code: CodeInternal, Message: strings.Repeat("m", MaxErrorMessage)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := AppendError(nil, &c.e)
			if want := errorHeadLen + len(c.e.Message); len(p) != want {
				t.Fatalf("encoded %d bytes, want %d", len(p), want)
			}
			var got ErrorFrame
			if err := DecodeError(p, &got); err != nil {
				t.Fatal(err)
			}
			if got != c.e {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, c.e)
			}
		})
	}
}

func TestErrorLayout(t *testing.T) {
	e := sampleError()
	p := AppendError(nil, &e)
	if uint16(be32(p, 0)>>16) != uint16(CodeInvalidValue) || p[2] != byte(TypeBSM) || p[3] != 0 || be64(p, 4) != 4242 ||
		int(uint16(be32(p, 10))) != len(e.Message) || string(p[14:]) != e.Message {
		t.Errorf("error frame % x", p)
	}
}

func TestAppendErrorCutsMessage(t *testing.T) {
	e := ErrorFrame{Code: CodeMalformed, Message: strings.Repeat("x", MaxErrorMessage+100)}
	var got ErrorFrame
	if err := DecodeError(AppendError(nil, &e), &got); err != nil {
		t.Fatal(err)
	}
	if got.Message != e.Message[:MaxErrorMessage] {
		t.Errorf("message of %d bytes, want the first %d", len(got.Message), MaxErrorMessage)
	}
}

// errorPayload returns an Error payload with an n-byte message.
func errorPayload(n int) []byte {
	p := appendU16(nil, uint16(CodeMalformed))
	p = append(p, byte(TypeBSM), 0)
	p = appendU64(p, 1)
	p = appendU16(p, uint16(n))
	return append(p, bytes.Repeat([]byte{'x'}, n)...)
}

func TestDecodeErrorErrors(t *testing.T) {
	decode := func(q []byte) error { var e ErrorFrame; return DecodeError(q, &e) }
	for _, e := range []ErrorFrame{sampleError(), {}} {
		p := AppendError(nil, &e)
		checkPrefixes(t, p, decode)
		checkTrailing(t, p, decode)
	}
	if err := decode(errorPayload(MaxErrorMessage)); err != nil {
		t.Errorf("message at the limit: %v", err)
	}
	checkDecodeErr(t, "513-byte message", decode(errorPayload(MaxErrorMessage+1)), ErrInvalid)
	checkDecodeErr(t, "65535-byte message claimed", decode(errorPayload(math.MaxUint16)[:errorHeadLen]), ErrInvalid)
}

func TestCodes(t *testing.T) {
	want := []struct {
		c    Code
		v    uint16
		name string
	}{
		{CodeBadLength, 1, "bad_length"}, {CodeUnknownType, 2, "unknown_type"}, {CodeBadVersion, 3, "bad_version"},
		{CodeUnsupportedEncoding, 4, "unsupported_encoding"}, {CodeMalformed, 5, "malformed"},
		{CodeInvalidValue, 6, "invalid_value"}, {CodeUnexpectedFrame, 7, "unexpected_frame"},
		{CodeOverloaded, 8, "overloaded"}, {CodeInternal, 9, "internal"},
		{CodeForbidden, 10, "forbidden"},
	}
	all := AllCodes()
	if len(all) != len(want) {
		t.Fatalf("AllCodes has %d codes, want %d", len(all), len(want))
	}
	for i, w := range want {
		if uint16(w.c) != w.v || w.c.String() != w.name || all[i] != w.c {
			t.Errorf("code %d: value %d, name %q, AllCodes[%d] = %d", w.v, uint16(w.c), w.c.String(), i, all[i])
		}
	}
	if s := Code(0).String(); s != "code(0)" {
		t.Errorf("Code(0) = %q", s)
	}
}

func TestErrorFrameIsError(t *testing.T) {
	e := sampleError()
	var err error = &e
	var ef *ErrorFrame
	if !errors.As(err, &ef) || ef.Seq != 4242 {
		t.Fatal("errors.As failed")
	}
	want := "v2x-edge: invalid_value (frame bsm seq 4242): bsm rejected: latitude/longitude out of range"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func FuzzDecodeError(f *testing.F) {
	empty := ErrorFrame{Code: CodeBadLength}
	fuzzPayload(f, &errorCodec, AppendError(nil, &empty), errorPayload(MaxErrorMessage + 1)[:errorHeadLen])
}
