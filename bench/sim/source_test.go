package sim

import "testing"

func TestTypeNames(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{MsgBSM.String(), "bsm"}, {MsgObjectList.String(), "objects"}, {MsgType(0).String(), "msg-type(0)"},
		{SourceCamera.String(), "camera"}, {SourceRoadside.String(), "roadside"}, {SourceKind(9).String(), "source-kind(9)"},
	} {
		if tc.got != tc.want {
			t.Errorf("%q, want %q", tc.got, tc.want)
		}
	}
}
